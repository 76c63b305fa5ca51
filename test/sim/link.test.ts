import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { VirtualClock } from '../../src/sim/virtual-clock.js';
import { Rng } from '../../src/sim/rng.js';
import { Link, type LinkOptions, type LinkEvent } from '../../src/sim/link.js';

/** A packet of `len` bytes whose first four bytes hold `id` (big-endian). */
function pkt(id: number, len = 100): Uint8Array {
  const p = new Uint8Array(len);
  for (let i = 4; i < len; i++) p[i] = (id * 31 + i) & 0xff;
  new DataView(p.buffer).setUint32(0, id);
  return p;
}

function idOf(p: Uint8Array): number {
  return new DataView(p.buffer, p.byteOffset).getUint32(0);
}

interface Arrival {
  id: number;
  at: number;
  packet: Uint8Array;
}

function setup(opts: LinkOptions, seed: number | string = 1): { clock: VirtualClock; link: Link; got: Arrival[] } {
  const clock = new VirtualClock();
  const got: Arrival[] = [];
  const link = new Link(clock, new Rng(seed), opts, (p) => got.push({ id: idOf(p), at: clock.now(), packet: p }));
  return { clock, link, got };
}

/** Send packets 1..n, `gap` µs apart starting at `start`. */
function sendSeries(clock: VirtualClock, link: Link, n: number, gap: number, len = 100, start = 0): void {
  for (let i = 1; i <= n; i++) clock.setTimer(start + (i - 1) * gap, () => link.send(pkt(i, len)));
}

test('a packet arrives after exactly the propagation delay, as the same buffer', () => {
  const { clock, link, got } = setup({ delay: 5000 });
  const p = pkt(1);
  clock.setTimer(250, () => link.send(p));
  clock.runUntil(5249);
  assert.equal(got.length, 0);
  clock.runUntil(5250);
  assert.equal(got.length, 1);
  assert.equal(got[0]!.at, 5250);
  assert.equal(got[0]!.packet, p);
  assert.deepEqual(link.stats, {
    sent: 1,
    delivered: 1,
    dropped: { mtu: 0, queue: 0, scripted: 0, loss: 0, noReceiver: 0 },
    duplicated: 0,
    corrupted: 0,
    reordered: 0,
    delayed: 0,
    ecnMarked: 0,
  });
});

test('bandwidth: 1000-byte packets at 8 Mbit/s leave 1 ms apart', () => {
  const { clock, link, got } = setup({ bandwidth: 8_000_000, delay: 10_000 });
  for (let i = 1; i <= 5; i++) link.send(pkt(i, 1000));
  clock.runUntilIdle();
  // 8000 bits / 8e6 bit/s = 1000 µs each, queued back to back, then 10 ms of propagation.
  assert.deepEqual(
    got.map((a) => [a.id, a.at]),
    [
      [1, 11_000],
      [2, 12_000],
      [3, 13_000],
      [4, 14_000],
      [5, 15_000],
    ],
  );
  // An idle transmitter starts at once.
  clock.runUntil(100_000);
  link.send(pkt(6, 1000));
  clock.runUntilIdle();
  assert.equal(got[5]!.at, 111_000);
});

test('bandwidth: serialization that is not a whole number of µs does not drift', () => {
  // 100 bytes at 3 Mbit/s take 800/3 µs; packet k's last bit leaves at 800k/3 µs,
  // delivered at the next whole µs: ceil(800k/3) = floor((800k + 2) / 3).
  const { clock, link, got } = setup({ bandwidth: 3_000_000, queueLimit: 3000 });
  const n = 3000;
  for (let i = 1; i <= n; i++) link.send(pkt(i, 100));
  clock.runUntilIdle();
  assert.equal(got.length, n);
  for (let k = 1; k <= n; k++) assert.equal(got[k - 1]!.at, Math.floor((800 * k + 2) / 3), `packet ${k}`);
  assert.equal(got[n - 1]!.at, 800_000);
});

test('queue: a full transmitter queue drops at the tail', () => {
  const { clock, link, got } = setup({ bandwidth: 8_000_000, queueLimit: 3 });
  for (let i = 1; i <= 10; i++) link.send(pkt(i, 1000));
  // Packet 1 is being serialized, 2..4 wait, 5..10 find the queue full.
  assert.equal(link.queued(), 3);
  assert.equal(link.stats.dropped.queue, 6);
  clock.runUntil(1500); // packet 2 started at 1000
  assert.equal(link.queued(), 2);
  link.send(pkt(11, 1000)); // room for one
  link.send(pkt(12, 1000)); // full again
  assert.equal(link.stats.dropped.queue, 7);
  clock.runUntilIdle();
  assert.deepEqual(
    got.map((a) => [a.id, a.at]),
    [
      [1, 1000],
      [2, 2000],
      [3, 3000],
      [4, 4000],
      [11, 5000],
    ],
  );
  assert.equal(link.queued(), 0);
});

test('queue: a limit of 0 accepts a packet only when the transmitter is idle', () => {
  const { clock, link, got } = setup({ bandwidth: 8_000_000, queueLimit: 0 });
  link.send(pkt(1, 1000));
  link.send(pkt(2, 1000));
  clock.runUntil(1000);
  link.send(pkt(3, 1000));
  clock.runUntilIdle();
  assert.deepEqual(
    got.map((a) => a.id),
    [1, 3],
  );
  assert.equal(link.stats.dropped.queue, 1);
});

test('mtu: longer packets are dropped and counted, packets of exactly the MTU pass', () => {
  const { clock, link, got } = setup({ mtu: 1500 });
  link.send(pkt(1, 1500));
  link.send(pkt(2, 1501));
  link.send(pkt(3, 9000));
  link.send(pkt(4, 20));
  clock.runUntilIdle();
  assert.deepEqual(
    got.map((a) => a.id),
    [1, 4],
  );
  assert.equal(link.stats.dropped.mtu, 2);
  assert.equal(link.stats.sent, 4);
});

test('loss: the rate over 10000 packets is close to the probability', () => {
  const { clock, link, got } = setup({ loss: 0.1, delay: 1000 }, 2024);
  sendSeries(clock, link, 10_000, 10);
  clock.runUntilIdle();
  const lost = 10_000 - got.length;
  assert.equal(link.stats.dropped.loss, lost);
  assert.equal(link.stats.delivered, got.length);
  assert.ok(lost > 900 && lost < 1100, `lost ${lost}`);
  // Survivors keep their order and their timing.
  for (let i = 1; i < got.length; i++) assert.ok(got[i]!.id > got[i - 1]!.id);
  for (const a of got) assert.equal(a.at, (a.id - 1) * 10 + 1000);
});

test('scripted: drop(3) drops exactly the third packet', () => {
  const { clock, link, got } = setup({ delay: 100 });
  sendSeries(clock, link, 5, 1000);
  link.drop(3);
  clock.runUntilIdle();
  assert.deepEqual(
    got.map((a) => a.id),
    [1, 2, 4, 5],
  );
  assert.equal(link.stats.dropped.scripted, 1);
});

test('scripted: dropWhere sees the bytes and the packet number, at most `times` times', () => {
  const { clock, link, got } = setup({});
  const seen: number[] = [];
  // Drop the first two packets whose id is even.
  link.dropWhere((p, index) => {
    seen.push(index);
    return idOf(p) % 2 === 0;
  }, 2);
  sendSeries(clock, link, 8, 10);
  clock.runUntilIdle();
  assert.deepEqual(
    got.map((a) => a.id),
    [1, 3, 5, 6, 7, 8],
  );
  assert.deepEqual(seen, [1, 2, 3, 4]); // no longer consulted once used up
});

test('scripted: a scripted drop wins over random loss and is counted as scripted', () => {
  const { clock, link } = setup({ loss: 1 });
  link.drop(1);
  sendSeries(clock, link, 3, 10);
  clock.runUntilIdle();
  assert.equal(link.stats.dropped.scripted, 1);
  assert.equal(link.stats.dropped.loss, 2);
});

test('scripted: a packet lost on the wire still used the transmitter', () => {
  const { clock, link, got } = setup({ bandwidth: 8_000_000 });
  link.drop(1);
  link.send(pkt(1, 1000));
  link.send(pkt(2, 1000));
  clock.runUntilIdle();
  assert.deepEqual(
    got.map((a) => [a.id, a.at]),
    [[2, 2000]],
  );
});

test('scripted: delay(2, 10 s) holds one packet back and lets the others pass', () => {
  const { clock, link, got } = setup({ delay: 20_000 });
  sendSeries(clock, link, 4, 1000);
  link.delay(2, 10_000_000);
  clock.runUntilIdle();
  assert.deepEqual(
    got.map((a) => [a.id, a.at]),
    [
      [1, 20_000],
      [3, 22_000],
      [4, 23_000],
      [2, 10_021_000],
    ],
  );
  assert.equal(link.stats.delayed, 1);
});

test('scripted: dup(2) delivers packet 2 twice, as two buffers', () => {
  const clock = new VirtualClock();
  const got: Array<{ id: number; at: number; packet: Uint8Array }> = [];
  const link = new Link(clock, new Rng(1), { delay: 300 }, (p) => {
    got.push({ id: idOf(p), at: clock.now(), packet: p });
    p.fill(0xee); // a receiver that scribbles on what it gets
  });
  const sent = [pkt(1), pkt(2), pkt(3)];
  link.dup(2);
  sent.forEach((p, i) => clock.setTimer(i * 10, () => link.send(p)));
  clock.runUntilIdle();
  assert.deepEqual(
    got.map((a) => [a.id, a.at]),
    [
      [1, 300],
      [2, 310],
      [2, 310],
      [3, 320],
    ],
  );
  assert.notEqual(got[1]!.packet, got[2]!.packet);
  assert.equal(link.stats.duplicated, 1);
  assert.equal(link.stats.delivered, 4);
});

test('duplicate copies carry the original bytes', () => {
  const clock = new VirtualClock();
  const copies: Uint8Array[] = [];
  const link = new Link(clock, new Rng(1), {}, (p) => {
    copies.push(p.slice());
    p.fill(0);
  });
  const p = pkt(7, 64);
  const expected = p.slice();
  link.dup(1);
  link.send(p);
  clock.runUntilIdle();
  assert.equal(copies.length, 2);
  assert.deepEqual(copies[0], expected);
  assert.deepEqual(copies[1], expected);
});

test('random duplication happens at about the given rate', () => {
  const { clock, link, got } = setup({ duplicate: 0.05 }, 'dup');
  sendSeries(clock, link, 10_000, 5);
  clock.runUntilIdle();
  const extra = got.length - 10_000;
  assert.equal(link.stats.duplicated, extra);
  assert.ok(extra > 420 && extra < 580, `duplicates ${extra}`);
  const ids = new Set(got.map((a) => a.id));
  assert.equal(ids.size, 10_000);
});

function differingBits(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    let x = a[i]! ^ b[i]!;
    while (x !== 0) {
      n += x & 1;
      x >>= 1;
    }
  }
  return n;
}

test('corruption flips exactly one bit, in a copy, and says which', () => {
  const { clock, link, got } = setup({ corrupt: 1 }, 11);
  const events: LinkEvent[] = [];
  link.watch((e) => events.push(e));
  const sent: Uint8Array[] = [];
  const originals: Uint8Array[] = [];
  for (let i = 1; i <= 200; i++) {
    const p = pkt(i, 40);
    sent.push(p);
    originals.push(p.slice());
    link.send(p);
  }
  clock.runUntilIdle();
  assert.equal(got.length, 200);
  assert.equal(link.stats.corrupted, 200);
  const positions = new Set<number>();
  const deliveries = events.filter((e) => e.kind === 'deliver');
  for (let i = 0; i < 200; i++) {
    const delivered = got[i]!.packet;
    assert.equal(differingBits(delivered, originals[i]!), 1, `packet ${i + 1}`);
    assert.notEqual(delivered, sent[i]);
    assert.deepEqual(sent[i], originals[i]); // the sender's bytes are untouched
    const e = deliveries[i]!;
    assert.ok(e.kind === 'deliver' && e.corruptedBit !== undefined);
    const bit = e.corruptedBit;
    assert.equal(delivered[bit >> 3]! ^ originals[i]![bit >> 3]!, 0x80 >> (bit & 7));
    positions.add(bit);
  }
  // The flipped bit is spread over the packet (320 bits), not stuck in one place.
  assert.ok(positions.size > 100, `${positions.size} distinct positions`);
});

test('corruption at a rate, and scripted corrupt(n)', () => {
  const { clock, link } = setup({ corrupt: 0.02 }, 'c');
  link.corrupt(5);
  // The packet's own bytes may be the corrupted ones: identify it by its number on the link.
  const delivered: Array<{ index: number; packet: Uint8Array }> = [];
  link.watch((e) => {
    if (e.kind === 'deliver') delivered.push({ index: e.index, packet: e.packet });
  });
  const originals: Uint8Array[] = [];
  for (let i = 1; i <= 10_000; i++) {
    const p = pkt(i, 20);
    originals[i] = p.slice();
    link.send(p);
  }
  clock.runUntilIdle();
  assert.equal(delivered.length, 10_000);
  const bad = delivered.filter((d) => differingBits(d.packet, originals[d.index]!) !== 0);
  for (const d of bad) assert.equal(differingBits(d.packet, originals[d.index]!), 1);
  assert.equal(bad.length, link.stats.corrupted);
  assert.ok(bad.length > 160 && bad.length < 240, `corrupted ${bad.length}`);
  assert.ok(bad.some((d) => d.index === 5));
});

test('reorder: picked packets arrive reorderDelay late and are overtaken', () => {
  const { clock, link, got } = setup({ delay: 10_000, reorder: 0.2, reorderDelay: 5000 }, 3);
  sendSeries(clock, link, 500, 1000);
  clock.runUntilIdle();
  assert.equal(got.length, 500);
  const late = got.filter((a) => a.at === (a.id - 1) * 1000 + 10_000 + 5000);
  const onTime = got.filter((a) => a.at === (a.id - 1) * 1000 + 10_000);
  assert.equal(late.length + onTime.length, 500);
  assert.equal(late.length, link.stats.reordered);
  assert.ok(late.length > 70 && late.length < 130, `reordered ${late.length}`);
  let inversions = 0;
  for (let i = 1; i < got.length; i++) if (got[i]!.id < got[i - 1]!.id) inversions++;
  assert.ok(inversions > 0);
  // Packets not picked keep their relative order.
  for (let i = 1; i < onTime.length; i++) assert.ok(onTime[i]!.id > onTime[i - 1]!.id);
});

test('jitter spreads arrival times but never reorders', () => {
  const { clock, link, got } = setup({ delay: 1000, jitter: 5000 }, 8);
  sendSeries(clock, link, 2000, 100);
  clock.runUntilIdle();
  assert.equal(got.length, 2000);
  const extra = new Set<number>();
  for (let i = 0; i < got.length; i++) {
    const a = got[i]!;
    assert.equal(a.id, i + 1);
    const sentAt = (a.id - 1) * 100;
    assert.ok(a.at >= sentAt + 1000, `packet ${a.id} early`);
    if (i > 0) assert.ok(a.at >= got[i - 1]!.at);
    extra.add(a.at - sentAt - 1000);
  }
  assert.ok(extra.size > 100, 'jitter varies');
  // Packets sent 10 ms apart are never held back by their predecessor:
  // their delay is uniform on [1000, 6000].
  const spaced = setup({ delay: 1000, jitter: 5000 }, 9);
  sendSeries(spaced.clock, spaced.link, 4000, 10_000);
  spaced.clock.runUntilIdle();
  const delays = spaced.got.map((a) => a.at - (a.id - 1) * 10_000);
  assert.ok(Math.min(...delays) >= 1000 && Math.min(...delays) < 1020, `min ${Math.min(...delays)}`);
  assert.ok(Math.max(...delays) <= 6000 && Math.max(...delays) > 5980, `max ${Math.max(...delays)}`);
  const mean = delays.reduce((s, d) => s + d, 0) / delays.length;
  assert.ok(Math.abs(mean - 3500) < 100, `mean delay ${mean}`);
});

test('a link without a receiver drops what arrives', () => {
  const clock = new VirtualClock();
  const link = new Link(clock, new Rng(1), { delay: 10 });
  link.send(pkt(1));
  clock.runUntilIdle();
  assert.equal(link.stats.dropped.noReceiver, 1);
  assert.equal(link.stats.delivered, 0);
});

test('configure changes the impairments from now on', () => {
  const { clock, link, got } = setup({ delay: 1000 });
  sendSeries(clock, link, 10, 100);
  clock.setTimer(450, () => link.configure({ loss: 1 }));
  clock.setTimer(750, () => link.configure({ loss: 0 }));
  clock.runUntilIdle();
  // Packets sent at 500, 600, 700 were lost; the delay option was kept.
  assert.deepEqual(
    got.map((a) => [a.id, a.at]),
    [
      [1, 1000],
      [2, 1100],
      [3, 1200],
      [4, 1300],
      [5, 1400],
      [9, 1800],
      [10, 1900],
    ],
  );
  assert.deepEqual(link.config, { delay: 1000, loss: 0 });
});

test('watch reports send, drop and deliver events and can be stopped', () => {
  const { clock, link } = setup({ delay: 50, mtu: 100 });
  const events: string[] = [];
  const stop = link.watch((e) => events.push(`${e.kind}:${e.index}@${e.time}${e.kind === 'drop' ? `:${e.reason}` : ''}`));
  link.drop(2);
  link.send(pkt(1));
  link.send(pkt(2));
  link.send(pkt(3, 101));
  clock.runUntilIdle();
  stop();
  link.send(pkt(4));
  clock.runUntilIdle();
  assert.deepEqual(events, ['send:1@0', 'send:2@0', 'drop:2@0:scripted', 'send:3@0', 'drop:3@0:mtu', 'deliver:1@50']);
});

test('bad options are refused with a RangeError', () => {
  const clock = new VirtualClock();
  const bad: LinkOptions[] = [
    { delay: -1 },
    { delay: 1.5 },
    { jitter: -3 },
    { loss: 1.1 },
    { loss: Number.NaN },
    { duplicate: -0.1 },
    { bandwidth: -1 },
    { bandwidth: 1.5 },
    { queueLimit: -1 },
    { mtu: -1 },
  ];
  for (const o of bad) assert.throws(() => new Link(clock, new Rng(1), o), RangeError, JSON.stringify(o));
  const link = new Link(clock, new Rng(1));
  assert.throws(() => link.drop(0), RangeError);
  assert.throws(() => link.delay(1, -5), RangeError);
  assert.throws(() => link.configure({ loss: 2 }), RangeError);
});

/** Everything observable about a run, as text. */
function runLog(seed: number, opts: LinkOptions, script: (l: Link) => void = () => {}): string[] {
  const clock = new VirtualClock();
  const log: string[] = [];
  const link = new Link(clock, new Rng(seed), opts, () => {});
  script(link);
  link.watch((e) => {
    const hex = Buffer.from(e.packet).toString('hex');
    log.push(`${e.time} ${e.kind} ${e.index} ${e.kind === 'drop' ? e.reason : ''} ${hex}`);
  });
  const shape = new Rng(seed).fork('traffic');
  let t = 0;
  for (let i = 1; i <= 200; i++) {
    t += shape.int(3000);
    const len = 20 + shape.int(1480);
    clock.setTimer(t, () => link.send(pkt(i, len)));
  }
  clock.runUntilIdle();
  return log;
}

const everything: LinkOptions = {
  delay: 20_000,
  jitter: 4000,
  loss: 0.1,
  duplicate: 0.05,
  reorder: 0.05,
  corrupt: 0.05,
  bandwidth: 2_000_000,
  queueLimit: 8,
  mtu: 1400,
};

test('property: the same seed replays an identical delivery log', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 31 }), (seed) => {
      const a = runLog(seed, everything);
      const b = runLog(seed, everything);
      assert.ok(a.length > 200);
      assert.deepEqual(a, b);
    }),
    { numRuns: 30 },
  );
  assert.notDeepEqual(runLog(1, everything), runLog(2, everything));
});

test('a scripted fault does not change the random fate of any other packet', () => {
  const opts: LinkOptions = { delay: 1000, loss: 0.2, duplicate: 0.1, corrupt: 0.1, reorder: 0.1 };
  const strip = (log: string[]): string[] => log.filter((l) => !/ (send|drop|deliver) 37 /.test(l));
  const plain = runLog(77, opts);
  const scripted = runLog(77, opts, (l) => l.drop(37));
  assert.notDeepEqual(plain, scripted);
  assert.deepEqual(strip(scripted), strip(plain));
});

test('draws owed while nothing random is on are the same numbers once loss and a scripted corruption need them', () => {
  // The reference takes every packet's six draws in turn, as the header
  // comment of sim/link.ts promises: loss is the first, the corrupted bit the fourth.
  const clock = new VirtualClock();
  const dropped: number[] = [];
  const bits = new Map<number, number>();
  const link = new Link(clock, new Rng(5).fork('l'), {}, () => {});
  link.watch((e) => {
    if (e.kind === 'drop') dropped.push(e.index);
    if (e.kind === 'deliver' && e.corruptedBit !== undefined) bits.set(e.index, e.corruptedBit);
  });
  for (let i = 1; i <= 400; i++) {
    // Nothing random and nothing scripted for packets 1-199 (their draws
    // are owed); loss and a scripted corruption from 200 on; neither from
    // 300 on (owed again), until a corruption is scripted at 320.
    if (i === 200) {
      link.configure({ loss: 0.3 });
      link.corrupt(260);
    }
    if (i === 300) {
      link.configure({ loss: 0 });
      link.clearScript();
    }
    if (i === 320) link.corrupt(330);
    link.send(pkt(i, 40));
  }
  clock.runUntilIdle();
  const ref = new Rng(5).fork('l');
  const u = new Float64Array(6);
  const wantDropped: number[] = [];
  const wantBits = new Map<number, number>();
  for (let i = 1; i <= 400; i++) {
    ref.fillNext(u);
    const lost = i >= 200 && i < 300 && u[0]! < 0.3;
    if (lost) wantDropped.push(i);
    if (!lost && (i === 260 || i === 330)) wantBits.set(i, Math.floor(u[3]! * 40 * 8));
  }
  assert.ok(wantDropped.length > 15 && wantDropped.length < 45, `${wantDropped.length} of 100 lost`);
  assert.deepEqual(dropped, wantDropped);
  assert.deepEqual([...bits], [...wantBits]);
});

/** A link whose receiver logs packet ids and, as 'end', the end of each batch. */
function batchSetup(opts: LinkOptions): { clock: VirtualClock; link: Link; log: Array<number | 'end'> } {
  const clock = new VirtualClock();
  const log: Array<number | 'end'> = [];
  const link = new Link(clock, new Rng(1), opts, (p) => log.push(idOf(p)));
  link.batchEnd = () => log.push('end');
  return { clock, link, log };
}

test('batch: packets due at the same instant arrive as batches of at most 64, each closed by batchEnd', () => {
  const { clock, link, log } = batchSetup({ delay: 1000, batch: true });
  clock.setTimer(0, () => {
    for (let i = 1; i <= 100; i++) link.send(pkt(i));
  });
  clock.setTimer(10, () => link.send(pkt(101)));
  clock.runUntil(1009);
  const ids = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
  assert.deepEqual(log, [...ids(1, 64), 'end', ...ids(65, 100), 'end']);
  clock.runUntil(1010);
  assert.deepEqual(log.slice(-2), [101, 'end']);
  assert.equal(link.stats.delivered, 101);
});

test('batch: a reordered packet still arrives late, in a batch of its own time', () => {
  const { clock, link, log } = batchSetup({ delay: 100, batch: true });
  link.delay(2, 500);
  clock.setTimer(0, () => {
    for (let i = 1; i <= 4; i++) link.send(pkt(i));
  });
  clock.runUntil(10_000);
  assert.deepEqual(log, [1, 3, 4, 'end', 2, 'end']);
});

test('without batch, every packet is a batch of its own', () => {
  const { clock, link, log } = batchSetup({ delay: 100 });
  clock.setTimer(0, () => {
    for (let i = 1; i <= 3; i++) link.send(pkt(i));
  });
  clock.runUntil(10_000);
  assert.deepEqual(log, [1, 'end', 2, 'end', 3, 'end']);
});

test('batch: the same packets arrive at the same instants and in the same order as without batching, through long queues', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 1_000_000 }),
      fc.record({
        delay: fc.integer({ min: 0, max: 2000 }),
        jitter: fc.integer({ min: 0, max: 3000 }),
        reorder: fc.double({ min: 0, max: 0.3, noNaN: true }),
        duplicate: fc.double({ min: 0, max: 0.2, noNaN: true }),
        loss: fc.double({ min: 0, max: 0.1, noNaN: true }),
      }),
      // Bursts of up to 3,000 packets: the queue of a batch link then runs
      // past 1,024 delivered records and is moved to the front of its array.
      fc.array(fc.tuple(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 3000 })), { minLength: 1, maxLength: 4 }),
      (seed, opts, bursts) => {
        const run = (batch: boolean): string[] => {
          const clock = new VirtualClock();
          const log: string[] = [];
          const link = new Link(clock, new Rng(seed), { ...opts, batch }, (p) => log.push(`${clock.now()} ${idOf(p)}`));
          let id = 0;
          for (const [at, count] of bursts) {
            clock.setTimer(at, () => {
              for (let i = 0; i < count; i++) link.send(pkt(++id, 8));
            });
          }
          clock.runUntil(1_000_000);
          return log;
        };
        const batched = run(true);
        assert.deepEqual(batched, run(false));
        assert.ok(batched.length > 0);
      },
    ),
    { numRuns: 40 },
  );
});
