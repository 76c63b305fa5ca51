import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Net, Host, MS, S, dump, pattern } from './harness.js';
import { profile } from '../../src/tcp/config.js';
import { TcpConnection } from '../../src/tcp/connection.js';
import { ACK, FIN, RST } from '../../src/wire/tcp-types.js';

const linux = profile('linux');

/** A (iss 1000) connected to B (iss 5000); the clock at 1 s. */
function established(cfg = linux): { net: Net; a: TcpConnection; b: TcpConnection } {
  const net = new Net();
  net.b.listen = { config: cfg, mss: 1460, iss: 5000, tsOffset: 0 };
  const a = net.connect(cfg, { iss: 1000, tsOffset: 0 });
  net.run(1 * S);
  assert.equal(a.state, 'ESTABLISHED');
  return { net, a, b: net.b.conn! };
}

/** 'closed' appears exactly once, as the last event. */
function closedOnceLast(h: Host): void {
  const types = h.events.map((e) => e.ev.type);
  assert.equal(types.filter((t) => t === 'closed').length, 1, types.join(' '));
  assert.equal(types[types.length - 1], 'closed');
}

function line(net: Net, i: number): [number, string, number, number, number] {
  const s = net.log[i]!;
  return [s.t, s.from, s.seg.flags, s.seg.seq, s.seg.ack];
}

test('four-way close: FIN, ACK, FIN, ACK, then TIME_WAIT for 60 s', () => {
  const { net, a, b } = established();
  const n0 = net.log.length;
  a.close(net.now);
  assert.equal(a.state, 'FIN_WAIT_1');
  net.run(2 * S);
  assert.equal(a.state, 'FIN_WAIT_2');
  assert.equal(b.state, 'CLOSE_WAIT');
  b.close(net.now);
  assert.equal(b.state, 'LAST_ACK');
  net.run(200 * S);
  assert.deepEqual(
    [line(net, n0), line(net, n0 + 1), line(net, n0 + 2), line(net, n0 + 3)],
    [
      [1 * S, 'A', FIN | ACK, 1001, 5001],
      [1 * S + 10 * MS, 'B', ACK, 5001, 1002],
      [2 * S, 'B', FIN | ACK, 5001, 1002],
      [2 * S + 10 * MS, 'A', ACK, 1002, 5002],
    ],
  );
  assert.equal(net.log.length, n0 + 4, dump(net));
  assert.deepEqual(net.a.eventTypes().slice(3), ['ESTABLISHED>FIN_WAIT_1', 'FIN_WAIT_1>FIN_WAIT_2', 'eof', 'FIN_WAIT_2>TIME_WAIT', 'TIME_WAIT>CLOSED', 'closed']);
  assert.deepEqual(net.b.eventTypes().slice(3), ['eof', 'ESTABLISHED>CLOSE_WAIT', 'CLOSE_WAIT>LAST_ACK', 'LAST_ACK>CLOSED', 'closed']);
  assert.equal(net.a.timeOf('state', (e) => e.type === 'state' && e.to === 'TIME_WAIT'), 2 * S + 10 * MS);
  assert.equal(net.a.timeOf('closed'), 62 * S + 10 * MS);
  assert.equal(net.b.timeOf('closed'), 2 * S + 20 * MS);
  closedOnceLast(net.a);
  closedOnceLast(net.b);
  assert.equal(a.nextDeadline(), Infinity);
});

test('simultaneous close: FINs cross, both go through CLOSING to TIME_WAIT', () => {
  const { net, a, b } = established();
  const n0 = net.log.length;
  a.close(net.now);
  b.close(net.now);
  net.run(200 * S);
  assert.deepEqual(
    net.log.slice(n0).map((_, i) => line(net, n0 + i)),
    [
      [1 * S, 'A', FIN | ACK, 1001, 5001],
      [1 * S, 'B', FIN | ACK, 5001, 1001],
      [1 * S + 10 * MS, 'B', ACK, 5002, 1002],
      [1 * S + 10 * MS, 'A', ACK, 1002, 5002],
    ],
    dump(net),
  );
  for (const h of [net.a, net.b]) {
    assert.deepEqual(h.eventTypes().slice(-6), ['ESTABLISHED>FIN_WAIT_1', 'eof', 'FIN_WAIT_1>CLOSING', 'CLOSING>TIME_WAIT', 'TIME_WAIT>CLOSED', 'closed']);
    assert.equal(h.timeOf('state', (e) => e.type === 'state' && e.to === 'TIME_WAIT'), 1 * S + 20 * MS);
    assert.equal(h.timeOf('closed'), 61 * S + 20 * MS);
    closedOnceLast(h);
  }
});

test('half-close: after shutdown the peer keeps sending and A keeps reading', () => {
  const { net, a, b } = established();
  a.send(pattern(1000, 1), net.now);
  a.shutdown(net.now);
  assert.equal(a.state, 'FIN_WAIT_1');
  assert.equal(a.send(pattern(10), net.now), 0);
  net.run(2 * S);
  assert.equal(b.state, 'CLOSE_WAIT');
  assert.ok(net.b.eventTypes().includes('eof'));
  assert.deepEqual(net.b.receivedBytes(), pattern(1000, 1));
  assert.equal(a.state, 'FIN_WAIT_2');
  const big = pattern(50_000, 2);
  let off = 0;
  net.b.onEvent = (ev) => {
    if (ev.type === 'writable') off += b.send(big.subarray(off), net.now);
  };
  off += b.send(big, net.now);
  net.run(10 * S);
  assert.equal(off, big.length);
  assert.deepEqual(net.a.receivedBytes(), big);
  assert.equal(a.state, 'FIN_WAIT_2');
  b.close(net.now);
  net.run(100 * S);
  assert.equal(a.state, 'CLOSED');
  assert.equal(b.state, 'CLOSED');
  assert.ok(!net.a.events.some((e) => e.ev.type === 'error'));
  assert.ok(!net.b.events.some((e) => e.ev.type === 'error'));
  closedOnceLast(net.a);
  closedOnceLast(net.b);
});

test('TIME_WAIT: a retransmitted FIN after a lost last ACK is ACKed again and restarts the 60 s timer', () => {
  const { net, a, b } = established();
  a.close(net.now);
  net.run(2 * S);
  let dropped = false;
  net.fate = (s) => {
    if (!dropped && s.from === 'A' && s.seg.flags === ACK && s.seg.ack === 5002) return (dropped = true);
    return false;
  };
  b.close(net.now);
  net.run(200 * S);
  const finsFromB = net.sent('B').filter((s) => s.seg.flags & FIN);
  // B's RTO is 200 ms (20 ms RTT, clamped to rtoMin).
  assert.deepEqual(
    finsFromB.map((s) => s.t),
    [2 * S, 2 * S + 200 * MS],
    dump(net),
  );
  const acks = net.sent('A').filter((s) => s.seg.ack === 5002);
  assert.deepEqual(
    acks.map((s) => [s.t, s.dropped]),
    [
      [2 * S + 10 * MS, true],
      [2 * S + 210 * MS, false],
    ],
  );
  assert.equal(net.b.timeOf('closed'), 2 * S + 220 * MS);
  // 60 s from the second FIN, not the first.
  assert.equal(net.a.timeOf('closed'), 62 * S + 210 * MS);
  assert.equal(a.state, 'CLOSED');
});

test('FIN_WAIT_2 timeout after close(): closed at +finTimeout, later FIN answered with RST', () => {
  const { net, a, b } = established();
  a.close(net.now);
  net.run(200 * S);
  assert.equal(net.a.timeOf('state', (e) => e.type === 'state' && e.to === 'FIN_WAIT_2'), 1 * S + 20 * MS);
  assert.equal(net.a.timeOf('closed'), 61 * S + 20 * MS);
  assert.deepEqual(net.a.eventTypes().slice(-2), ['FIN_WAIT_2>CLOSED', 'closed']);
  assert.ok(!net.a.events.some((e) => e.ev.type === 'error'));
  assert.equal(b.state, 'CLOSE_WAIT');
  b.close(net.now);
  net.run(300 * S);
  const rst = net.sent('A').find((s) => s.seg.flags & RST)!;
  assert.ok(rst.unconnected);
  assert.equal(rst.seg.seq, 1002);
  assert.equal(b.state, 'CLOSED');
  assert.ok(!net.b.events.some((e) => e.ev.type === 'error'));
  closedOnceLast(net.b);
});

test('shutdown() alone has no FIN_WAIT_2 timeout', () => {
  const { net, a } = established();
  a.shutdown(net.now);
  net.run(10_000 * S);
  assert.equal(a.state, 'FIN_WAIT_2');
  assert.equal(a.nextDeadline(), Infinity);
});

test('close() with unread data sends RST <SEQ=SND.NXT> (RFC 1122 §4.2.2.13); the peer sees ECONNRESET', () => {
  const { net, a, b } = established();
  net.a.autoRead = false;
  b.send(pattern(100), net.now);
  net.run(2 * S);
  assert.equal(a.readableLength, 100);
  const n0 = net.log.length;
  a.close(net.now);
  net.run(3 * S);
  assert.deepEqual(line(net, n0), [2 * S, 'A', RST, 1001, 0]);
  assert.equal(a.state, 'CLOSED');
  assert.deepEqual(net.a.eventTypes().slice(-2), ['ESTABLISHED>CLOSED', 'closed']);
  assert.deepEqual(net.b.eventTypes().slice(-3), ['error:ECONNRESET', 'ESTABLISHED>CLOSED', 'closed']);
  assert.equal(net.b.timeOf('closed'), 2 * S + 10 * MS);
  assert.equal(b.state, 'CLOSED');
});

test('data arriving after close() draws a RST', () => {
  const { net, a, b } = established();
  a.close(net.now);
  net.run(2 * S);
  assert.equal(a.state, 'FIN_WAIT_2');
  b.send(pattern(100), net.now);
  net.run(3 * S);
  const rst = net.sent('A').find((s) => s.seg.flags & RST)!;
  assert.ok(rst && !rst.unconnected, dump(net));
  assert.equal(rst.seg.seq, 1002);
  assert.equal(rst.t, 2 * S + 10 * MS);
  assert.equal(a.state, 'CLOSED');
  assert.ok(!net.a.events.some((e) => e.ev.type === 'error'));
  assert.ok(net.b.eventTypes().includes('error:ECONNRESET'));
  closedOnceLast(net.a);
  closedOnceLast(net.b);
});

test('abort(): RST <SEQ=SND.NXT>, no error for the aborting side', () => {
  const { net, a, b } = established();
  a.send(pattern(10), net.now);
  net.run(2 * S);
  a.abort(net.now);
  assert.equal(a.state, 'CLOSED');
  net.run(3 * S);
  const rst = net.sent('A').find((s) => s.seg.flags & RST)!;
  assert.deepEqual([rst.seg.flags, rst.seg.seq], [RST, 1011]);
  assert.deepEqual(net.a.eventTypes().slice(-2), ['ESTABLISHED>CLOSED', 'closed']);
  assert.ok(net.b.eventTypes().includes('error:ECONNRESET'));
  assert.equal(b.state, 'CLOSED');
});

test('close() in SYN_SENT just forgets the connection; abort() in SYN_SENT sends nothing', () => {
  for (const op of ['close', 'abort'] as const) {
    const net = new Net();
    net.fate = () => true; // the SYN goes nowhere
    const a = net.connect(linux, { iss: 1000 });
    net.run(100 * MS);
    const n0 = net.log.length;
    a[op](net.now);
    net.run(10 * S);
    assert.equal(net.log.length, n0);
    assert.equal(a.state, 'CLOSED');
    assert.deepEqual(net.a.eventTypes(), ['CLOSED>SYN_SENT', 'SYN_SENT>CLOSED', 'closed']);
  }
});

test('shutdown() before the handshake completes sends the FIN once ESTABLISHED', () => {
  const net = new Net();
  net.b.listen = { config: linux, mss: 1460, iss: 5000, tsOffset: 0 };
  const a = net.connect(linux, { iss: 1000, tsOffset: 0 });
  a.send(pattern(20), net.now);
  a.shutdown(net.now);
  assert.equal(a.state, 'SYN_SENT');
  net.run(1 * S);
  const third = net.log[2]!;
  assert.equal(third.seg.flags & (FIN | ACK), FIN | ACK);
  assert.equal(third.seg.payload.length, 20);
  assert.equal(a.state, 'FIN_WAIT_2');
  assert.deepEqual(net.b.receivedBytes(), pattern(20));
  assert.equal(net.b.conn!.state, 'CLOSE_WAIT');
});

test('FIN with data sent in one segment after close(); data queued before is delivered before eof', () => {
  const { net, a } = established();
  a.send(pattern(3000, 5), net.now);
  a.close(net.now);
  net.run(5 * S);
  const fin = net.sent('A').find((s) => s.seg.flags & FIN)!;
  assert.ok(fin.seg.payload.length > 0);
  assert.equal(fin.seg.seq + fin.seg.payload.length, 1001 + 3000);
  assert.deepEqual(net.b.receivedBytes(), pattern(3000, 5));
  const types = net.b.eventTypes();
  assert.ok(types.lastIndexOf('readable') < types.indexOf('eof'));
});
