// Fresh byte buffers carved from large slabs. Each `new Uint8Array(n)` of a
// packet's size makes its own ArrayBuffer: about 3 µs of allocation and
// tracking for 1500 bytes on Node 20, and the garbage collector must sweep
// every one of them; a view into a shared slab costs about a quarter of that
// (`npm run bench alloc`). At 64 KB a view is no cheaper than a buffer of
// its own (the slab's fresh pages cost as much), so larger requests are not
// served from slabs. A slab is never reused once carved: every view
// starts zeroed and no two live views share a byte, so a buffer handed out
// here may be kept, queued or handed to a device (DESIGN rule 7).
//
// Slabs are small (64 KiB for packets): below the C allocator's mmap
// threshold (128 KiB in glibc), a new slab gets memory the process already
// has, freed by earlier slabs, instead of fresh pages that fault in on first
// touch. With 1 MiB slabs the in-memory MTU 1500 bench spent about a sixth
// of its time in those faults (copying payloads into new slab pages) and
// ran 25% slower.
//
// The price is that one kept view keeps its whole slab alive; `Slab.limit`
// bounds the sizes served, and callers that hand buffers to applications
// use a small slab for small buffers only, as Node's Buffer pool does.

interface NodeBufferClass {
  allocUnsafeSlow(n: number): Uint8Array;
}
const NodeBuffer = (globalThis as { Buffer?: NodeBufferClass }).Buffer;

/**
 * `n` bytes of fresh memory whose contents are NOT zeroed where the platform
 * allows it (Node's Buffer.allocUnsafeSlow; zeroed elsewhere), as a plain
 * Uint8Array that aliases nothing. Zeroing is what a new buffer mostly
 * costs: 64 KB take about 3 µs zeroed and 0.9 µs not. Only for a buffer the
 * caller overwrites completely before anyone else can see it: stale bytes
 * of this process must never reach the wire or an application.
 */
export function uninitializedBytes(n: number): Uint8Array {
  if (NodeBuffer === undefined) return new Uint8Array(n);
  const b = NodeBuffer.allocUnsafeSlow(n);
  // A plain Uint8Array: a Buffer's slice() is a view, not a copy.
  return new Uint8Array(b.buffer, b.byteOffset, n);
}

export class Slab {
  private buf: ArrayBuffer = new ArrayBuffer(0);
  private used = 0;

  /**
   * @param size   bytes per slab
   * @param limit  largest request served from a slab; larger ones get their
   *               own buffer
   * @param zeroed whether buffers start zeroed; when false, each caller
   *               writes every byte of what it gets (see uninitializedBytes)
   */
  constructor(
    readonly size: number,
    readonly limit: number,
    readonly zeroed = true,
  ) {
    if (!Number.isInteger(size) || !Number.isInteger(limit) || limit < 0 || limit > size) {
      throw new RangeError(`slab size ${size} and limit ${limit} must be integers with 0 <= limit <= size`);
    }
  }

  /** A buffer of `n` bytes (zeroed if the slab is) that aliases nothing else handed out. */
  alloc(n: number): Uint8Array {
    if (n > this.limit) return this.zeroed ? new Uint8Array(n) : uninitializedBytes(n);
    if (this.used + n > this.buf.byteLength) {
      this.buf = this.zeroed ? new ArrayBuffer(this.size) : (uninitializedBytes(this.size).buffer as ArrayBuffer);
      this.used = 0;
    }
    const out = new Uint8Array(this.buf, this.used, n);
    // 8-byte aligned starts keep the checksum's 32-bit loads aligned.
    this.used += (n + 7) & ~7;
    return out;
  }
}

/**
 * Packets and segment payloads: short-lived buffers that die once the
 * packet is delivered or written to a device.
 */
export const packetSlab = new Slab(1 << 16, 16_384);

/**
 * The same, not zeroed, for buffers whose every byte the caller writes at
 * once: outgoing TCP packets (headers, options with their padding, payload;
 * a property test in test/wire/tcp.test.ts holds emitting to that) and copies.
 */
export const filledSlab = new Slab(1 << 16, 16_384, false);
