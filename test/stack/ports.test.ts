import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PortAllocator, DEFAULT_EPHEMERAL_RANGE } from '../../src/stack/ports.js';
import { Rng } from '../../src/sim/rng.js';

const L = Uint8Array.of(10, 0, 0, 1);
const R = Uint8Array.of(10, 0, 0, 2);
const R2 = Uint8Array.of(10, 0, 0, 3);
const any = (): boolean => true;

test('ports stay in the range, and the same seed gives the same ports', () => {
  const run = (seed: number): number[] => {
    const p = new PortAllocator(new Rng(seed));
    return Array.from({ length: 50 }, () => p.select(L, R, 80, any)!);
  };
  const a = run(7);
  assert.deepEqual(a, run(7));
  assert.notDeepEqual(a, run(8));
  for (const port of a) assert.ok(port >= DEFAULT_EPHEMERAL_RANGE[0] && port <= DEFAULT_EPHEMERAL_RANGE[1]);
});

test('RFC 6056 algorithm 4: successive ports to one destination step by one from a secret offset', () => {
  const p = new PortAllocator(new Rng(3), [1000, 1999]);
  const first = p.select(L, R, 80, any)!;
  const second = p.select(L, R, 80, any)!;
  const third = p.select(L, R, 80, any)!;
  const next = (x: number): number => (x === 1999 ? 1000 : x + 1);
  assert.equal(second, next(first));
  assert.equal(third, next(second));
});

test('different destinations start from unrelated offsets', () => {
  const p = new PortAllocator(new Rng(11));
  const starts = new Set<number>();
  for (let port = 1; port <= 20; port++) starts.add(p.select(L, R2, port, any)!);
  // 20 destinations landing on fewer than 15 distinct starting ports in a
  // range of 28232 would mean the offset ignores the destination.
  assert.ok(starts.size >= 15, `only ${starts.size} distinct first ports`);
});

test('unsuitable ports are skipped, and a full range says so', () => {
  const p = new PortAllocator(new Rng(5), [2000, 2009]);
  const taken = new Set<number>();
  for (let i = 0; i < 10; i++) {
    const port = p.select(L, R, 80, (x) => !taken.has(x));
    assert.ok(port !== undefined && !taken.has(port));
    taken.add(port);
  }
  assert.equal(taken.size, 10);
  assert.equal(p.select(L, R, 80, (x) => !taken.has(x)), undefined);
});

test('a bad range is refused', () => {
  assert.throws(() => new PortAllocator(new Rng(1), [0, 10]), RangeError);
  assert.throws(() => new PortAllocator(new Rng(1), [100, 99]), RangeError);
  assert.throws(() => new PortAllocator(new Rng(1), [1, 65536]), RangeError);
});
