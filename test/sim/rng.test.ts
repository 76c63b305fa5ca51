import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Rng } from '../../src/sim/rng.js';

function take(r: Rng, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(r.uint32());
  return out;
}

/** Fraction of differing bits between two equally long uint32 streams. */
function bitDifference(a: number[], b: number[]): number {
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    let x = (a[i]! ^ b[i]!) >>> 0;
    while (x !== 0) {
      diff += x & 1;
      x >>>= 1;
    }
  }
  return diff / (a.length * 32);
}

test('the generator is xoshiro128** (outputs computed independently from the published algorithm)', () => {
  assert.deepEqual(take(Rng.fromState([1, 2, 3, 4]), 6), [11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  assert.deepEqual(
    take(Rng.fromState([0xdeadbeef, 0x01234567, 0x89abcdef, 0xfeedface]), 6),
    [2576977298, 1162350735, 3441682048, 1347432117, 3370940770, 2425394401],
  );
  assert.throws(() => Rng.fromState([0, 0, 0, 0]), RangeError);
});

test('property: the same seed gives the same stream', () => {
  fc.assert(
    fc.property(fc.oneof(fc.maxSafeInteger(), fc.integer(), fc.string()), (seed) => {
      const a = new Rng(seed);
      const b = new Rng(seed);
      assert.deepEqual(take(a, 50), take(b, 50));
      assert.equal(a.next(), b.next());
      assert.equal(a.int(1000), b.int(1000));
    }),
  );
});

test('different seeds give unrelated streams', () => {
  const seeds: Array<number | string> = [0, 1, 2, -1, 2 ** 32, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER, '1', '', 'a'];
  const streams = seeds.map((s) => take(new Rng(s), 64));
  for (let i = 0; i < seeds.length; i++) {
    for (let j = i + 1; j < seeds.length; j++) {
      const d = bitDifference(streams[i]!, streams[j]!);
      assert.ok(d > 0.4 && d < 0.6, `seeds ${String(seeds[i])} and ${String(seeds[j])}: ${d} of bits differ`);
    }
  }
});

test('a seed must be a safe integer or a string', () => {
  assert.throws(() => new Rng(1.5), RangeError);
  assert.throws(() => new Rng(Number.NaN), RangeError);
  assert.throws(() => new Rng(2 ** 60), RangeError);
});

test('fork: same label, same stream, whatever the parent has drawn', () => {
  const p1 = new Rng(42);
  const p2 = new Rng(42);
  take(p2, 1000);
  assert.deepEqual(take(p1.fork('ab'), 20), take(p2.fork('ab'), 20));
  assert.deepEqual(take(p1.fork(3), 20), take(p2.fork(3), 20));
  assert.equal(p1.fork('ab').fork('loss').name, '42/ab/loss');
});

test('fork: streams of different labels, and of parent and child, are independent', () => {
  const root = new Rng(7);
  const streams = {
    root: take(new Rng(7), 256),
    ab: take(root.fork('ab'), 256),
    ba: take(root.fork('ba'), 256),
    n7: take(root.fork(7), 256),
    s7: take(root.fork('7'), 256),
    abba: take(root.fork('ab').fork('ba'), 256),
    baab: take(root.fork('ba').fork('ab'), 256),
    otherRootAb: take(new Rng(8).fork('ab'), 256),
  };
  const names = Object.keys(streams) as Array<keyof typeof streams>;
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const d = bitDifference(streams[names[i]!], streams[names[j]!]);
      assert.ok(d > 0.45 && d < 0.55, `${names[i]} vs ${names[j]}: ${d} of bits differ`);
    }
  }
});

test('property: fillNext writes the numbers that as many next() calls return, and leaves the stream where they would', () => {
  fc.assert(
    fc.property(fc.integer(), fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 5 }), (seed, n, skip) => {
      const a = new Rng(seed);
      const b = new Rng(seed);
      for (let i = 0; i < skip; i++) {
        a.next();
        b.next();
      }
      const out = new Float64Array(n);
      a.fillNext(out);
      assert.deepEqual([...out], Array.from({ length: n }, () => b.next()));
      assert.equal(a.uint32(), b.uint32());
    }),
  );
});

test('property: discard(n) leaves the stream where n uint32() calls would', () => {
  fc.assert(
    fc.property(fc.integer(), fc.integer({ min: 0, max: 300 }), (seed, n) => {
      const a = new Rng(seed);
      const b = new Rng(seed);
      a.discard(n);
      for (let i = 0; i < n; i++) b.uint32();
      for (let i = 0; i < 4; i++) assert.equal(a.uint32(), b.uint32());
    }),
  );
  assert.throws(() => new Rng(1).discard(-1), RangeError);
  assert.throws(() => new Rng(1).discard(1.5), RangeError);
});

test('next() is uniform on [0, 1)', () => {
  const r = new Rng(1);
  const n = 100_000;
  const buckets = new Array<number>(10).fill(0);
  let sum = 0;
  let min = 1;
  let max = 0;
  for (let i = 0; i < n; i++) {
    const x = r.next();
    assert.ok(x >= 0 && x < 1);
    sum += x;
    min = Math.min(min, x);
    max = Math.max(max, x);
    buckets[Math.floor(x * 10)]!++;
  }
  assert.ok(Math.abs(sum / n - 0.5) < 0.005, `mean ${sum / n}`);
  assert.ok(min < 0.001 && max > 0.999);
  // Chi-square with 9 degrees of freedom: 27.9 is the 0.999 quantile.
  const chi2 = buckets.reduce((acc, b) => acc + (b - n / 10) ** 2 / (n / 10), 0);
  assert.ok(chi2 < 27.9, `chi-square ${chi2}`);
});

test('int(n) covers [0, n) evenly and checks n', () => {
  const r = new Rng('int');
  const counts = new Array<number>(6).fill(0);
  for (let i = 0; i < 60_000; i++) {
    const k = r.int(6);
    assert.ok(Number.isInteger(k) && k >= 0 && k < 6);
    counts[k]!++;
  }
  for (const c of counts) assert.ok(Math.abs(c - 10_000) < 400, `count ${c}`);
  assert.equal(r.int(1), 0);
  assert.throws(() => r.int(0), RangeError);
  assert.throws(() => r.int(2.5), RangeError);
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) seen.add(r.intBetween(-3, 3));
  assert.deepEqual([...seen].sort((a, b) => a - b), [-3, -2, -1, 0, 1, 2, 3]);
});

test('bool(p) is true with probability p; 0 and 1 are exact', () => {
  const r = new Rng(99);
  let t = 0;
  for (let i = 0; i < 100_000; i++) if (r.bool(0.3)) t++;
  assert.ok(Math.abs(t / 100_000 - 0.3) < 0.006, `frequency ${t / 100_000}`);
  for (let i = 0; i < 10_000; i++) {
    assert.equal(r.bool(0), false);
    assert.equal(r.bool(1), true);
  }
});

test('normal(mean, sd) has the right mean and spread and is bounded', () => {
  const r = new Rng(5);
  const n = 50_000;
  let sum = 0;
  let sq = 0;
  let within1 = 0;
  for (let i = 0; i < n; i++) {
    const x = r.normal(100, 10);
    assert.ok(x >= 40 && x <= 160);
    sum += x;
    sq += x * x;
    if (Math.abs(x - 100) <= 10) within1++;
  }
  const mean = sum / n;
  const sd = Math.sqrt(sq / n - mean * mean);
  assert.ok(Math.abs(mean - 100) < 0.2, `mean ${mean}`);
  assert.ok(Math.abs(sd - 10) < 0.2, `sd ${sd}`);
  // About 68% of a normal distribution lies within one standard deviation.
  assert.ok(Math.abs(within1 / n - 0.6827) < 0.01, `within one sd: ${within1 / n}`);
});

test('every method consumes a fixed number of outputs', () => {
  // What a caller draws must not depend on the values drawn, so that
  // decisions taken later in a run stay aligned.
  const ref = take(new Rng(3), 40);
  const check = (draw: (r: Rng) => void, outputs: number): void => {
    const r = new Rng(3);
    draw(r);
    assert.equal(r.uint32(), ref[outputs]);
  };
  check((r) => r.next(), 2);
  check((r) => r.int(1_000_000_007), 2);
  check((r) => r.bool(0), 2);
  check((r) => r.bool(1), 2);
  check((r) => r.normal(), 24);
});
