// The impairment layer on a fake device and a virtual clock: each
// impairment does what it says (and nothing else), both directions, the
// seed replays, and nothing is delivered after close().

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { NetDevice } from '../../src/link/device.js';
import { impair, type ImpairSpec } from '../../src/link/impair.js';
import { VirtualClock } from '../../src/sim/virtual-clock.js';

/** A device that records what is sent through it and lets a test inject received packets. */
class FakeDevice implements NetDevice {
  readonly mtu = 1500;
  onReceive: ((packet: Uint8Array) => void) | null = null;
  readonly sent: Uint8Array[] = [];
  closed = false;
  send(packet: Uint8Array): void {
    this.sent.push(packet);
  }
  close(): void {
    this.closed = true;
  }
}

/** Packet number i: 8 bytes, the number in the first four (big-endian). */
function pkt(i: number): Uint8Array {
  const p = new Uint8Array(8);
  new DataView(p.buffer).setUint32(0, i);
  p[7] = 0xa5;
  return p;
}

const num = (p: Uint8Array): number => new DataView(p.buffer, p.byteOffset).getUint32(0);

function setup(spec: ImpairSpec, seed: number | string = 1) {
  const clock = new VirtualClock();
  const dev = new FakeDevice();
  const imp = impair(dev, { clock, seed, tx: spec, rx: spec });
  const received: Uint8Array[] = [];
  imp.onReceive = (p) => received.push(p);
  return { clock, dev, imp, received };
}

test('with no impairments every packet passes at once, in order, as the same buffer, both ways', () => {
  const { dev, imp, received, clock } = setup({});
  const out = [pkt(1), pkt(2), pkt(3)];
  for (const p of out) imp.send(p);
  assert.deepEqual(dev.sent, out);
  assert.ok(dev.sent.every((p, i) => p === out[i]));
  const inn = [pkt(7), pkt(8)];
  for (const p of inn) dev.onReceive!(p);
  assert.ok(received.length === 2 && received[0] === inn[0] && received[1] === inn[1]);
  assert.equal(clock.pending, 0, 'no timer for an unimpaired path');
  assert.equal(imp.mtu, 1500);
  assert.deepEqual(imp.stats.tx, { packets: 3, delivered: 3, lost: 0, corrupted: 0, duplicated: 0, reordered: 0, delayed: 0, discarded: 0 });
  assert.equal(imp.stats.rx.delivered, 2);
});

test('loss drops close to the asked fraction, and only drops (order kept, nothing altered)', () => {
  const { dev, imp } = setup({ loss: 0.05 }, 'loss');
  const n = 20_000;
  for (let i = 0; i < n; i++) imp.send(pkt(i));
  const lost = n - dev.sent.length;
  assert.equal(imp.stats.tx.lost, lost);
  // 5% of 20000 is 1000, standard deviation about 31: allow 5 of them.
  assert.ok(Math.abs(lost - 1000) < 155, `lost ${lost} of ${n}`);
  const nums = dev.sent.map(num);
  for (let i = 1; i < nums.length; i++) assert.ok(nums[i]! > nums[i - 1]!);
  assert.ok(dev.sent.every((p) => p[7] === 0xa5 && p.length === 8));
});

test('loss 1 drops everything, loss 0 nothing', () => {
  const all = setup({ loss: 1 });
  for (let i = 0; i < 100; i++) all.imp.send(pkt(i));
  assert.equal(all.dev.sent.length, 0);
  const none = setup({ loss: 0 });
  for (let i = 0; i < 100; i++) none.imp.send(pkt(i));
  assert.equal(none.dev.sent.length, 100);
});

test('a reordered packet is overtaken by exactly reorderGap later packets', () => {
  const { dev, imp, clock } = setup({ reorder: 1, reorderGap: 3 });
  // Every packet is held: nothing passes until the hold times out.
  imp.send(pkt(1));
  assert.equal(dev.sent.length, 0);
  imp.configure('tx', { reorder: 0 });
  for (let i = 2; i <= 6; i++) imp.send(pkt(i));
  assert.deepEqual(dev.sent.map(num), [2, 3, 4, 1, 5, 6]);
  assert.equal(imp.stats.tx.reordered, 1);
  assert.equal(clock.pending, 0, 'the hold timer goes with the last held packet');
});

test('a held packet nobody overtakes leaves after reorderHold µs', () => {
  const { dev, imp, clock } = setup({ reorder: 1, reorderHold: 5000 });
  imp.send(pkt(1));
  clock.runUntil(4999);
  assert.equal(dev.sent.length, 0);
  clock.runUntil(5000);
  assert.deepEqual(dev.sent.map(num), [1]);
});

test('random reordering keeps every packet exactly once and displaces some', () => {
  const { dev, imp, clock } = setup({ reorder: 0.1 }, 7);
  const n = 5000;
  for (let i = 0; i < n; i++) imp.send(pkt(i));
  clock.runUntilIdle();
  const nums = dev.sent.map(num);
  assert.deepEqual([...nums].sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i));
  let inversions = 0;
  for (let i = 1; i < nums.length; i++) if (nums[i]! < nums[i - 1]!) inversions++;
  // 10% of 5000 held (standard deviation about 21); packets held back to
  // back land together, so there are at most as many descents as holds.
  const held = imp.stats.tx.reordered;
  assert.ok(Math.abs(held - 500) < 110, `${held} held`);
  assert.ok(inversions > held / 2 && inversions <= held, `${inversions} descents for ${held} held`);
});

test('duplication delivers a separate, equal copy right after the original', () => {
  const { dev, imp } = setup({ duplicate: 1 });
  const p = pkt(9);
  imp.send(p);
  assert.equal(dev.sent.length, 2);
  assert.deepEqual(dev.sent[0], dev.sent[1]);
  assert.notEqual(dev.sent[0]!.buffer, dev.sent[1]!.buffer);
  assert.equal(imp.stats.tx.duplicated, 1);
});

test('corruption flips exactly one bit; with duplication the copy stays intact', () => {
  const { dev, imp } = setup({ corrupt: 1 }, 3);
  for (let i = 0; i < 200; i++) imp.send(pkt(i));
  for (let i = 0; i < 200; i++) {
    const want = pkt(i);
    let bits = 0;
    for (let k = 0; k < 8; k++) {
      let x = want[k]! ^ dev.sent[i]![k]!;
      for (; x !== 0; x &= x - 1) bits++;
    }
    assert.equal(bits, 1, `packet ${i}`);
  }
  const both = setup({ corrupt: 1, duplicate: 1 }, 4);
  both.imp.send(pkt(5));
  const [a, b] = both.dev.sent;
  assert.notDeepEqual(a, b);
  assert.deepEqual(b, pkt(5), 'the duplicate is the original bytes');
});

test('delay and jitter hold packets on the clock and never reorder them', () => {
  const { dev, imp, clock } = setup({ delay: 10_000, jitter: 5_000 }, 11);
  for (let i = 0; i < 100; i++) {
    imp.send(pkt(i));
    clock.runUntil(clock.now() + 100);
  }
  assert.ok(dev.sent.length <= 1, 'nothing before 10 ms');
  clock.runUntil(100 * 100 + 15_000);
  assert.deepEqual(dev.sent.map(num), Array.from({ length: 100 }, (_, i) => i));
  assert.equal(imp.stats.tx.delayed, 100);
});

test('the same seed replays the same fates; another seed does not', () => {
  const spec = { loss: 0.1, reorder: 0.1, duplicate: 0.05, corrupt: 0.05 };
  const run = (seed: number): string => {
    const { dev, imp, clock } = setup(spec, seed);
    for (let i = 0; i < 2000; i++) imp.send(pkt(i));
    clock.runUntilIdle();
    return dev.sent.map((p) => Buffer.from(p).toString('hex')).join(',');
  };
  assert.equal(run(42), run(42));
  assert.notEqual(run(42), run(43));
});

test('switching one impairment on does not change the fate drawn for another (loss stays the same)', () => {
  const lost = (spec: ImpairSpec): number[] => {
    const { dev, imp, clock } = setup(spec, 5);
    for (let i = 0; i < 3000; i++) imp.send(pkt(i));
    clock.runUntilIdle();
    const seen = new Set(dev.sent.map(num));
    return Array.from({ length: 3000 }, (_, i) => i).filter((i) => !seen.has(i));
  };
  assert.deepEqual(lost({ loss: 0.05, duplicate: 0.2, reorder: 0.2 }), lost({ loss: 0.05 }));
});

test('tx and rx draw from separate streams and are counted apart', () => {
  const clock = new VirtualClock();
  const dev = new FakeDevice();
  const imp = impair(dev, { clock, seed: 9, tx: { loss: 1 } });
  const got: Uint8Array[] = [];
  imp.onReceive = (p) => got.push(p);
  imp.send(pkt(1));
  dev.onReceive!(pkt(2));
  assert.equal(dev.sent.length, 0);
  assert.deepEqual(got.map(num), [2]);
  assert.equal(imp.stats.tx.lost, 1);
  assert.equal(imp.stats.rx.lost, 0);
});

test('close() discards held packets, stops timers, closes the device and ignores later sends', () => {
  const { dev, imp, clock } = setup({ delay: 1000, reorder: 0.5 }, 2);
  for (let i = 0; i < 20; i++) imp.send(pkt(i));
  imp.close();
  clock.runUntilIdle();
  assert.equal(dev.sent.length, 0);
  assert.ok(dev.closed);
  assert.equal(imp.stats.tx.discarded, 20);
  imp.send(pkt(99));
  assert.equal(dev.sent.length, 0);
});

test('bad options are refused with the name of what is wrong', () => {
  const clock = new VirtualClock();
  assert.throws(() => impair(new FakeDevice(), { clock, tx: { loss: 1.5 } }), /tx\.loss must be a probability/);
  assert.throws(() => impair(new FakeDevice(), { clock, rx: { delay: -1 } }), /rx\.delay must be a whole number/);
  assert.throws(() => impair(new FakeDevice(), { clock, rx: { reorderGap: 0 } }), /rx\.reorderGap/);
});

test('property: without loss, every packet arrives at least once, unaltered unless corrupted, after the clock runs out', () => {
  fc.assert(
    fc.property(
      fc.record({
        reorder: fc.double({ min: 0, max: 1, noNaN: true }),
        duplicate: fc.double({ min: 0, max: 1, noNaN: true }),
        delay: fc.integer({ min: 0, max: 5000 }),
        jitter: fc.integer({ min: 0, max: 5000 }),
        reorderGap: fc.integer({ min: 1, max: 5 }),
      }),
      fc.integer(),
      fc.integer({ min: 1, max: 300 }),
      (spec, seed, n) => {
        const { dev, imp, clock } = setup(spec, seed);
        for (let i = 0; i < n; i++) {
          imp.send(pkt(i));
          if (i % 7 === 0) clock.runUntil(clock.now() + 500);
        }
        clock.runUntilIdle();
        const counts = new Map<number, number>();
        for (const p of dev.sent) {
          assert.deepEqual(p, pkt(num(p)));
          counts.set(num(p), (counts.get(num(p)) ?? 0) + 1);
        }
        for (let i = 0; i < n; i++) assert.ok((counts.get(i) ?? 0) >= 1, `packet ${i} missing`);
        assert.equal(dev.sent.length, n + imp.stats.tx.duplicated);
      },
    ),
    { numRuns: 200 },
  );
});
