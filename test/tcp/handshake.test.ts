import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Net, MS, S, dump, fmt, pattern } from './harness.js';
import { profile } from '../../src/tcp/config.js';
import { TcpConnection, resetFor } from '../../src/tcp/connection.js';
import { ACK, FIN, PSH, RST, SYN, type Segment, type TcpOption } from '../../src/wire/tcp-types.js';

const nop: TcpOption = { kind: 'nop' };
const linux = profile('linux');

function setup(cfgA = linux, cfgB = cfgA): Net {
  const net = new Net();
  net.now = 5 * S;
  net.b.listen = { config: cfgB, mss: 1460, iss: 5000, tsOffset: 777 };
  return net;
}

test('linux handshake: exact segments and option layouts', () => {
  const net = setup();
  const a = net.connect(linux, { iss: 1000, tsOffset: 0 });
  net.runFor(1 * S);
  const log = net.log;
  assert.equal(log.length, 3, dump(net));
  const [syn, synAck, ack] = log.map((s) => s.seg) as [Segment, Segment, Segment];
  assert.equal(log[0]!.t, 5 * S);
  assert.deepEqual(
    { flags: syn.flags, seq: syn.seq, window: syn.window, sport: syn.srcPort, dport: syn.dstPort, len: syn.payload.length },
    { flags: SYN, seq: 1000, window: 65535, sport: 40000, dport: 80, len: 0 },
  );
  assert.deepEqual(syn.options, [{ kind: 'mss', mss: 1460 }, { kind: 'sackOK' }, { kind: 'timestamp', val: 5000, ecr: 0 }, nop, { kind: 'wscale', shift: 2 }]);
  assert.equal(log[1]!.t, 5 * S + 10 * MS);
  assert.deepEqual({ flags: synAck.flags, seq: synAck.seq, ack: synAck.ack, window: synAck.window }, { flags: SYN | ACK, seq: 5000, ack: 1001, window: 65535 });
  assert.deepEqual(synAck.options, [{ kind: 'mss', mss: 1460 }, { kind: 'sackOK' }, { kind: 'timestamp', val: 5010 + 777, ecr: 5000 }, nop, { kind: 'wscale', shift: 2 }]);
  assert.equal(log[2]!.t, 5 * S + 20 * MS);
  // 131072 bytes of buffer, shift 2: window field 32768.
  assert.deepEqual({ flags: ack.flags, seq: ack.seq, ack: ack.ack, window: ack.window }, { flags: ACK, seq: 1001, ack: 5001, window: 32768 });
  assert.deepEqual(ack.options, [nop, nop, { kind: 'timestamp', val: 5020, ecr: 5787 }]);
  assert.equal(a.state, 'ESTABLISHED');
  assert.equal(net.b.conn!.state, 'ESTABLISHED');
  assert.deepEqual(net.a.eventTypes(), ['CLOSED>SYN_SENT', 'SYN_SENT>ESTABLISHED', 'established']);
  assert.deepEqual(net.b.eventTypes(), ['LISTEN>SYN_RECEIVED', 'SYN_RECEIVED>ESTABLISHED', 'established']);
  assert.equal(net.a.timeOf('established'), 5 * S + 20 * MS);
  assert.equal(net.b.timeOf('established'), 5 * S + 30 * MS);
  assert.deepEqual(a.negotiated, { mss: 1448, sndWscale: 2, rcvWscale: 2, sackOk: true, tsOk: true });
  assert.equal(a.iss, 1000);
  assert.equal(a.irs, 5000);
  assert.equal(a.sndUna, 1001);
  assert.equal(a.sndNxt, 1001);
  assert.equal(a.rcvNxt, 5001);
  // B's window so far comes from its SYN-ACK, which is never scaled.
  assert.equal(a.sndWnd, 65535);
  assert.equal(a.rcvWnd, 131072);
  // The SYN-ACK timestamp echo gave a 20 ms sample.
  assert.equal(a.srtt, 20 * MS);
  assert.equal(a.rto, 200 * MS);
});

test('handshake without timestamps (linux layout) and with the freebsd layout', () => {
  const noTs = profile('linux', { timestamps: false });
  const net = setup(noTs);
  net.connect(noTs, { iss: 1000 });
  net.runFor(1 * S);
  const [syn, synAck, ack] = net.log.map((s) => s.seg) as [Segment, Segment, Segment];
  assert.deepEqual(syn.options, [{ kind: 'mss', mss: 1460 }, nop, nop, { kind: 'sackOK' }, nop, { kind: 'wscale', shift: 2 }]);
  assert.deepEqual(synAck.options, [{ kind: 'mss', mss: 1460 }, nop, nop, { kind: 'sackOK' }, nop, { kind: 'wscale', shift: 2 }]);
  assert.deepEqual(ack.options, []);
  assert.equal(net.a.conn!.negotiated.mss, 1460);

  const bsd = profile('bsd');
  const net2 = setup(bsd);
  net2.connect(bsd, { iss: 1000 });
  net2.runFor(1 * S);
  const [syn2, synAck2] = net2.log.map((s) => s.seg) as [Segment, Segment];
  assert.deepEqual(syn2.options, [{ kind: 'mss', mss: 1460 }, nop, { kind: 'wscale', shift: 2 }, { kind: 'sackOK' }, { kind: 'eol' }]);
  assert.deepEqual(synAck2.options, [{ kind: 'mss', mss: 1460 }, nop, { kind: 'wscale', shift: 2 }, { kind: 'sackOK' }, { kind: 'eol' }]);
  assert.equal(net2.a.conn!.state, 'ESTABLISHED');
});

test('a SYN-ACK answers only the options the SYN offered', () => {
  const net = setup();
  net.b.listen = undefined;
  const b = TcpConnection.openPassive({
    config: linux,
    tuple: net.b.tuple,
    iss: 9000,
    now: 0,
    mss: 1460,
    syn: { srcPort: 40000, dstPort: 80, seq: 77, ack: 0, flags: SYN, window: 8192, urgent: 0, options: [{ kind: 'mss', mss: 1200 }], payload: new Uint8Array(0) },
  });
  const sa = b.pollTransmit()!;
  assert.deepEqual(sa.options, [{ kind: 'mss', mss: 1460 }]);
  assert.deepEqual({ flags: sa.flags, seq: sa.seq, ack: sa.ack }, { flags: SYN | ACK, seq: 9000, ack: 78 });
  assert.deepEqual(b.negotiated, { mss: 1200, sndWscale: 0, rcvWscale: 0, sackOk: false, tsOk: false });
  assert.equal(b.sndWnd, 8192);
  assert.equal(b.pollTransmit(), undefined);
  // And without an MSS option the send MSS is 536 (RFC 9293 §3.7.1).
  const c = TcpConnection.openPassive({
    config: linux,
    tuple: net.b.tuple,
    iss: 9000,
    now: 0,
    mss: 1460,
    syn: { srcPort: 40000, dstPort: 80, seq: 77, ack: 0, flags: SYN, window: 8192, urgent: 0, options: [], payload: new Uint8Array(0) },
  });
  assert.equal(c.negotiated.mss, 536);
});

test('data on the third segment is accepted and delivered', () => {
  const net = setup();
  const a = net.connect(linux, { iss: 1000, tsOffset: 0 });
  const data = pattern(300);
  assert.equal(a.send(data, net.now), 300);
  net.runFor(1 * S);
  const third = net.log[2]!;
  assert.equal(third.from, 'A');
  assert.equal(third.seg.flags, ACK | PSH);
  assert.equal(third.seg.seq, 1001);
  assert.equal(third.seg.ack, 5001);
  assert.equal(third.seg.payload.length, 300);
  // No separate pure ACK before it.
  assert.equal(net.log.filter((s) => s.from === 'A' && s.seg.payload.length === 0 && !(s.seg.flags & SYN)).length, 0, dump(net));
  assert.deepEqual(net.b.receivedBytes(), data);
  assert.equal(net.b.timeOf('established'), 5 * S + 30 * MS);
  assert.equal(net.b.timeOf('readable'), 5 * S + 30 * MS);
  // B acknowledges at once (quick-ACK mode at the start of the data), and
  // its window grows past the unscaled 65535 of its SYN-ACK to its whole
  // buffer less the 300 bytes not yet read (128 KiB − 300, scaled by 4).
  const bAck = net.log[3]!;
  assert.equal(bAck.from, 'B');
  assert.equal(bAck.seg.ack, 1301);
  assert.equal(bAck.seg.window, (131072 - 300) >> 2);
  assert.equal(bAck.t, 5 * S + 30 * MS);
});

test('simultaneous open: both SYN_SENT → SYN_RECEIVED → ESTABLISHED with four segments', () => {
  const net = new Net();
  const a = net.open('A', linux, 100, { tsOffset: 0 });
  const b = net.open('B', linux, 300, { tsOffset: 0 });
  net.runFor(1 * S);
  const lines = net.log.map((s) => [s.t, s.from, s.seg.flags, s.seg.seq, s.seg.flags & ACK ? s.seg.ack : -1]);
  assert.deepEqual(lines, [
    [0, 'A', SYN, 100, -1],
    [0, 'B', SYN, 300, -1],
    [10 * MS, 'B', SYN | ACK, 300, 101],
    [10 * MS, 'A', SYN | ACK, 100, 301],
  ], dump(net));
  for (const h of [net.a, net.b]) {
    assert.deepEqual(h.eventTypes(), ['CLOSED>SYN_SENT', 'SYN_SENT>SYN_RECEIVED', 'SYN_RECEIVED>ESTABLISHED', 'established']);
    assert.equal(h.timeOf('established'), 20 * MS);
  }
  // The SYN-ACKs carry the negotiated options, echoing the peer's SYN timestamp.
  const bSynAck = net.log[2]!.seg;
  assert.deepEqual(bSynAck.options, [{ kind: 'mss', mss: 1460 }, { kind: 'sackOK' }, { kind: 'timestamp', val: 10, ecr: 0 }, nop, { kind: 'wscale', shift: 2 }]);
  // Data flows both ways afterwards.
  a.send(pattern(2000, 1), net.now);
  b.send(pattern(3000, 2), net.now);
  net.runFor(1 * S);
  assert.deepEqual(net.b.receivedBytes(), pattern(2000, 1));
  assert.deepEqual(net.a.receivedBytes(), pattern(3000, 2));
});

test('old duplicate SYN (RFC 9293 §3.5 figure 9): RST <SEQ=SEG.ACK>, the half-open side closes quietly, the real SYN succeeds', () => {
  const net = setup();
  // A's real SYN is held up in the network for 50 ms.
  net.fate = (s) => (s.from === 'A' && s.seg.flags === SYN && !s.unconnected ? { delay: 50 * MS } : undefined);
  const a = net.connect(linux, { iss: 100, tsOffset: 0 });
  // An old duplicate SYN from a previous incarnation arrives first.
  net.inject('A', { srcPort: 40000, dstPort: 80, seq: 90, ack: 0, flags: SYN, window: 65535, urgent: 0, options: [{ kind: 'mss', mss: 1460 }], payload: new Uint8Array(0) });
  net.runFor(1 * S);
  const rst = net.log.find((s) => s.from === 'A' && s.seg.flags & RST)!;
  assert.ok(rst, dump(net));
  // <SEQ=SEG.ACK><CTL=RST>, SEG.ACK = 91 from B's SYN-ACK to the old SYN.
  assert.equal(rst.seg.flags, RST);
  assert.equal(rst.seg.seq, 91);
  assert.equal(rst.t, 5 * S + 20 * MS);
  const first = net.b.history[0]!;
  const second = net.b.history[1]!;
  assert.equal(first.state, 'CLOSED');
  assert.equal(net.b.history.length, 2);
  // The first (half-open) connection closed without an error event.
  assert.ok(!net.b.events.some((e) => e.ev.type === 'error'), net.b.eventTypes().join(' '));
  assert.deepEqual(net.b.eventTypes().slice(0, 3), ['LISTEN>SYN_RECEIVED', 'SYN_RECEIVED>CLOSED', 'closed']);
  assert.equal(net.b.timeOf('closed'), 5 * S + 30 * MS);
  assert.equal(second.state, 'ESTABLISHED');
  assert.equal(second.irs, 100);
  assert.equal(a.state, 'ESTABLISHED');
  assert.ok(!net.a.events.some((e) => e.ev.type === 'error'));
});

test('connection refused: RST in SYN_SENT with an acceptable ACK → ECONNREFUSED', () => {
  const net = setup();
  net.b.listen = undefined;
  const a = net.connect(linux, { iss: 1000 });
  net.runFor(1 * S);
  const rst = net.log[1]!;
  assert.equal(rst.from, 'B');
  assert.equal(rst.seg.flags, RST | ACK);
  assert.equal(rst.seg.seq, 0);
  assert.equal(rst.seg.ack, 1001);
  assert.equal(a.state, 'CLOSED');
  assert.deepEqual(net.a.eventTypes(), ['CLOSED>SYN_SENT', 'error:ECONNREFUSED', 'SYN_SENT>CLOSED', 'closed']);
  assert.equal(net.a.timeOf('closed'), 5 * S + 20 * MS);
  assert.equal(a.nextDeadline(), Infinity);
});

test('SYN_SENT ignores a RST without ACK and a RST with a wrong ACK', () => {
  const c = TcpConnection.openActive({ config: linux, tuple: new Net().a.tuple, iss: 1000, now: 0, mss: 1460 });
  c.pollTransmit();
  const base = { srcPort: 80, dstPort: 40000, window: 0, urgent: 0, options: [], payload: new Uint8Array(0) };
  c.onSegment({ ...base, seq: 0, ack: 0, flags: RST }, 1000);
  c.onSegment({ ...base, seq: 0, ack: 999, flags: RST | ACK }, 2000);
  assert.equal(c.state, 'SYN_SENT');
  assert.equal(c.pollTransmit(), undefined);
  // A bare ACK with a wrong number draws <SEQ=SEG.ACK><CTL=RST>.
  c.onSegment({ ...base, seq: 0, ack: 5555, flags: ACK }, 3000);
  const r = c.pollTransmit()!;
  assert.deepEqual({ flags: r.flags, seq: r.seq }, { flags: RST, seq: 5555 });
  assert.equal(c.state, 'SYN_SENT');
});

test('lost third ACK, ending 1: SYN-ACK retransmitted at +1, +3, +7, +15, +31 s, half-open connection dropped at +63 s without an error', () => {
  const net = setup();
  // Everything A sends after its SYN is lost.
  net.fate = (s) => s.from === 'A' && s.n > 0;
  const a = net.connect(linux, { iss: 1000 });
  net.runFor(200 * S);
  const t0 = 5 * S + 10 * MS;
  const synAcks = net.sent('B').filter((s) => s.seg.flags === (SYN | ACK));
  assert.deepEqual(
    synAcks.map((s) => (s.t - t0) / S),
    [0, 1, 3, 7, 15, 31],
    dump(net),
  );
  for (const s of synAcks) assert.equal(s.seg.seq, 5000);
  // A, ESTABLISHED, answers every duplicate SYN-ACK with an ACK (RFC 5961 §4.2 challenge ACK).
  const aAcks = net.sent('A').filter((s) => s.seg.flags === ACK);
  assert.equal(aAcks.length, 6);
  for (const s of aAcks) assert.deepEqual([s.seg.seq, s.seg.ack], [1001, 5001]);
  const b = net.b.history[0]!;
  assert.equal(b.state, 'CLOSED');
  assert.equal(net.b.timeOf('closed'), t0 + 63 * S);
  assert.deepEqual(net.b.eventTypes(), ['LISTEN>SYN_RECEIVED', 'SYN_RECEIVED>CLOSED', 'closed']);
  assert.equal(a.state, 'ESTABLISHED');
});

test('lost third ACK, ending 2: the ACK to the retransmitted SYN-ACK completes the handshake', () => {
  const net = setup();
  net.fate = (s) => s.from === 'A' && s.n === 2; // only the third segment
  const a = net.connect(linux, { iss: 1000 });
  net.runFor(10 * S);
  assert.equal(a.state, 'ESTABLISHED');
  assert.equal(net.b.conn!.state, 'ESTABLISHED');
  assert.equal(net.b.timeOf('established'), 5 * S + 1 * S + 30 * MS, dump(net));
  assert.equal(net.sent('B').filter((s) => s.seg.flags & SYN).length, 2);
});

test('lost third ACK, ending 3: a data segment with ACK completes the handshake', () => {
  const net = setup();
  net.fate = (s) => s.from === 'A' && s.n === 2;
  const a = net.connect(linux, { iss: 1000 });
  net.runFor(500 * MS);
  assert.equal(net.b.conn!.state, 'SYN_RECEIVED');
  a.send(pattern(100), net.now);
  net.runFor(10 * MS);
  assert.equal(net.b.conn!.state, 'ESTABLISHED');
  assert.equal(net.b.timeOf('established'), 5 * S + 510 * MS);
  assert.deepEqual(net.b.receivedBytes(), pattern(100));
  net.runFor(10 * S);
  // The SYN-ACK was never retransmitted.
  assert.equal(net.sent('B').filter((s) => s.seg.flags & SYN).length, 1);
});

test('SYN retransmissions at 0, 1, 3, 7, 15, 31, 63 s, then ETIMEDOUT at 127 s', () => {
  const net = new Net();
  net.fate = (s) => s.from === 'A';
  const a = net.connect(linux, { iss: 1000 });
  net.run(1000 * S);
  const syns = net.sent('A');
  assert.deepEqual(
    syns.map((s) => s.t / S),
    [0, 1, 3, 7, 15, 31, 63],
  );
  for (const s of syns) {
    assert.equal(s.seg.flags, SYN);
    assert.equal(s.seg.seq, 1000);
  }
  assert.equal(a.state, 'CLOSED');
  assert.deepEqual(net.a.eventTypes(), ['CLOSED>SYN_SENT', 'error:ETIMEDOUT', 'SYN_SENT>CLOSED', 'closed']);
  assert.equal(net.a.timeOf('closed'), 127 * S);
});

test('a retransmitted SYN carries a fresh timestamp; the SYN-ACK echo still gives an RTT sample', () => {
  const net = setup();
  net.fate = (s) => s.n === 0; // the first SYN is lost
  const a = net.connect(linux, { iss: 1000, tsOffset: 0 });
  net.runFor(5 * S);
  const syns = net.sent('A').filter((s) => s.seg.flags === SYN);
  assert.deepEqual(
    syns.map((s) => s.seg.options.find((o) => o.kind === 'timestamp')),
    [
      { kind: 'timestamp', val: 5000, ecr: 0 },
      { kind: 'timestamp', val: 6000, ecr: 0 },
    ],
  );
  assert.equal(a.state, 'ESTABLISHED');
  assert.equal(a.srtt, 20 * MS);
});

test('without timestamps, Karn: no sample from a retransmitted SYN, and data starts with a 3 s RTO (RFC 6298 §5.7)', () => {
  const noTs = profile('linux', { timestamps: false });
  const net = setup(noTs);
  net.fate = (s) => s.n === 0;
  const a = net.connect(noTs, { iss: 1000 });
  net.runFor(5 * S);
  assert.equal(a.state, 'ESTABLISHED');
  assert.equal(a.srtt, undefined);
  assert.equal(a.rto, 3 * S);
});

test('resetFor: RFC 9293 §3.10.7.1', () => {
  const base = { srcPort: 1234, dstPort: 80, window: 100, urgent: 0, options: [], payload: new Uint8Array(0) };
  // ACK set: <SEQ=SEG.ACK><CTL=RST>.
  assert.deepEqual(resetFor({ ...base, seq: 10, ack: 777, flags: ACK | PSH, payload: new Uint8Array(5) }), {
    srcPort: 80,
    dstPort: 1234,
    seq: 777,
    ack: 0,
    flags: RST,
    window: 0,
    urgent: 0,
    options: [],
    payload: new Uint8Array(0),
  });
  // No ACK: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, SYN and FIN counted.
  const r1 = resetFor({ ...base, seq: 10, ack: 0, flags: SYN })!;
  assert.deepEqual([r1.flags, r1.seq, r1.ack], [RST | ACK, 0, 11]);
  const r2 = resetFor({ ...base, seq: 10, ack: 0, flags: FIN, payload: new Uint8Array(20) })!;
  assert.deepEqual([r2.flags, r2.seq, r2.ack], [RST | ACK, 0, 31]);
  const r3 = resetFor({ ...base, seq: 0xffffffff, ack: 0, flags: SYN })!;
  assert.equal(r3.ack, 0);
  const r4 = resetFor({ ...base, seq: 10, ack: 0, flags: 0 })!;
  assert.deepEqual([r4.flags, r4.ack], [RST | ACK, 10]);
  // Never answer a RST.
  assert.equal(resetFor({ ...base, seq: 10, ack: 5, flags: RST }), undefined);
  assert.equal(resetFor({ ...base, seq: 10, ack: 5, flags: RST | ACK }), undefined);
});

test('a passive connection reset in SYN_RECEIVED by an exact RST emits closed and no error', () => {
  const net = setup();
  net.b.listen = undefined;
  const b = TcpConnection.openPassive({
    config: linux,
    tuple: net.b.tuple,
    iss: 9000,
    now: 0,
    mss: 1460,
    syn: { srcPort: 40000, dstPort: 80, seq: 77, ack: 0, flags: SYN, window: 8192, urgent: 0, options: [], payload: new Uint8Array(0) },
  });
  b.pollTransmit();
  const base = { srcPort: 40000, dstPort: 80, ack: 0, window: 0, urgent: 0, options: [], payload: new Uint8Array(0) };
  // In window but not exact: challenge ACK.
  b.onSegment({ ...base, seq: 100, flags: RST }, 1000);
  assert.equal(b.state, 'SYN_RECEIVED');
  const ch = b.pollTransmit()!;
  assert.deepEqual([ch.flags, ch.seq, ch.ack], [ACK, 9001, 78]);
  b.onSegment({ ...base, seq: 78, flags: RST }, 2000);
  const evs: string[] = [];
  for (let e = b.pollEvent(); e; e = b.pollEvent()) evs.push(e.type);
  assert.deepEqual(evs, ['state', 'state', 'closed']);
  assert.equal(b.state, 'CLOSED');
  // SYN-ACK then an ACK with a bad number draws <SEQ=SEG.ACK><CTL=RST> in SYN_RECEIVED.
  const c = TcpConnection.openPassive({
    config: linux,
    tuple: net.b.tuple,
    iss: 9000,
    now: 0,
    mss: 1460,
    syn: { srcPort: 40000, dstPort: 80, seq: 77, ack: 0, flags: SYN, window: 8192, urgent: 0, options: [], payload: new Uint8Array(0) },
  });
  c.pollTransmit();
  c.onSegment({ ...base, seq: 78, ack: 12345, flags: ACK }, 1000);
  const r = c.pollTransmit()!;
  assert.deepEqual([r.flags, r.seq], [RST, 12345]);
  assert.equal(c.state, 'SYN_RECEIVED');
  // A repeated SYN draws the SYN-ACK again.
  c.onSegment({ ...base, seq: 77, flags: SYN }, 2000);
  const again = c.pollTransmit()!;
  assert.deepEqual([again.flags, again.seq, again.ack], [SYN | ACK, 9000, 78]);
  void fmt;
});

test('openPassive refuses a segment that is not a bare SYN', () => {
  assert.throws(
    () =>
      TcpConnection.openPassive({
        config: linux,
        tuple: new Net().b.tuple,
        iss: 1,
        now: 0,
        mss: 1460,
        syn: { srcPort: 1, dstPort: 2, seq: 1, ack: 1, flags: SYN | ACK, window: 0, urgent: 0, options: [], payload: new Uint8Array(0) },
      }),
    RangeError,
  );
});
