// The receive buffer: in-order bytes waiting for `read()`, followed by the
// reassembly area where out-of-order segments wait for the hole before them
// to fill (RFC 9293 §3.10.7.4, seventh step). One ring, growing on demand up
// to its capacity; payloads are copied in, never kept as views of the
// caller's buffers (DESIGN rule 7), with one exception: a large in-order
// payload whose buffer the caller gives away (`write(..., adopt)`: the
// stack's received packets, which nobody else holds or reuses) is kept
// as it is and handed out by `read()` as it is, sparing two copies of
// every byte (into the ring and out of it).
//
// Positions are stream offsets (bytes since the start of the stream), kept
// as plain numbers: they never wrap, unlike sequence numbers.

import { copyAll, copyBytes } from '../wire/bytes.js';
import { Slab } from '../wire/slab.js';

/**
 * Small reads (what one segment brings) come from a small slab, as Node's
 * Buffer pool serves small buffers: a read the application keeps pins at
 * most 32 KiB. Larger reads get their own buffer.
 */
const readSlab = new Slab(32_768, 4096);

/** The ranges of a buffer that never held data out of order (never written to: replaced first). */
const NO_RANGES: Range[] = [];

/** The ring of a buffer that has held nothing yet (zero-length: never written). */
const NO_BYTES = new Uint8Array(0);

/** Adopted payloads of a buffer that has kept none (never written). */
const NO_CHUNKS: Uint8Array[] = [];

/**
 * Smallest payload kept as given rather than copied. The packet buffers the
 * stack carves from slabs are smaller (wire/slab.ts serves at most 16 KiB),
 * so a kept payload never pins a slab that other packets share; and below
 * this size the copies cost less than the bookkeeping.
 */
export const ADOPT_MIN = 16_384;

/**
 * First ring size: small, so that a chatty connection holds little, and no
 * larger than 64 bytes, which V8 keeps on its heap: such a typed array
 * costs ~0.03 µs to make, one of 65 bytes or more, which gets a backing
 * store of its own, ~0.5-2 µs (`npm run bench alloc`).
 */
const INITIAL_SIZE = 64;
/** Default most out-of-order ranges held (FreeBSD's reassembly queue allows 100 segments; this is looser). */
export const DEFAULT_MAX_RANGES = 1024;

/** An out-of-order range held in the reassembly area, as stream offsets [start, end). */
export interface Range {
  start: number;
  end: number;
}

export class RecvBuffer {
  private cap: number;
  private ring: Uint8Array;
  /** Stream offset of the first unread byte. */
  private readPos = 0;
  /** Stream offset one past the last in-order byte (RCV.NXT as an offset). */
  private inOrderEnd = 0;
  /** Out-of-order ranges beyond inOrderEnd, sorted, disjoint, not touching. */
  private ranges: Range[] = NO_RANGES;
  /** Most out-of-order ranges held: a segment that would start one more is dropped. */
  readonly maxRanges: number;
  /** Out-of-order segments dropped because maxRanges were held. */
  outOfOrderDropped = 0;
  /**
   * Adopted payloads (see write): the in-order bytes from readPos on, in
   * order, chunks[chunkHead] up to chunks[chunkEnd - 1]; the ring holds
   * the in-order bytes after them. Only while the ring holds no in-order
   * byte is a payload adopted, so the chunks always come first. Drained,
   * the array is reused from its start (never emptied: V8 would give it
   * a new backing store).
   */
  private chunks: Uint8Array[] = NO_CHUNKS;
  private chunkHead = 0;
  private chunkEnd = 0;
  /** Bytes in the adopted chunks. */
  private chunkBytes = 0;

  constructor(capacity: number, maxRanges = DEFAULT_MAX_RANGES) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`receive buffer capacity must be a positive integer, got ${capacity}`);
    if (!Number.isInteger(maxRanges) || maxRanges < 1) throw new RangeError(`most out-of-order ranges must be a positive integer, got ${maxRanges}`);
    this.cap = capacity;
    this.maxRanges = maxRanges;
    // Shared until the first byte: even an empty Uint8Array costs ~200 heap bytes.
    this.ring = NO_BYTES;
  }

  /** Most bytes held from the first unread one on. */
  get capacity(): number {
    return this.cap;
  }

  /**
   * Change the capacity (SO_RCVBUF, auto-tuning). It never drops below the
   * bytes held, in order or not. Returns the capacity now in force.
   */
  resize(capacity: number): number {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`receive buffer capacity must be a positive integer, got ${capacity}`);
    const last = this.ranges.length > 0 ? this.ranges[this.ranges.length - 1]!.end : this.inOrderEnd;
    this.cap = Math.max(capacity, last - this.readPos);
    return this.cap;
  }

  /** Bytes read so far (the stream offset of the first unread byte). */
  get consumed(): number {
    return this.readPos;
  }

  /** In-order bytes waiting to be read. */
  get readable(): number {
    return this.inOrderEnd - this.readPos;
  }

  /** Room beyond the in-order bytes: the receive window we can offer. */
  get free(): number {
    return this.cap - this.readable;
  }

  /** Stream offset of the next expected byte. */
  get end(): number {
    return this.inOrderEnd;
  }

  get hasOutOfOrder(): boolean {
    return this.ranges.length > 0;
  }

  /** How many out-of-order ranges are held. */
  get outOfOrderCount(): number {
    return this.ranges.length;
  }

  /** The out-of-order ranges, as offsets relative to the next expected byte. */
  outOfOrder(): Range[] {
    return this.ranges.map((r) => ({ start: r.start - this.inOrderEnd, end: r.end - this.inOrderEnd }));
  }

  /**
   * Store `data` starting `offset` bytes after the next expected byte.
   * Bytes beyond the capacity are dropped. Returns how many bytes became
   * in-order (readable) as a result. `adopt`: the caller gives `data` away
   * (nobody will write to its buffer again); a large in-order payload is
   * then kept as it is instead of copied, and `read()` returns it.
   */
  write(offset: number, data: Uint8Array, adopt = false): number {
    if (offset < 0) throw new RangeError(`negative receive offset ${offset}`);
    const limit = this.readPos + this.cap;
    const start = this.inOrderEnd + offset;
    const end = Math.min(start + data.length, limit);
    if (end <= start) return 0;
    if (adopt && offset === 0 && end - start === data.length && data.length >= ADOPT_MIN && this.ranges.length === 0 && this.inOrderEnd === this.readPos + this.chunkBytes) {
      // In order, whole, and the ring holds nothing in order: keep it.
      if (this.chunks === NO_CHUNKS) this.chunks = [];
      this.chunks[this.chunkEnd++] = data;
      this.chunkBytes += data.length;
      this.inOrderEnd = end;
      return data.length;
    }
    if (start > this.inOrderEnd && this.ranges.length >= this.maxRanges && !this.touchesRange(start, end)) {
      // Each range costs a record and time to merge: a peer sending tiny
      // segments with holes between them gets no more than maxRanges.
      this.outOfOrderDropped++;
      return 0;
    }
    this.reserve(end - this.readPos);
    this.copyIn(start, data, end - start);
    if (start === this.inOrderEnd && this.ranges.length === 0) {
      // In order with no hole behind: no range to record or merge.
      this.inOrderEnd = end;
      return end - start;
    }
    this.addRange(start, end);
    const first = this.ranges[0]!;
    if (first.start !== this.inOrderEnd) return 0;
    this.ranges.shift();
    const advanced = first.end - this.inOrderEnd;
    this.inOrderEnd = first.end;
    return advanced;
  }

  /**
   * Take up to `max` in-order bytes, or null if none: a fresh copy, or an
   * adopted payload (or its first `max` bytes) as it was given, which then
   * belongs to the caller. An adopted payload comes alone: the bytes after
   * it come with the next call.
   */
  read(max = Infinity): Uint8Array | null {
    const n = Math.min(this.readable, Math.max(0, Math.floor(max)));
    if (n === 0) return null;
    if (this.chunkBytes > 0) return this.takeChunk(n);
    const out = readSlab.alloc(n);
    this.readInto(out);
    return out;
  }

  /** Up to `n` bytes of the first adopted chunk, as they are (n > 0). */
  private takeChunk(n: number): Uint8Array {
    const chunk = this.chunks[this.chunkHead]!;
    let out = chunk;
    if (n < chunk.length) {
      out = chunk.subarray(0, n);
      this.chunks[this.chunkHead] = chunk.subarray(n);
    } else {
      this.chunks[this.chunkHead++] = NO_BYTES;
      if (this.chunkHead === this.chunkEnd) this.chunkHead = this.chunkEnd = 0;
    }
    this.chunkBytes -= out.length;
    this.readPos += out.length;
    return out;
  }

  /**
   * Give the ring back when it holds nothing, in order or not (the
   * connection takes no more data); a later write makes a new one.
   */
  release(): void {
    if (this.readable !== 0 || this.ranges.length !== 0) return;
    this.ring = NO_BYTES;
    this.chunks = NO_CHUNKS;
    this.chunkHead = this.chunkEnd = 0;
  }

  /** Move up to dst.length in-order bytes into `dst`; returns how many. */
  readInto(dst: Uint8Array): number {
    let copied = 0;
    while (this.chunkBytes > 0 && copied < dst.length) {
      const part = this.takeChunk(Math.min(dst.length - copied, this.chunks[this.chunkHead]!.length));
      dst.set(part, copied);
      copied += part.length;
    }
    return copied + this.readRing(copied === 0 ? dst : dst.subarray(copied));
  }

  /** Move up to dst.length in-order bytes from the ring (none adopted are left) into `dst`. */
  private readRing(dst: Uint8Array): number {
    const n = Math.min(this.readable, dst.length);
    if (n === 0) return 0;
    const size = this.ring.length;
    const s = this.readPos % size;
    const first = Math.min(n, size - s);
    copyBytes(dst, 0, this.ring, s, s + first);
    if (first < n) copyBytes(dst, first, this.ring, 0, n - first);
    this.readPos += n;
    return n;
  }

  /** Copy data[0, n) to stream offset `pos`; a view is made only for a part (most segments go in whole). */
  private copyIn(pos: number, data: Uint8Array, n: number): void {
    const size = this.ring.length;
    const s = pos % size;
    const first = Math.min(n, size - s);
    if (first === data.length) copyAll(this.ring, s, data);
    else copyBytes(this.ring, s, data, 0, first);
    if (first < n) copyBytes(this.ring, 0, data, first, n);
  }

  /** Would [start, end) merge with a range already held? */
  private touchesRange(start: number, end: number): boolean {
    for (const r of this.ranges) {
      if (r.start > end) return false;
      if (r.end >= start) return true;
    }
    return false;
  }

  private addRange(start: number, end: number): void {
    if (this.ranges === NO_RANGES) this.ranges = [];
    const rs = this.ranges;
    // Merge with every range that overlaps or touches [start, end).
    let i = 0;
    while (i < rs.length && rs[i]!.end < start) i++;
    let j = i;
    let s = start;
    let e = end;
    while (j < rs.length && rs[j]!.start <= e) {
      s = Math.min(s, rs[j]!.start);
      e = Math.max(e, rs[j]!.end);
      j++;
    }
    // Bytes before inOrderEnd are old; the range starts no earlier.
    s = Math.max(s, this.inOrderEnd);
    rs.splice(i, j - i, { start: s, end: e });
  }

  /** Make the ring hold at least `need` bytes from readPos on, keeping stored bytes at their positions. */
  private reserve(need: number): void {
    const old = this.ring;
    if (need <= old.length) return;
    let size = Math.max(old.length, Math.min(INITIAL_SIZE, this.cap));
    while (size < need) size *= 2;
    size = Math.min(size, this.cap);
    const next = new Uint8Array(size);
    if (old.length > 0) {
      // Everything stored lies in [readPos, readPos + old.length): copy it
      // in runs that wrap neither in the old ring nor in the new one.
      let pos = this.readPos;
      let left = old.length;
      while (left > 0) {
        const o = pos % old.length;
        const d = pos % size;
        const run = Math.min(left, old.length - o, size - d);
        next.set(old.subarray(o, o + run), d);
        pos += run;
        left -= run;
      }
    }
    this.ring = next;
  }
}
