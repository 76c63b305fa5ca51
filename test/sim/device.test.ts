import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../src/sim/virtual-clock.js';
import { Rng } from '../../src/sim/rng.js';
import { createLinkPair, SimDevice, DEFAULT_SIM_MTU } from '../../src/sim/device.js';
import type { NetDevice } from '../../src/link/device.js';
import { internetChecksum, onesComplementSum } from '../../src/wire/checksum.js';

function bytes(...v: number[]): Uint8Array {
  return Uint8Array.from(v);
}

test('a link pair carries packets both ways with each direction’s own delay', () => {
  const clock = new VirtualClock();
  const { a, b, ab, ba } = createLinkPair(clock, new Rng(1), { ab: { delay: 10_000 }, ba: { delay: 3000 } });
  const atA: Array<[number, number]> = [];
  const atB: Array<[number, number]> = [];
  a.onReceive = (p) => atA.push([clock.now(), p[0]!]);
  b.onReceive = (p) => atB.push([clock.now(), p[0]!]);
  a.send(bytes(1));
  b.send(bytes(2));
  clock.runUntilIdle();
  assert.deepEqual(atB, [[10_000, 1]]);
  assert.deepEqual(atA, [[3000, 2]]);
  assert.equal(ab.stats.delivered, 1);
  assert.equal(ba.stats.delivered, 1);
  assert.deepEqual(a.stats, { txPackets: 1, txBytes: 1, rxPackets: 1, rxBytes: 1, txAfterClose: 0, rxUnclaimed: 0 });
  assert.equal(a.tx, ab);
  assert.equal(a.rx, ba);
  assert.equal(b.tx, ba);
  assert.equal(b.rx, ab);
});

test('a SimDevice is a NetDevice whose MTU bounds what its link carries', () => {
  const clock = new VirtualClock();
  const dflt = createLinkPair(clock, new Rng(1));
  const dev: NetDevice = dflt.a;
  assert.equal(dev.mtu, DEFAULT_SIM_MTU);
  assert.equal(DEFAULT_SIM_MTU, 1500);

  const { a, b, ab, ba } = createLinkPair(clock, new Rng(1), { mtu: 576, ba: { mtu: 9000 } });
  assert.equal(a.mtu, 576);
  assert.equal(b.mtu, 576);
  let got = 0;
  b.onReceive = () => got++;
  a.send(new Uint8Array(576));
  a.send(new Uint8Array(577));
  clock.runUntilIdle();
  assert.equal(got, 1);
  assert.equal(ab.stats.dropped.mtu, 1);
  // The ba link was given its own MTU (a path that carries more than the interface).
  assert.equal(ba.config.mtu, 9000);
});

test('the two directions draw from independent streams', () => {
  // Changing the impairments of b→a must not change what happens a→b.
  const run = (baLoss: number): number[] => {
    const clock = new VirtualClock();
    const { a, b } = createLinkPair(clock, new Rng(31), { ab: { loss: 0.3 }, ba: { loss: baLoss } });
    const arrived: number[] = [];
    b.onReceive = (p) => arrived.push(p[0]!);
    a.onReceive = () => {};
    for (let i = 0; i < 200; i++) {
      a.send(bytes(i));
      b.send(bytes(i));
    }
    clock.runUntilIdle();
    return arrived;
  };
  const base = run(0);
  assert.ok(base.length > 100 && base.length < 180);
  assert.deepEqual(run(0.9), base);
});

test('a duplicated packet reaches the stack as two buffers: scribbling on one leaves the other intact', () => {
  const clock = new VirtualClock();
  const { a, b, ab } = createLinkPair(clock, new Rng(1), { ab: { delay: 100 } });
  ab.dup(1);
  const seen: Uint8Array[] = [];
  b.onReceive = (p) => {
    seen.push(p.slice());
    p.fill(0); // e.g. a stack that rewrites headers in place
  };
  a.send(bytes(0x45, 0x00, 0x00, 0x14));
  clock.runUntilIdle();
  assert.deepEqual(seen, [bytes(0x45, 0x00, 0x00, 0x14), bytes(0x45, 0x00, 0x00, 0x14)]);
});

test('a corrupted packet fails the Internet checksum at the receiver', () => {
  // A 20-byte IPv4 header with a valid header checksum: any single flipped
  // bit changes the one's-complement sum, so every corrupted copy is caught.
  const header = (id: number): Uint8Array => {
    const h = bytes(0x45, 0, 0, 20, id >> 8, id & 0xff, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2);
    const c = internetChecksum(h);
    h[10] = c >> 8;
    h[11] = c & 0xff;
    return h;
  };
  assert.equal(onesComplementSum(header(1)), 0xffff);
  const clock = new VirtualClock();
  const { a, b } = createLinkPair(clock, new Rng(4), { ab: { corrupt: 0.5 } });
  let good = 0;
  let bad = 0;
  b.onReceive = (p) => {
    if (onesComplementSum(p) === 0xffff) good++;
    else bad++;
  };
  for (let i = 0; i < 1000; i++) a.send(header(i));
  clock.runUntilIdle();
  assert.equal(good + bad, 1000);
  assert.equal(bad, a.tx.stats.corrupted);
  assert.ok(bad > 430 && bad < 570, `corrupted ${bad}`);
});

test('close: sending is refused and packets in flight towards a closed device are dropped', () => {
  const clock = new VirtualClock();
  const { a, b, ab } = createLinkPair(clock, new Rng(1), { ab: { delay: 1000 } });
  let got = 0;
  b.onReceive = () => got++;
  a.send(bytes(1));
  clock.runUntil(500);
  b.close();
  assert.equal(b.isClosed, true);
  assert.equal(b.onReceive, null);
  clock.runUntilIdle();
  assert.equal(got, 0);
  assert.equal(ab.stats.dropped.noReceiver, 1);
  b.send(bytes(2));
  assert.equal(b.stats.txAfterClose, 1);
  assert.equal(b.tx.stats.sent, 0);
  b.close(); // idempotent
});

test('packets arriving before anyone listens are counted as unclaimed', () => {
  const clock = new VirtualClock();
  const { a, b } = createLinkPair(clock, new Rng(1));
  a.send(bytes(1));
  clock.runUntilIdle();
  assert.equal(b.stats.rxUnclaimed, 1);
  assert.equal(b.stats.rxPackets, 0);
});

test('a device can be built on links of one’s own', () => {
  const clock = new VirtualClock();
  const pair = createLinkPair(clock, new Rng(1));
  // Re-wire: a new device receiving from pair.ab takes it over.
  const c = new SimDevice(pair.ba, pair.ab, 1280, 'c');
  let got = 0;
  c.onReceive = () => got++;
  pair.a.send(bytes(1));
  clock.runUntilIdle();
  assert.equal(got, 1);
  assert.equal(c.name, 'c');
  assert.equal(c.mtu, 1280);
});
