// The state one packet is printed with: the captured bytes, the current end
// of trustworthy data ("snapend", narrowed by IP to its total length), the
// output being built, and the name of the protocol being decoded (used in the
// ` [|proto]` truncation marker, as tcpdump prints it).

/** Thrown when a printer reads past the captured data; caught by the packet printer. */
export class Truncated extends Error {
  constructor() {
    super('truncated');
  }
}

export class PrintContext {
  readonly data: Uint8Array;
  /** Index one past the last byte printers may read. */
  snapend: number;
  private readonly snapStack: number[] = [];
  protocol = '';
  /** Length of the link-layer header (for -x/-X/-A without the link header). */
  llHeaderLength = 0;
  private readonly parts: string[] = [];

  constructor(data: Uint8Array) {
    this.data = data;
    this.snapend = data.length;
  }

  out(s: string): void {
    this.parts.push(s);
  }

  text(): string {
    return this.parts.join('');
  }

  /** True when `len` bytes starting at `off` were captured. */
  has(off: number, len: number): boolean {
    return off >= 0 && len >= 0 && off + len <= this.snapend;
  }

  /** Throws Truncated unless `len` bytes at `off` were captured. */
  check(off: number, len: number): void {
    if (!this.has(off, len)) throw new Truncated();
  }

  u8(off: number): number {
    if (off < 0 || off >= this.snapend) throw new Truncated();
    return this.data[off]!;
  }

  u16(off: number): number {
    this.check(off, 2);
    return (this.data[off]! << 8) | this.data[off + 1]!;
  }

  u32(off: number): number {
    this.check(off, 4);
    return ((this.data[off]! << 24) | (this.data[off + 1]! << 16) | (this.data[off + 2]! << 8) | this.data[off + 3]!) >>> 0;
  }

  bytes(off: number, len: number): Uint8Array {
    this.check(off, len);
    return this.data.subarray(off, off + len);
  }

  /** Narrow the readable end to `start + len` (never widens), as IP does with its total length. */
  pushSnaplen(start: number, len: number): void {
    this.snapStack.push(this.snapend);
    const end = start + len;
    if (end < this.snapend) this.snapend = end;
  }

  /** Replace the current narrowed end (IPv6 jumbo/zero-length handling). */
  changeSnaplen(start: number, len: number): void {
    const saved = this.snapStack.length > 0 ? this.snapStack[this.snapStack.length - 1]! : this.data.length;
    const end = start + len;
    this.snapend = end < saved ? end : saved;
  }

  popSnaplen(): void {
    const s = this.snapStack.pop();
    if (s !== undefined) this.snapend = s;
  }

  resetSnaplen(): void {
    this.snapStack.length = 0;
    this.snapend = this.data.length;
  }

  /** ` [|proto]`, the mark tcpdump leaves where a packet was cut short. */
  printTrunc(): void {
    this.out(` [|${this.protocol}]`);
  }
}

export function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

export function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}

export function ipv4String(b: Uint8Array, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/**
 * IPv6 text as tcpdump's addrtostr6 writes it: lowercase, no leading zeros,
 * the longest run of two or more zero words (the first on a tie) as `::`,
 * and the embedded-IPv4 forms `::a.b.c.d` and `::ffff:a.b.c.d`.
 */
export function ipv6String(b: Uint8Array, off: number): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((b[off + 2 * i]! << 8) | b[off + 2 * i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestStart = -1;
  const embedded4 = bestStart === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff));
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (bestStart >= 0 && i >= bestStart && i < bestStart + bestLen) {
      if (i === bestStart) s += ':';
      continue;
    }
    if (i !== 0) s += ':';
    if (i === 6 && embedded4) {
      return s + `${b[off + 12]}.${b[off + 13]}.${b[off + 14]}.${b[off + 15]}`;
    }
    s += w[i]!.toString(16);
  }
  if (bestStart >= 0 && bestStart + bestLen === 8) s += ':';
  return s;
}

export function macString(b: Uint8Array, off: number): string {
  const p: string[] = [];
  for (let i = 0; i < 6; i++) p.push(hex2(b[off + i]!));
  return p.join(':');
}

/** Fold a 32-bit ones-complement accumulator to 16 bits. */
function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** Ones-complement sum of bytes [start, end) added to `acc` (unfolded). */
export function sumBytes(b: Uint8Array, start: number, end: number, acc = 0): number {
  let s = acc;
  let i = start;
  for (; i + 1 < end; i += 2) {
    s += (b[i]! << 8) | b[i + 1]!;
    if (s > 0x7fffffff) s = fold(s);
  }
  if (i < end) s += b[i]! << 8;
  return fold(s);
}

/** The checksum result: 0 when the data (including its checksum field) verifies. */
export function cksumResult(acc: number): number {
  return ~fold(acc) & 0xffff;
}

/**
 * What the checksum field should have held, given the field and the non-zero
 * verification result: the field plus the result with end-around carry
 * (tcpdump's in_cksum_shouldbe; RFC 1624's arithmetic).
 */
export function cksumShouldBe(field: number, result: number): number {
  let s = field + result;
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return s;
}
