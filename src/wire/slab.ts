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
//
// Spare buffers. Making a view costs more than the bytes it covers (about
// 80 ns, and the collector's time for every one), so a receiver that knows
// it held the only reference to a packet it is done with may give it back
// (`recycle`), and a writer that fills every byte of its buffer may take
// one of those (`take`) instead of a new view: an mbuf free list, as BSD
// and DPDK keep. Only buffers of one length at a time are kept (the length
// of the path's full-sized packets, in practice), at most SPARE_MAX of
// them; `alloc` never returns a spare, so its buffers stay zeroed.

/**
 * Most spare buffers a slab keeps: a receive batch's worth (64 packets, a
 * train is at most 45). Each spare keeps its slab alive, so this also
 * bounds the memory spares hold (64 slabs at most); 256 were no faster.
 */
export const SPARE_MAX = 64;

export class Slab {
  private buf: ArrayBuffer = new ArrayBuffer(0);
  private used = 0;
  private readonly spares: Uint8Array[] = [];
  private spareLength = -1;
  /** Whether `recycle` keeps anything (a switch for tests that compare). */
  recycling = true;

  /**
   * @param size  bytes per slab
   * @param limit largest request served from a slab; larger ones get their
   *              own buffer
   */
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    if (!Number.isInteger(size) || !Number.isInteger(limit) || limit < 0 || limit > size) {
      throw new RangeError(`slab size ${size} and limit ${limit} must be integers with 0 <= limit <= size`);
    }
  }

  /** A zeroed buffer of `n` bytes that aliases nothing else handed out. */
  alloc(n: number): Uint8Array {
    if (n > this.limit) return new Uint8Array(n);
    if (this.used + n > this.buf.byteLength) {
      this.buf = new ArrayBuffer(this.size);
      this.used = 0;
    }
    const out = new Uint8Array(this.buf, this.used, n);
    // 8-byte aligned starts keep the checksum's 32-bit loads aligned.
    this.used += (n + 7) & ~7;
    return out;
  }

  /**
   * A buffer of `n` bytes that aliases nothing else handed out, with
   * arbitrary contents: a spare if one of that length is kept, otherwise a
   * new one. For a writer that fills every byte.
   */
  take(n: number): Uint8Array {
    if (n === this.spareLength) {
      const b = this.spares.pop();
      if (b !== undefined) return b;
    }
    return this.alloc(n);
  }

  /**
   * Give back a buffer nobody else holds or will hold a view of (nor of
   * any of its bytes): it may be handed out again by `take`. Kept only if
   * its length is the one the spares have (or none are kept), there is
   * room, and it is not larger than `limit` (a larger one is not worth
   * its memory). Whether it was kept.
   */
  recycle(b: Uint8Array): boolean {
    const n = b.length;
    if (!this.recycling || n > this.limit || n === 0) return false;
    if (n !== this.spareLength) {
      if (this.spares.length > 0) return false;
      this.spareLength = n;
    }
    if (this.spares.length >= SPARE_MAX) return false;
    this.spares.push(b);
    return true;
  }

  /** How many spare buffers are kept now. */
  get spareCount(): number {
    return this.spares.length;
  }
}

/**
 * Packets and segment payloads: short-lived buffers that die once the
 * packet is delivered or written to a device.
 */
export const packetSlab = new Slab(1 << 16, 16_384);
