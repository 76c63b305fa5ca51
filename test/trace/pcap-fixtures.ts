// Byte-by-byte builders for capture-file tests. They know nothing of the
// readers under test: every field is laid out here by hand.

/** Appends fixed-width fields in a chosen byte order. */
export class Bytes {
  private readonly parts: number[] = [];
  constructor(private readonly le: boolean) {}

  u8(...vs: number[]): this {
    for (const v of vs) this.parts.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.le ? this.u8(v, v >> 8) : this.u8(v >> 8, v);
  }
  u32(v: number): this {
    const b = [v >>> 24, v >>> 16, v >>> 8, v];
    return this.u8(...(this.le ? b.reverse() : b));
  }
  u64(v: bigint): this {
    const hi = Number((v >> 32n) & 0xffffffffn);
    const lo = Number(v & 0xffffffffn);
    return this.le ? this.u32(lo).u32(hi) : this.u32(hi).u32(lo);
  }
  raw(b: ArrayLike<number>): this {
    for (let i = 0; i < b.length; i++) this.parts.push(b[i]! & 0xff);
    return this;
  }
  /** Zero bytes up to a multiple of 4. */
  pad4(): this {
    while (this.parts.length % 4 !== 0) this.parts.push(0);
    return this;
  }
  get length(): number {
    return this.parts.length;
  }
  build(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** `n` bytes counting up from `start` (mod 256), so that cuts and shifts show. */
export function pattern(n: number, start = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (start + i) & 0xff;
  return out;
}

// ---- classic pcap ----

export interface PcapHeaderFields {
  le: boolean;
  /** The magic as a number; written in the chosen byte order. */
  magic: number;
  major?: number;
  minor?: number;
  snaplen?: number;
  linktype: number;
}

export function pcapHeader(f: PcapHeaderFields): Uint8Array {
  return new Bytes(f.le)
    .u32(f.magic)
    .u16(f.major ?? 2)
    .u16(f.minor ?? 4)
    .u32(0)
    .u32(0)
    .u32(f.snaplen ?? 262144)
    .u32(f.linktype)
    .build();
}

export function pcapRecord(le: boolean, tsSec: number, tsFrac: number, data: Uint8Array, origLen?: number, inclLen?: number): Uint8Array {
  return new Bytes(le)
    .u32(tsSec)
    .u32(tsFrac)
    .u32(inclLen ?? data.length)
    .u32(origLen ?? data.length)
    .raw(data)
    .build();
}

// ---- pcapng ----

/** One option: code, length, value padded to 4. */
export function option(le: boolean, code: number, value: ArrayLike<number>): Uint8Array {
  return new Bytes(le).u16(code).u16(value.length).raw(value).pad4().build();
}

export function endOfOptions(le: boolean): Uint8Array {
  return new Bytes(le).u16(0).u16(0).build();
}

/** A whole block around `body` (body is padded to 4 here). */
export function block(le: boolean, type: number, body: Uint8Array): Uint8Array {
  const padded = (body.length + 3) & ~3;
  const total = 12 + padded;
  return new Bytes(le).u32(type).u32(total).raw(body).pad4().u32(total).build();
}

export function shb(le: boolean, opts: Uint8Array = new Uint8Array(0), major = 1, minor = 0): Uint8Array {
  const body = new Bytes(le).u32(0x1a2b3c4d).u16(major).u16(minor).u64(0xffffffffffffffffn).raw(opts).build();
  return block(le, 0x0a0d0d0a, body);
}

export function idb(le: boolean, linktype: number, snaplen: number, opts: Uint8Array = new Uint8Array(0)): Uint8Array {
  return block(le, 1, new Bytes(le).u16(linktype).u16(0).u32(snaplen).raw(opts).build());
}

export function epb(le: boolean, ifId: number, ts: bigint, data: Uint8Array, origLen?: number): Uint8Array {
  const b = new Bytes(le)
    .u32(ifId)
    .u32(Number(ts >> 32n))
    .u32(Number(ts & 0xffffffffn))
    .u32(data.length)
    .u32(origLen ?? data.length)
    .raw(data)
    .pad4();
  return block(le, 6, b.build());
}

export function spb(le: boolean, origLen: number, data: Uint8Array): Uint8Array {
  return block(le, 3, new Bytes(le).u32(origLen).raw(data).build());
}
