// Seeded pseudo-random numbers for the simulator.
//
// Generator: xoshiro128** (Blackman & Vigna, 2018), 128 bits of state, 32-bit
// outputs, written from the published description. Everything here is 32-bit
// integer arithmetic (Math.imul, shifts), so a seed gives the same stream on
// every JavaScript engine: a simulated run replays exactly from its seed.
//
// Streams are identified by a 128-bit key: the key of `new Rng(seed)` is a
// hash of the seed, the key of `rng.fork(label)` a hash of the parent's key
// and the label. A fork therefore depends only on where it sits in the tree,
// never on how many numbers the parent has drawn: adding a draw somewhere
// does not shift the streams of other links or hosts.

const TWO_POW_32 = 0x1_0000_0000;
const TWO_POW_26 = 0x400_0000;
const TWO_POW_53 = 2 ** 53;

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A 32-bit avalanche finaliser: every input bit affects every output bit. */
function avalanche(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Lane constants for the four hash lanes (odd, distinct, arbitrary). */
const LANE = [0x9e3779b1, 0x632be5ab, 0x85157af5, 0xd1b54a33] as const;

/** Hash a sequence of 32-bit words into a 128-bit key (four lanes, cross-mixed). */
function hashWords(words: readonly number[]): [number, number, number, number] {
  let a: number = LANE[0] ^ words.length;
  let b: number = LANE[1];
  let c: number = LANE[2];
  let d: number = LANE[3];
  for (const w of words) {
    // Each word goes into every lane with a different multiplier, and the
    // lanes feed one another so that word order matters.
    a = avalanche(a ^ Math.imul(w, LANE[0]));
    b = avalanche(b ^ Math.imul(w, LANE[1]) ^ a);
    c = avalanche(c ^ Math.imul(w, LANE[2]) ^ b);
    d = avalanche(d ^ Math.imul(w, LANE[3]) ^ c);
  }
  a = avalanche(a ^ d);
  b = avalanche(b ^ a);
  c = avalanche(c ^ b);
  d = avalanche(d ^ c);
  return [a, b, c, d];
}

/** Words that stand for a seed or a label (tagged so 7 and "7" differ). */
function encode(v: number | string, what: string): number[] {
  if (typeof v === 'string') {
    const out = [0x5354_5247, v.length];
    for (let i = 0; i < v.length; i++) out.push(v.charCodeAt(i));
    return out;
  }
  if (!Number.isSafeInteger(v)) throw new RangeError(`Rng: ${what} must be a safe integer or a string, got ${v}`);
  const hi = Math.floor(v / TWO_POW_32);
  const lo = v - hi * TWO_POW_32;
  return [0x4e55_4d42, lo >>> 0, hi | 0];
}

type Key = readonly [number, number, number, number];

/** The identity of a forked stream (module-private, so only `fork` makes one). */
class StreamId {
  constructor(
    readonly name: string,
    readonly key: Key,
    /** Start the generator at `key` itself (see `fromState`). */
    readonly raw = false,
  ) {}
}

export class Rng {
  /** Human-readable path of this stream, e.g. `42/ab/loss`. */
  readonly name: string;
  private readonly key: Key;
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** A stream seeded by `seed` (a safe integer or a string). */
  constructor(seed: number | string | StreamId = 0) {
    let raw = false;
    if (seed instanceof StreamId) {
      this.name = seed.name;
      this.key = seed.key;
      raw = seed.raw;
    } else {
      this.name = String(seed);
      this.key = hashWords(encode(seed, 'seed'));
    }
    [this.s0, this.s1, this.s2, this.s3] = this.key;
    if (!raw) this.init();
  }

  /**
   * An independent stream derived from this stream's identity and `label`.
   * The same label always gives the same stream, whatever has been drawn
   * from this one; different labels give unrelated streams.
   */
  fork(label: string | number): Rng {
    return new Rng(new StreamId(`${this.name}/${label}`, hashWords([...this.key, ...encode(label, 'fork label')])));
  }

  /**
   * A bare generator started from an explicit xoshiro128** state (four
   * 32-bit words, not all zero), with no hashing and nothing discarded: for
   * reproducing a published or recorded stream. Its forks work as usual.
   */
  static fromState(state: readonly [number, number, number, number]): Rng {
    for (const w of state) {
      if (!Number.isInteger(w) || w < 0 || w > 0xffffffff) throw new RangeError(`Rng.fromState: words must be uint32, got ${w}`);
    }
    if (state.every((w) => w === 0)) throw new RangeError('Rng.fromState: the all-zero state is not allowed');
    const key: Key = [state[0] | 0, state[1] | 0, state[2] | 0, state[3] | 0];
    return new Rng(new StreamId(`state:${state.join(',')}`, key, true));
  }

  /** The next raw 32-bit output (xoshiro128**), an integer in [0, 2^32). */
  uint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    this.step();
    return result;
  }

  /** xoshiro128**'s state transition: one output's worth. */
  private step(): void {
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
  }

  /** A float in [0, 1) with 53 random bits. Always consumes two outputs. */
  next(): number {
    const a = this.uint32() >>> 5; // 27 bits
    const b = this.uint32() >>> 6; // 26 bits
    return (a * TWO_POW_26 + b) / TWO_POW_53;
  }

  /**
   * `out.length` draws of next(), in order, into `out`: the same numbers as
   * that many calls, without a heap number for each (a busy link draws six
   * per packet).
   */
  fillNext(out: Float64Array): void {
    for (let i = 0; i < out.length; i++) {
      const a = this.uint32() >>> 5;
      const b = this.uint32() >>> 6;
      out[i] = (a * TWO_POW_26 + b) / TWO_POW_53;
    }
  }

  /**
   * Move the stream on by `n` raw outputs, as `n` calls of uint32() would,
   * without returning them: for a consumer that defers draws nobody reads
   * (see sim/link.ts) and must later stand where taking them would have
   * left it.
   */
  discard(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`Rng.discard: n must be a whole number, got ${n}`);
    for (let i = 0; i < n; i++) this.step();
  }

  /**
   * An integer in [0, n). `n` must be a positive safe integer. Consumes one
   * `next()`; the bias of scaling 53 random bits is below 2^-21 for any n
   * under 2^32.
   */
  int(n: number): number {
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`Rng.int: n must be a positive safe integer, got ${n}`);
    return Math.floor(this.next() * n);
  }

  /** An integer in [lo, hi], both ends included. */
  intBetween(lo: number, hi: number): number {
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || hi < lo) {
      throw new RangeError(`Rng.intBetween: need safe integers lo <= hi, got ${lo}, ${hi}`);
    }
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability `p` (0 never, 1 always). Always consumes one `next()`. */
  bool(p: number): boolean {
    return this.next() < p;
  }

  /**
   * A normal-ish value with the given mean and standard deviation: the sum
   * of twelve uniforms minus six (Irwin–Hall), which has variance 1, is
   * bounded to ±6 standard deviations, and needs no transcendental functions
   * (so it is bit-identical on every engine). Consumes twelve `next()`.
   */
  normal(mean = 0, sd = 1): number {
    let s = 0;
    for (let i = 0; i < 12; i++) s += this.next();
    return mean + (s - 6) * sd;
  }

  /** Expand the key into a non-zero state and discard the first outputs. */
  private init(): void {
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = LANE[0];
    this.discard(8);
  }
}
