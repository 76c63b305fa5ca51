// Quick-ACK mode (as Linux runs it): at the start of the data, and after an
// idle spell longer than the RTO, up to 16 segments are acknowledged at once
// instead of after the 40 ms delayed-ACK timer, so that the sender's slow
// start is not held back; an interactive exchange (replies sent within the
// delayed-ACK time) lets the ACKs ride on the replies instead.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Net, MS, S, pattern, dump, type Sent } from './harness.js';
import { profile, type TcpConfig } from '../../src/tcp/config.js';
import type { TcpConnection } from '../../src/tcp/connection.js';

function setup(cfg: TcpConfig): { net: Net; a: TcpConnection } {
  const net = new Net(); // 10 ms one way
  net.b.listen = { config: cfg, mss: 1460, iss: 5000, tsOffset: 0 };
  const a = net.connect(cfg, { tsOffset: 0 });
  net.runFor(100 * MS);
  a.setNoDelay(true);
  return { net, a };
}

/** Delay of B's ACK after the data segment it acknowledges arrived, for each of A's data segments. */
function ackDelays(net: Net): number[] {
  const data = net.sent('A').filter((s) => s.seg.payload.length > 0);
  const acks = net.sent('B').filter((s) => s.seg.payload.length === 0);
  return data.map((d) => {
    const end = d.seg.seq + d.seg.payload.length;
    const ack = acks.find((s: Sent) => s.seg.ack >= end)!;
    return (ack.t - (d.t + net.delay)) / MS;
  });
}

test('quick-ACK: the first 16 small segments are acknowledged at once, the next ones after 40 ms', () => {
  for (const quickAck of [true, false]) {
    const { net, a } = setup(profile('linux', { quickAck }));
    // One small segment every 60 ms: each ACK is due before the next arrives.
    for (let i = 0; i < 20; i++) {
      a.send(pattern(10, i), net.now);
      net.runFor(60 * MS);
    }
    const delays = ackDelays(net);
    assert.equal(delays.length, 20, dump(net));
    if (quickAck) assert.deepEqual(delays, [...new Array(16).fill(0), 40, 40, 40, 40]);
    // Without it only the first goes at once, as a window update: reading it
    // opens B's window past the unscaled 65535 of its SYN-ACK.
    else assert.deepEqual(delays, [0, ...new Array(19).fill(40)]);
  }
});

test('quick-ACK comes back after an idle spell longer than the RTO', () => {
  const { net, a } = setup(profile('linux'));
  for (let i = 0; i < 20; i++) {
    a.send(pattern(10, i), net.now);
    net.runFor(60 * MS);
  }
  net.runFor(2 * S);
  const before = net.sent('B').length;
  a.send(pattern(10, 99), net.now);
  net.runFor(100 * MS);
  const ack = net.sent('B').slice(before)[0]!;
  const data = net.sent('A').filter((s) => s.seg.payload.length > 0).at(-1)!;
  assert.equal(ack.t, data.t + net.delay);
});

test('an interactive exchange: after the first request the ACKs ride on the replies, none goes alone', () => {
  const { net, a } = setup(profile('linux'));
  // B answers each request at once.
  net.b.onEvent = (ev, h) => {
    if (ev.type === 'readable') h.conn!.send(pattern(20, 7), net.now);
  };
  for (let i = 0; i < 10; i++) {
    a.send(pattern(10, i), net.now);
    net.runFor(100 * MS);
  }
  const bare = net.sent('B').filter((s) => s.seg.payload.length === 0 && s.t > 100 * MS);
  const replies = net.sent('B').filter((s) => s.seg.payload.length > 0);
  assert.equal(replies.length, 10);
  // Only the first request, before B was seen to answer, drew a bare ACK.
  assert.equal(bare.length, 1, dump(net));
});
