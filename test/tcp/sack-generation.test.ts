// The receiver's SACK option (RFC 2018 §4, RFC 2883 §4): the first block
// holds the segment that triggered the ACK, the next ones repeat the most
// recently reported first blocks, most recent first; data arriving again,
// even data held out of order, is reported first in a D-SACK block.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Net, MS } from './harness.js';
import { profile } from '../../src/tcp/config.js';
import { ACK, FIN, type SackBlock, type Segment } from '../../src/wire/tcp-types.js';

const DATA0 = 1001; // A's ISS is 1000
const K = 1000;

function setup(): Net {
  // No timestamps: four SACK blocks fit.
  const cfg = profile('linux', { timestamps: false, delayedAck: 0 });
  const net = new Net();
  net.b.listen = { config: cfg, mss: 1460, iss: 5000 };
  net.connect(cfg);
  net.runFor(100 * MS);
  return net;
}

/** Inject data [from, to) (offsets from the first data byte) from A; return the SACK blocks of B's answer, as offsets. */
function deliver(net: Net, from: number, to: number): { ack: number; blocks: [number, number][] } {
  const before = net.sent('B').length;
  const seg: Segment = { srcPort: 40000, dstPort: 80, seq: DATA0 + from, ack: 5001, flags: ACK, window: 65535, urgent: 0, options: [], payload: new Uint8Array(to - from).fill(7) };
  net.inject('A', seg);
  net.runFor(20 * MS);
  const answers = net.sent('B').slice(before);
  assert.ok(answers.length >= 1, 'B answered');
  const a = answers[0]!.seg;
  const sack = a.options.find((o) => o.kind === 'sack');
  const blocks = sack !== undefined && sack.kind === 'sack' ? sack.blocks.map((b: SackBlock) => [b.left - DATA0, b.right - DATA0] as [number, number]) : [];
  return { ack: a.ack - DATA0, blocks };
}

test('SACK blocks: the triggering segment first, then the most recently reported first blocks (RFC 2018 §4)', () => {
  const net = setup();
  assert.deepEqual(deliver(net, 1 * K, 2 * K).blocks, [[1 * K, 2 * K]]);
  assert.deepEqual(deliver(net, 2 * K, 3 * K).blocks, [[1 * K, 3 * K]]);
  assert.deepEqual(deliver(net, 4 * K, 5 * K).blocks, [[4 * K, 5 * K], [1 * K, 3 * K]]);
  // Sequence order would put 1000:3000 second; recency puts 4000:5000 there.
  assert.deepEqual(deliver(net, 7 * K, 8 * K).blocks, [[7 * K, 8 * K], [4 * K, 5 * K], [1 * K, 3 * K]]);
  // A segment joining the oldest range makes it first again; the others follow by recency.
  assert.deepEqual(deliver(net, 3 * K, 3500).blocks, [[1 * K, 3500], [7 * K, 8 * K], [4 * K, 5 * K]]);
});

test('D-SACK: bytes already held out of order, arriving again inside a larger segment, are reported first (RFC 2883 §4)', () => {
  const net = setup();
  deliver(net, 1 * K, 3 * K);
  deliver(net, 4 * K, 5 * K);
  deliver(net, 7 * K, 8 * K);
  // 0:6000 fills the head: 1000:3000 and 4000:5000 came twice. The first
  // duplicate range is reported, then what is still held.
  const r = deliver(net, 0, 6 * K);
  assert.equal(r.ack, 6 * K);
  assert.deepEqual(r.blocks, [[1 * K, 3 * K], [7 * K, 8 * K]]);
});

test('a bare FIN beyond a hole draws an immediate duplicate ACK (RFC 5681 §4.2)', () => {
  const net = setup();
  deliver(net, 1 * K, 2 * K);
  const before = net.sent('B').length;
  const fin: Segment = { srcPort: 40000, dstPort: 80, seq: DATA0 + 2 * K, ack: 5001, flags: ACK | FIN, window: 65535, urgent: 0, options: [], payload: new Uint8Array(0) };
  net.inject('A', fin);
  const arrival = net.now + net.delay;
  net.runFor(30 * MS);
  const answers = net.sent('B').slice(before);
  assert.ok(answers.length >= 1, 'answered');
  // At the FIN's arrival, not 40 ms later: ACK of the hole, SACK of what is held.
  assert.equal(answers[0]!.t, arrival);
  assert.equal(answers[0]!.seg.ack, DATA0);
  assert.ok(answers[0]!.seg.options.some((o) => o.kind === 'sack'));
});
