// Incoming segment validation: RFC 5961 (RST and SYN checks, ACK range,
// challenge ACK rate limit), RFC 7323 PAWS and window scaling, and the
// RFC 9293 §3.10.7.4 send-window update rule.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Net, MS, S, dump, pattern } from './harness.js';
import { profile } from '../../src/tcp/config.js';
import type { TcpConnection } from '../../src/tcp/connection.js';
import { ACK, FIN, PSH, RST, SYN, type Segment } from '../../src/wire/tcp-types.js';

const linux = profile('linux');

/** A (iss 1000) and B (iss 5000) ESTABLISHED, clock at 1 s. */
function established(): { net: Net; a: TcpConnection; b: TcpConnection } {
  const net = new Net();
  net.b.listen = { config: linux, mss: 1460, iss: 5000, tsOffset: 0 };
  const a = net.connect(linux, { iss: 1000, tsOffset: 0 });
  net.run(1 * S);
  return { net, a, b: net.b.conn! };
}

/** A segment as if from A (to B), without options. */
function fromA(fields: Partial<Segment>): Segment {
  return { srcPort: 40000, dstPort: 80, seq: 1001, ack: 5001, flags: ACK, window: 1000, urgent: 0, options: [], payload: new Uint8Array(0), ...fields };
}

/** Deliver `seg` to B now and return what B sends in reply. */
function poke(net: Net, b: TcpConnection, seg: Segment): Segment[] {
  b.onSegment(seg, net.now);
  const out: Segment[] = [];
  for (let s = b.pollTransmit(); s; s = b.pollTransmit()) out.push(s);
  return out;
}

function drain(b: TcpConnection): string[] {
  const out: string[] = [];
  for (let e = b.pollEvent(); e; e = b.pollEvent()) out.push(e.type === 'error' ? `error:${e.code}` : e.type === 'state' ? `${e.from}>${e.to}` : e.type);
  return out;
}

test('RFC 5961 §3.2: an exact RST resets the connection (ECONNRESET)', () => {
  const { net, b } = established();
  drain(b);
  assert.deepEqual(poke(net, b, fromA({ flags: RST, seq: 1001, ack: 0 })), []);
  assert.equal(b.state, 'CLOSED');
  assert.deepEqual(drain(b), ['error:ECONNRESET', 'ESTABLISHED>CLOSED', 'closed']);
  assert.equal(b.nextDeadline(), Infinity);
  // Anything later is ignored.
  assert.deepEqual(poke(net, b, fromA({ payload: pattern(10) })), []);
});

test('RFC 5961 §3.2: an in-window RST that is not exact draws a challenge ACK; outside the window it is dropped silently', () => {
  const { net, b } = established();
  assert.equal(b.rcvWnd, 65535);
  const ch = poke(net, b, fromA({ flags: RST, seq: 1001 + 1000, ack: 0 }));
  assert.deepEqual(ch.map((s) => [s.flags, s.seq, s.ack]), [[ACK, 5001, 1001]]);
  assert.equal(b.state, 'ESTABLISHED');
  assert.equal(b.stats.challengeAcks, 1);
  // The challenge ACK itself announced B's whole buffer (32768 << 2).
  assert.equal(b.rcvWnd, 131072);
  net.now += 1 * S;
  assert.deepEqual(poke(net, b, fromA({ flags: RST, seq: 1001 + 131072, ack: 0 })), []);
  assert.deepEqual(poke(net, b, fromA({ flags: RST, seq: 1000, ack: 0 })), []);
  assert.deepEqual(poke(net, b, fromA({ flags: RST | ACK, seq: 0x80000000, ack: 5001 })), []);
  assert.equal(b.state, 'ESTABLISHED');
  // The attacker's guess was close; the real peer answers the challenge with an exact RST.
  assert.deepEqual(poke(net, b, fromA({ flags: RST | ACK, seq: 1001, ack: 5001 })), []);
  assert.equal(b.state, 'CLOSED');
});

test('RFC 5961 §4.2: a SYN in a synchronized state draws a challenge ACK whatever its sequence number', () => {
  const { net, b } = established();
  for (const seq of [1001, 1001 + 500, 1001 + 200_000, 999]) {
    net.now += 1 * S;
    const r = poke(net, b, fromA({ flags: SYN, seq, ack: 0 }));
    assert.deepEqual(r.map((s) => [s.flags, s.seq, s.ack]), [[ACK, 5001, 1001]], `seq ${seq}`);
    assert.equal(b.state, 'ESTABLISHED');
  }
  assert.equal(b.stats.challengeAcks, 4);
  // A SYN with data does not deliver the data.
  net.now += 1 * S;
  poke(net, b, fromA({ flags: SYN | ACK, seq: 1001, payload: pattern(5) }));
  assert.equal(b.readableLength, 0);
});

test('RFC 5961 §7: challenge ACKs are rate-limited (one per 500 ms); probes and data are always answered', () => {
  const { net, b } = established();
  const t0 = net.now;
  const rst = fromA({ flags: RST, seq: 1001 + 100, ack: 0 });
  assert.equal(poke(net, b, rst).length, 1);
  net.now = t0 + 100 * MS;
  assert.equal(poke(net, b, rst).length, 0);
  net.now = t0 + 400 * MS;
  assert.equal(poke(net, b, fromA({ flags: SYN, seq: 1, ack: 0 })).length, 0);
  assert.equal(b.stats.invalidAcksSuppressed, 2);
  // A keepalive / zero-window probe (<SEQ=RCV.NXT−1>, no data) is answered anyway.
  assert.equal(poke(net, b, fromA({ seq: 1000 })).length, 1);
  // An old duplicate with data is answered anyway.
  assert.equal(poke(net, b, fromA({ seq: 900, payload: pattern(50) })).length, 1);
  net.now = t0 + 600 * MS;
  assert.equal(poke(net, b, rst).length, 1);
  assert.equal(b.stats.challengeAcks, 2);
});

test('RFC 5961 §5.2: an ACK of data never sent, or older than SND.UNA − MAX.SND.WND, is answered and the segment dropped', () => {
  const { net, b } = established();
  // A advertised 32768 << 2 in its third segment: MAX.SND.WND = 131072.
  const tooNew = poke(net, b, fromA({ ack: 5001 + 100, flags: ACK | PSH, payload: pattern(20) }));
  assert.deepEqual(tooNew.map((s) => [s.flags, s.seq, s.ack]), [[ACK, 5001, 1001]]);
  assert.equal(b.readableLength, 0);
  net.now += 1 * S;
  const tooOld = poke(net, b, fromA({ ack: (5001 - 131072 - 1) >>> 0, flags: ACK | PSH, payload: pattern(20) }));
  assert.deepEqual(tooOld.map((s) => [s.flags, s.ack]), [[ACK, 1001]]);
  assert.equal(b.readableLength, 0);
  // Old but within MAX.SND.WND: accepted (a delayed duplicate ACK carrying data).
  net.now += 1 * S;
  poke(net, b, fromA({ ack: (5001 - 131072) >>> 0, flags: ACK | PSH, payload: pattern(20) }));
  assert.equal(b.readableLength, 20);
  assert.equal(b.state, 'ESTABLISHED');
});

test('sequence check: a segment entirely before RCV.NXT is answered with an ACK and its data dropped; an overlapping one is trimmed', () => {
  const { net, b } = established();
  net.b.autoRead = false;
  poke(net, b, fromA({ payload: pattern(100, 1) }));
  assert.equal(b.rcvNxt, 1101);
  net.now += 1 * S;
  const r = poke(net, b, fromA({ seq: 1001, payload: pattern(100, 1) }));
  assert.deepEqual(r.map((s) => [s.flags, s.ack]), [[ACK, 1101]]);
  assert.equal(b.readableLength, 100);
  // Overlap: bytes 1051..1150, of which 1101..1150 are new.
  const data = pattern(150, 1);
  poke(net, b, fromA({ seq: 1051, payload: data.subarray(50, 150) }));
  assert.equal(b.rcvNxt, 1151);
  assert.deepEqual(b.read(), data);
});

test('out-of-order data is held, SACKed (RFC 2018), and delivered when the hole fills', () => {
  const { net, b } = established();
  const data = pattern(300, 7);
  const r1 = poke(net, b, fromA({ seq: 1201, payload: data.subarray(200, 300) }));
  assert.equal(r1.length, 1);
  assert.equal(r1[0]!.ack, 1001);
  assert.deepEqual(r1[0]!.options.at(-1), { kind: 'sack', blocks: [{ left: 1201, right: 1301 }] });
  const r2 = poke(net, b, fromA({ seq: 1051, payload: data.subarray(50, 100) }));
  // The block of the latest segment comes first.
  assert.deepEqual(r2[0]!.options.at(-1), {
    kind: 'sack',
    blocks: [
      { left: 1051, right: 1101 },
      { left: 1201, right: 1301 },
    ],
  });
  assert.equal(b.readableLength, 0);
  const r3 = poke(net, b, fromA({ seq: 1001, payload: data.subarray(0, 50) }));
  assert.equal(r3[0]!.ack, 1101);
  poke(net, b, fromA({ seq: 1101, payload: data.subarray(100, 200) }));
  assert.equal(b.rcvNxt, 1301);
  assert.deepEqual(b.read(), data);
});

test('a FIN that arrives before the data in front of it is kept until the data arrives', () => {
  const { net, b } = established();
  const data = pattern(100, 2);
  poke(net, b, fromA({ seq: 1051, flags: ACK | FIN, payload: data.subarray(50) }));
  assert.equal(b.state, 'ESTABLISHED');
  poke(net, b, fromA({ seq: 1001, payload: data.subarray(0, 50) }));
  assert.equal(b.state, 'CLOSE_WAIT');
  assert.equal(b.rcvNxt, 1102);
  assert.deepEqual(b.read(), data);
});

test('PAWS (RFC 7323 §5): a segment with an older timestamp is dropped and answered', () => {
  const { net, b } = established();
  const ts = (val: number) => [{ kind: 'nop' as const }, { kind: 'nop' as const }, { kind: 'timestamp' as const, val, ecr: 0 }];
  // A's clock reads 1000 ms at 1 s (offset 0). B's TS.Recent is 20 (from A's third segment).
  poke(net, b, fromA({ options: ts(1000), payload: pattern(10) }));
  assert.equal(b.readableLength, 10);
  net.now += 1 * S;
  const r = poke(net, b, fromA({ seq: 1011, options: ts(999), payload: pattern(10) }));
  assert.equal(r.length, 1);
  assert.equal(r[0]!.ack, 1011);
  assert.equal(b.readableLength, 10);
  assert.equal(b.stats.pawsDrops, 1);
  // An equal timestamp is fine; so is a RST with an old one.
  poke(net, b, fromA({ seq: 1011, options: ts(1000), payload: pattern(10) }));
  assert.equal(b.readableLength, 20);
  poke(net, b, fromA({ seq: 1021, flags: RST, ack: 0, options: ts(5) }));
  assert.equal(b.state, 'CLOSED');
});

test('window scaling (RFC 7323 §2): windows after the SYN are shifted, the send window follows the WL1/WL2 rule', () => {
  const { net, a, b } = established();
  void b;
  // A's view: B's windows are scaled by 2.
  const fromB = (f: Partial<Segment>): Segment => ({ srcPort: 80, dstPort: 40000, seq: 5001, ack: 1001, flags: ACK, window: 100, urgent: 0, options: [], payload: new Uint8Array(0), ...f });
  a.onSegment(fromB({ window: 100 }), net.now);
  assert.equal(a.sndWnd, 400);
  a.onSegment(fromB({ seq: 5001, window: 16384 }), net.now);
  assert.equal(a.sndWnd, 65536);
  // A segment with data moves SND.WL1 forward...
  a.onSegment(fromB({ seq: 5001, window: 200, payload: pattern(10) }), net.now);
  assert.equal(a.sndWnd, 800);
  assert.equal(a.rcvNxt, 5011);
  // ...so an older segment (reordered, SEG.SEQ < SND.WL1) may not change the window.
  a.onSegment(fromB({ seq: 5001, window: 9999 }), net.now);
  assert.equal(a.sndWnd, 800);
  // A newer one may.
  a.onSegment(fromB({ seq: 5011, window: 300 }), net.now);
  assert.equal(a.sndWnd, 1200);
});

test('window advertisement: the receive window shrinks as data waits unread and reopens on read', () => {
  const small = profile('linux', { rcvBuf: 10_000, windowScaling: false });
  const net = new Net();
  net.b.listen = { config: small, mss: 1460, iss: 5000, tsOffset: 0 };
  const a = net.connect(small, { iss: 1000, tsOffset: 0 });
  net.run(1 * S);
  const b = net.b.conn!;
  net.b.autoRead = false;
  a.send(pattern(8000), net.now);
  net.run(2 * S);
  assert.equal(b.readableLength, 8000);
  const lastB = net.sent('B').at(-1)!;
  assert.equal(lastB.seg.ack, 1001 + 8000);
  assert.equal(lastB.seg.window, 2000);
  assert.equal(b.rcvWnd, 2000);
  // Reading 1000 bytes would not double the window: no update.
  const n0 = net.log.length;
  b.read(1000, net.now);
  net.flush();
  assert.equal(net.log.length, n0);
  b.read(undefined, net.now);
  net.flush();
  // Reading everything more than doubles it: B tells A at once.
  const upd = net.sent('B').at(-1)!;
  assert.equal(upd.seg.window, 10000, dump(net));
  assert.equal(upd.t, net.now);
});

test('an exact RST in each later state: CLOSE_WAIT, FIN_WAIT_2 and LAST_ACK after shutdown() fail with ECONNRESET; LAST_ACK after close() and TIME_WAIT just close', () => {
  const cases: Array<[string, (net: Net, a: TcpConnection, b: TcpConnection) => void, string[]]> = [
    ['CLOSE_WAIT', (net, a) => a.shutdown(net.now), ['error:ECONNRESET', 'CLOSE_WAIT>CLOSED', 'closed']],
    [
      'LAST_ACK',
      (net, a, b) => {
        a.shutdown(net.now);
        net.run(net.now + 100 * MS);
        net.fate = () => true; // B's FIN and everything after it vanish
        b.close(net.now);
      },
      ['CLOSE_WAIT>LAST_ACK', 'LAST_ACK>CLOSED', 'closed'],
    ],
    [
      'LAST_ACK',
      (net, a, b) => {
        a.shutdown(net.now);
        net.run(net.now + 100 * MS);
        net.fate = () => true;
        // Only the sending side is shut: the application still holds the
        // socket, and FreeBSD and Linux report the reset to it.
        b.shutdown(net.now);
      },
      ['error:ECONNRESET', 'LAST_ACK>CLOSED', 'closed'],
    ],
    [
      'FIN_WAIT_2',
      (net, a, b) => {
        b.shutdown(net.now);
      },
      ['error:ECONNRESET', 'FIN_WAIT_2>CLOSED', 'closed'],
    ],
    [
      'TIME_WAIT',
      (net, a, b) => {
        b.shutdown(net.now);
        net.run(net.now + 100 * MS);
        a.shutdown(net.now);
      },
      ['TIME_WAIT>CLOSED', 'closed'],
    ],
  ];
  for (const [state, drive, tail] of cases) {
    const { net, a, b } = established();
    drive(net, a, b);
    net.run(net.now + 100 * MS);
    assert.equal(b.state, state, `${state}\n${dump(net)}`);
    b.onSegment(fromA({ flags: RST, seq: b.rcvNxt, ack: 0 }), net.now);
    net.flush();
    assert.equal(b.state, 'CLOSED');
    assert.deepEqual(net.b.eventTypes().slice(-tail.length), tail, state);
  }
});
