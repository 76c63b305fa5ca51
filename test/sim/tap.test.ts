import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../src/sim/virtual-clock.js';
import { Rng } from '../../src/sim/rng.js';
import { Link } from '../../src/sim/link.js';
import { createLinkPair } from '../../src/sim/device.js';
import { Tap } from '../../src/sim/tap.js';
import { readPcap } from '../../src/trace/pcap.js';
import { LINKTYPE_RAW, LINKTYPE_IPV4 } from '../../src/trace/capture.js';

function bytes(...v: number[]): Uint8Array {
  return Uint8Array.from(v);
}

test('a link tap at the sending end sees every packet put on the wire, lost ones too', () => {
  const clock = new VirtualClock();
  const link = new Link(clock, new Rng(1), { delay: 2500 }, () => {});
  const tap = Tap.onLink(link);
  link.drop(2);
  clock.setTimer(1_000, () => link.send(bytes(1)));
  clock.setTimer(1_500_250, () => link.send(bytes(2, 2)));
  clock.runUntilIdle();
  assert.deepEqual(
    tap.records().map((r) => [r.tsSec, r.tsNsec, r.len, [...r.data], r.time, r.direction]),
    [
      [0, 1_000_000, 1, [1], 1_000, 'out'],
      [1, 500_250_000, 2, [2, 2], 1_500_250, 'out'],
    ],
  );
});

test('a link tap at the receiving end sees what arrives, when it arrives', () => {
  const clock = new VirtualClock();
  const link = new Link(clock, new Rng(1), { delay: 2500 }, () => {});
  const tap = Tap.onLink(link, { at: 'deliver' });
  link.drop(2);
  link.dup(3);
  link.send(bytes(1));
  link.send(bytes(2));
  link.send(bytes(3));
  clock.runUntilIdle();
  assert.deepEqual(
    tap.records().map((r) => [r.time, r.data[0], r.direction]),
    [
      [2500, 1, 'in'],
      [2500, 3, 'in'],
      [2500, 3, 'in'],
    ],
  );
});

test('records are copies: what the receiver does afterwards does not change them', () => {
  const clock = new VirtualClock();
  const link = new Link(clock, new Rng(1), {}, (p) => p.fill(0));
  const tx = Tap.onLink(link);
  const rx = Tap.onLink(link, { at: 'deliver' });
  link.send(bytes(9, 8, 7));
  clock.runUntilIdle();
  assert.deepEqual([...tx.records()[0]!.data], [9, 8, 7]);
  assert.deepEqual([...rx.records()[0]!.data], [9, 8, 7]);
});

test('epochUs shifts timestamps to a plausible date', () => {
  const clock = new VirtualClock();
  const link = new Link(clock, new Rng(1), {}, () => {});
  // 2024-01-01T00:00:00Z
  const tap = Tap.onLink(link, { epochUs: 1_704_067_200_000_000 });
  clock.setTimer(3_000_007, () => link.send(bytes(1)));
  clock.runUntilIdle();
  const r = tap.records()[0]!;
  assert.equal(r.tsSec, 1_704_067_203);
  assert.equal(r.tsNsec, 7_000);
  assert.equal(r.time, 3_000_007);
  assert.throws(() => Tap.onLink(link, { epochUs: 0.5 }), RangeError);
});

test('a device tap records both directions in the order they happen', () => {
  const clock = new VirtualClock();
  const { a, b } = createLinkPair(clock, new Rng(1), { ab: { delay: 1000 }, ba: { delay: 1000 } });
  const tap = Tap.onDevice(a);
  // b answers everything it receives.
  b.onReceive = (p) => b.send(bytes(p[0]! + 100));
  a.onReceive = () => {};
  a.send(bytes(1));
  clock.setTimer(500, () => a.send(bytes(2)));
  clock.runUntilIdle();
  assert.deepEqual(
    tap.records().map((r) => [r.time, r.direction, r.data[0]]),
    [
      [0, 'out', 1],
      [500, 'out', 2],
      [2000, 'in', 101],
      [2500, 'in', 102],
    ],
  );
});

test('detach stops recording and clear forgets', () => {
  const clock = new VirtualClock();
  const link = new Link(clock, new Rng(1), {}, () => {});
  const tap = Tap.onLink(link);
  link.send(bytes(1));
  tap.detach();
  link.send(bytes(2));
  assert.equal(tap.records().length, 1);
  tap.clear();
  assert.equal(tap.records().length, 0);
});

test('toPcap writes a raw-IP pcap that reads back with the same times and bytes', () => {
  const clock = new VirtualClock();
  const { a, b } = createLinkPair(clock, new Rng(1), { ab: { delay: 12_345 } });
  b.onReceive = () => {};
  const tap = Tap.onDevice(b, { epochUs: 1_000_000_000_000_000 });
  const p1 = bytes(0x45, 0, 0, 20, 1, 2, 3, 4);
  const p2 = new Uint8Array(1500).map((_, i) => i & 0xff);
  a.send(p1.slice());
  clock.setTimer(999_999, () => a.send(p2.slice()));
  clock.runUntilIdle();

  const file = tap.toPcap();
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  assert.equal(view.getUint32(0, true), 0xa1b2c3d4); // microsecond pcap
  assert.equal(view.getUint32(20, true), LINKTYPE_RAW);
  const back = readPcap(file);
  assert.equal(back.error, undefined);
  assert.equal(back.linktype, 101);
  assert.deepEqual(
    back.records.map((r) => [r.tsSec, r.tsNsec, r.len, r.data.length]),
    [
      [1_000_000_000, 12_345_000, 8, 8],
      [1_000_000_001, 12_344_000, 1500, 1500],
    ],
  );
  assert.deepEqual([...back.records[0]!.data], [...p1]);
  assert.deepEqual([...back.records[1]!.data], [...p2]);

  const ipv4 = readPcap(tap.toPcap(LINKTYPE_IPV4, { snaplen: 96, nano: true }));
  assert.equal(ipv4.linktype, LINKTYPE_IPV4);
  assert.equal(ipv4.nanoPrecision, true);
  assert.equal(ipv4.records[1]!.data.length, 96);
  assert.equal(ipv4.records[1]!.len, 1500);
  assert.equal(ipv4.records[1]!.tsNsec, 12_344_000);
});
