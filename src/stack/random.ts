// Randomness is injected, like time: a seeded generator in simulation (the
// simulator's Rng fits this interface), the platform's in production.

export interface RandomSource {
  /** A uniformly distributed integer in [0, 2^32). */
  uint32(): number;
}

/**
 * The platform's cryptographic generator (Web Crypto's getRandomValues,
 * present in browsers, Deno, Bun and Node ≥ 19 as `globalThis.crypto`).
 */
export class PlatformRandom implements RandomSource {
  private readonly pool = new Uint32Array(64);
  private left = 0;

  constructor() {
    if (typeof globalThis.crypto?.getRandomValues !== 'function') {
      throw new Error('no globalThis.crypto.getRandomValues here: pass a RandomSource to the Stack');
    }
  }

  uint32(): number {
    if (this.left === 0) {
      globalThis.crypto.getRandomValues(this.pool);
      this.left = this.pool.length;
    }
    return this.pool[--this.left]!;
  }
}

/** `n` random bytes from `rng`. */
export function randomBytes(rng: RandomSource, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 4) {
    const w = rng.uint32();
    for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = w >>> (8 * j);
  }
  return out;
}
