// The send buffer: bytes the application wrote that the peer has not yet
// acknowledged, from SND.UNA onwards (RFC 9293 §3.3.1). A ring that grows on
// demand up to its capacity. Bytes are copied in, and every segment gets its
// own copy out, so nothing handed to the driver aliases this ring (DESIGN
// rule 7).

import { copyAll, copyBytes, u8sub } from '../wire/bytes.js';
import { packetSlab } from '../wire/slab.js';

/** The ring of a buffer that has held nothing yet (zero-length: never written). */
const NO_BYTES = new Uint8Array(0);

/**
 * First ring size: small, so that a chatty connection holds little, and no
 * larger than 64 bytes, which V8 keeps on its heap: such a typed array
 * costs ~0.03 µs to make, one of 65 bytes or more, which gets a backing
 * store of its own, ~0.5-2 µs (`npm run bench alloc`).
 */
const INITIAL_SIZE = 64;

export class SendBuffer {
  private cap: number;
  private ring: Uint8Array;
  private head = 0;
  private len = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`send buffer capacity must be a positive integer, got ${capacity}`);
    this.cap = capacity;
    // Shared until the first byte: even an empty Uint8Array costs ~200 heap bytes.
    this.ring = NO_BYTES;
  }

  /** Most bytes held. */
  get capacity(): number {
    return this.cap;
  }

  /**
   * Change the capacity (SO_SNDBUF, auto-tuning). It never drops below the
   * bytes held: those are the peer's to acknowledge. Returns the capacity
   * now in force.
   */
  resize(capacity: number): number {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`send buffer capacity must be a positive integer, got ${capacity}`);
    this.cap = Math.max(capacity, this.len);
    return this.cap;
  }

  /** Bytes held (unacknowledged, sent or not). */
  get length(): number {
    return this.len;
  }

  /** Room left for `write`. */
  get free(): number {
    return this.cap - this.len;
  }

  /** Copy in as much of `data` as fits; returns how many bytes were taken. */
  write(data: Uint8Array): number {
    const n = Math.min(data.length, this.free);
    if (n === 0) return 0;
    this.reserve(this.len + n);
    const size = this.ring.length;
    const tail = (this.head + this.len) % size;
    const first = Math.min(n, size - tail);
    if (first === data.length) copyAll(this.ring, tail, data);
    else copyBytes(this.ring, tail, data, 0, first);
    if (first < n) copyBytes(this.ring, 0, data, first, n);
    this.len += n;
    return n;
  }

  /** A fresh copy of `length` bytes starting `offset` bytes after the head. */
  copyOut(offset: number, length: number): Uint8Array {
    if (offset < 0 || length < 0 || offset + length > this.len) {
      throw new RangeError(`copyOut(${offset}, ${length}) outside ${this.len} buffered bytes`);
    }
    const out = packetSlab.alloc(length);
    if (length === 0) return out;
    const size = this.ring.length;
    const start = (this.head + offset) % size;
    const first = Math.min(length, size - start);
    copyBytes(out, 0, this.ring, start, start + first);
    if (first < length) copyBytes(out, first, this.ring, 0, length - first);
    return out;
  }

  /**
   * `length` bytes starting `offset` bytes after the head, as a view of the
   * ring when they lie in one piece (a copy when they wrap, or when the
   * ring is one of 64 bytes). The view is
   * only good until the buffer is next written or consumed: whoever keeps
   * it longer copies it (see `Connection.pollTransmit`).
   */
  peek(offset: number, length: number): Uint8Array {
    if (offset < 0 || length < 0 || offset + length > this.len) {
      throw new RangeError(`peek(${offset}, ${length}) outside ${this.len} buffered bytes`);
    }
    const size = this.ring.length;
    const start = size === 0 ? 0 : (this.head + offset) % size;
    // A view of a ring V8 keeps on its heap (64 bytes or fewer) would move
    // the ring to a backing store first: a copy is cheaper (see copyBytes).
    if (start + length <= size && size > 64) return u8sub(this.ring, start, start + length);
    return this.copyOut(offset, length);
  }

  /** Give the ring back when nothing is held (the connection will send no more). */
  release(): void {
    if (this.len !== 0) return;
    this.ring = NO_BYTES;
    this.head = 0;
  }

  /** Drop `n` bytes from the head (they were acknowledged). */
  consume(n: number): void {
    if (n < 0 || n > this.len) throw new RangeError(`consume(${n}) with ${this.len} buffered bytes`);
    this.len -= n;
    this.head = this.len === 0 ? 0 : (this.head + n) % this.ring.length;
  }

  private reserve(need: number): void {
    if (need <= this.ring.length) return;
    let size = Math.max(this.ring.length, Math.min(INITIAL_SIZE, this.cap));
    while (size < need) size *= 2;
    size = Math.min(size, this.cap);
    const next = new Uint8Array(size);
    if (this.len > 0) {
      const size0 = this.ring.length;
      const first = Math.min(this.len, size0 - this.head);
      next.set(this.ring.subarray(this.head, this.head + first), 0);
      if (first < this.len) next.set(this.ring.subarray(0, this.len - first), first);
    }
    this.ring = next;
    this.head = 0;
  }
}
