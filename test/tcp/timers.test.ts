import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Net, MS, S, dump, pattern } from './harness.js';
import { profile } from '../../src/tcp/config.js';
import type { TcpConfig } from '../../src/tcp/config.js';
import type { TcpConnection } from '../../src/tcp/connection.js';
import { ACK, RST } from '../../src/wire/tcp-types.js';

const linux = profile('linux');

function established(cfgA: TcpConfig = linux, cfgB: TcpConfig = cfgA): { net: Net; a: TcpConnection; b: TcpConnection } {
  const net = new Net();
  net.b.listen = { config: cfgB, mss: 1460, iss: 5000, tsOffset: 0 };
  const a = net.connect(cfgA, { iss: 1000, tsOffset: 0 });
  net.run(1 * S);
  assert.equal(a.state, 'ESTABLISHED');
  return { net, a, b: net.b.conn! };
}

function gaps(times: number[]): number[] {
  return times.slice(1).map((t, i) => (t - times[i]!) / S);
}

test('bsd profile: retransmissions 1.5, 3, 6, 12, 24, 48, 64, 64 … s apart, ETIMEDOUT after 12', () => {
  const bsd = profile('bsd');
  const { net, a } = established(bsd);
  assert.equal(a.rto, 1.5 * S);
  net.run(10 * S);
  net.fate = (s) => s.from === 'A';
  a.send(pattern(100), net.now);
  net.run(2000 * S);
  const tx = net.sent('A').filter((s) => s.seg.payload.length === 100);
  assert.equal(tx[0]!.t, 10 * S);
  assert.deepEqual(gaps(tx.map((s) => s.t)), [1.5, 3, 6, 12, 24, 48, 64, 64, 64, 64, 64, 64], dump(net));
  for (const s of tx) assert.equal(s.seg.seq, 1001);
  assert.deepEqual(net.a.eventTypes().slice(-3), ['error:ETIMEDOUT', 'ESTABLISHED>CLOSED', 'closed']);
  // 542.5 s after the first transmission: the classic "about 9 minutes".
  assert.equal(net.a.timeOf('closed'), 10 * S + 542.5 * S);
});

test('linux profile: RTO 200 ms doubling to 120 s, ETIMEDOUT 924.6 s after the first transmission (retries2 = 15)', () => {
  // The timer alone: with RACK-TLP a probe would go first, in the first RTO's place (see the rto-backoff scenario).
  const { net, a } = established({ ...linux, rack: false });
  assert.equal(a.rto, 200 * MS);
  net.fate = (s) => s.from === 'A';
  a.send(pattern(100), net.now);
  net.run(5000 * S);
  const tx = net.sent('A').filter((s) => s.seg.payload.length === 100);
  assert.equal(tx.length, 16);
  assert.deepEqual(gaps(tx.map((s) => s.t)), [0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 51.2, 102.4, 120, 120, 120, 120, 120]);
  assert.equal(net.a.timeOf('closed')! - tx[0]!.t, 924.6 * S);
  assert.ok(net.a.eventTypes().includes('error:ETIMEDOUT'));
  assert.equal(a.stats.timeouts, 16);
});

test('timeout with a remembered soft ICMP error reports that error instead of ETIMEDOUT', () => {
  const { net, a } = established();
  net.fate = (s) => s.from === 'A';
  a.send(pattern(100), net.now);
  a.onIcmp({ kind: 'soft', code: 'EHOSTUNREACH' }, net.now);
  net.run(5000 * S);
  assert.ok(net.a.eventTypes().includes('error:EHOSTUNREACH'));
});

test('zero window: persist probes <SEQ=SND.UNA−1> with backoff from the RTO up to 120 s, answered forever, then the window reopens', () => {
  const small = profile('linux', { rcvBuf: 2896 });
  const { net, a, b } = established(linux, small);
  net.b.autoRead = false;
  const data = pattern(10_000, 3);
  assert.equal(a.send(data, net.now), 10_000);
  net.run(2 * 3600 * S);
  const zeroAck = net.sent('B').find((s) => s.seg.window === 0)!;
  assert.equal(zeroAck.t, 1 * S + 10 * MS);
  assert.equal(zeroAck.seg.ack, 1001 + 2896);
  assert.equal(a.sndWnd, 0);
  const probes = net.sent('A').filter((s) => s.t > 1 * S + 20 * MS);
  for (const p of probes) {
    assert.deepEqual([p.seg.flags, p.seg.seq, p.seg.ack, p.seg.payload.length], [ACK, 1001 + 2896 - 1, 5001, 0]);
  }
  const times = probes.map((p) => p.t);
  assert.equal(times[0], 1 * S + 20 * MS + 200 * MS);
  const g = gaps(times);
  assert.deepEqual(g.slice(0, 11), [0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 51.2, 102.4, 120, 120]);
  assert.ok(g.every((x) => x <= 120));
  // About (7200 − 205.6) / 120 ≈ 58 probes at the cap: never given up, each answered.
  assert.ok(probes.length > 60, `${probes.length} probes`);
  const answers = net.sent('B').filter((s) => s.t > 1 * S + 20 * MS);
  assert.equal(answers.length, probes.length);
  for (const s of answers) assert.deepEqual([s.seg.seq, s.seg.ack, s.seg.window], [5001, 3897, 0]);
  assert.equal(a.state, 'ESTABLISHED');
  assert.equal(a.stats.windowProbes, probes.length);
  // The application reads: a window update goes out and the transfer resumes.
  const got: Uint8Array[] = [];
  const drain = () => {
    for (let d = b.read(undefined, net.now); d; d = b.read(undefined, net.now)) got.push(d);
  };
  net.b.onEvent = (ev) => {
    if (ev.type === 'readable') drain();
  };
  const t = net.now;
  drain();
  net.flush();
  const update = net.sent('B').at(-1)!;
  assert.deepEqual([update.t, update.seg.ack, update.seg.window], [t, 3897, 2896]);
  net.run(net.now + 10 * S);
  const all = new Uint8Array(got.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of got) {
    all.set(c, o);
    o += c.length;
  }
  assert.deepEqual(all, data);
});

test('zero window with a lost window update: the next probe learns the open window', () => {
  const small = profile('linux', { rcvBuf: 2896 });
  const { net, a, b } = established(linux, small);
  net.b.autoRead = false;
  a.send(pattern(5000, 4), net.now);
  net.run(5 * S);
  let lost = false;
  net.fate = (s) => {
    if (!lost && s.from === 'B' && s.seg.window > 0) return (lost = true);
    return false;
  };
  const first = b.read(undefined, net.now)!;
  net.b.autoRead = true;
  net.run(200 * S);
  assert.ok(lost);
  assert.equal(first.length, 2896);
  assert.deepEqual(net.b.receivedBytes(), pattern(5000, 4).subarray(2896));
});

test('zero window and a peer that stops answering: ETIMEDOUT after retries2 unanswered probes', () => {
  const small = profile('linux', { rcvBuf: 2896 });
  const { net, a } = established(linux, small);
  net.b.autoRead = false;
  a.send(pattern(10_000), net.now);
  net.run(1.1 * S);
  assert.equal(a.sndWnd, 0);
  net.fate = (s) => s.from === 'B';
  net.run(5000 * S);
  assert.equal(a.stats.windowProbes, 15);
  assert.ok(net.a.eventTypes().includes('error:ETIMEDOUT'));
  // 16 persist intervals after the zero-window ACK: 204.6 s doubling, then 6 × 120 s.
  assert.equal(net.a.timeOf('closed'), 1 * S + 20 * MS + 924.6 * S);
});

test('keepalive, peer alive: probe <SEQ=SND.UNA−1> after 7200 s idle, the answer restarts the idle time', () => {
  const { net, a } = established();
  a.setKeepAlive(true, undefined, net.now);
  net.run(20_000 * S);
  const probes = net.sent('A').filter((s) => s.t > 1 * S);
  assert.deepEqual(
    probes.map((s) => [s.t, s.seg.flags, s.seg.seq, s.seg.ack, s.seg.payload.length]),
    [
      [7201 * S, ACK, 1000, 5001, 0],
      [14401 * S + 20 * MS, ACK, 1000, 5001, 0],
    ],
  );
  const answers = net.sent('B').filter((s) => s.t > 1 * S);
  assert.deepEqual(
    answers.map((s) => [s.t, s.seg.seq, s.seg.ack]),
    [
      [7201 * S + 10 * MS, 5001, 1001],
      [14401 * S + 30 * MS, 5001, 1001],
    ],
  );
  assert.equal(a.state, 'ESTABLISHED');
  assert.equal(a.stats.keepaliveProbes, 2);
});

test('keepalive, peer crashed: 9 probes 75 s apart, then RST and ETIMEDOUT', () => {
  const { net, a } = established();
  a.setKeepAlive(true, undefined, net.now);
  net.fate = (s) => s.from === 'B' || s.from === 'A';
  net.run(20_000 * S);
  const probes = net.sent('A').filter((s) => s.seg.flags === ACK && s.t > 1 * S);
  assert.deepEqual(
    probes.map((s) => s.t / S),
    [7201, 7276, 7351, 7426, 7501, 7576, 7651, 7726, 7801],
  );
  const rst = net.sent('A').find((s) => s.seg.flags & RST)!;
  assert.deepEqual([rst.t, rst.seg.seq], [7876 * S, 1001]);
  assert.deepEqual(net.a.eventTypes().slice(-3), ['error:ETIMEDOUT', 'ESTABLISHED>CLOSED', 'closed']);
  assert.equal(net.a.timeOf('closed'), 7876 * S);
});

test('keepalive, peer rebooted: the probe draws a RST and the connection fails with ECONNRESET', () => {
  const { net, a } = established();
  a.setKeepAlive(true, 60 * S, net.now);
  net.run(10 * S);
  // B's host restarts and forgets the connection.
  net.b.conn = undefined;
  net.b.listen = undefined;
  net.run(1000 * S);
  const probe = net.sent('A').find((s) => s.t > 1 * S)!;
  assert.equal(probe.t, 61 * S);
  const rst = net.sent('B').find((s) => s.seg.flags & RST)!;
  assert.deepEqual([rst.seg.flags, rst.seg.seq, rst.unconnected], [RST, 5001, true]);
  assert.deepEqual(net.a.eventTypes().slice(-3), ['error:ECONNRESET', 'ESTABLISHED>CLOSED', 'closed']);
  assert.equal(net.a.timeOf('closed'), 61 * S + 20 * MS);
});

test('keepalive waits while data is outstanding and is off by default', () => {
  const { net, a } = established();
  net.run(10_000 * S);
  assert.equal(net.sent('A').filter((s) => s.t > 1 * S).length, 0);
  assert.equal(a.nextDeadline(), Infinity);
  a.setKeepAlive(true, 100 * S, net.now);
  assert.equal(a.nextDeadline(), net.now + 100 * S);
  a.setKeepAlive(false);
  assert.equal(a.nextDeadline(), Infinity);
});

test('delayed ACK: one small segment is acknowledged after 40 ms, two full-sized ones at once', () => {
  // Quick-ACK mode off: the delayed ACK from the first segment (quick-ack.test.ts covers the mode).
  const { net, a } = established({ ...linux, quickAck: false });
  a.send(pattern(100), net.now);
  net.run(2 * S); // lets B open its window past the SYN-ACK's 65535
  let n0 = net.log.length;
  a.send(pattern(100), net.now);
  net.run(3 * S);
  assert.deepEqual(
    net.log.slice(n0).map((s) => [s.t, s.from, s.seg.payload.length, s.seg.ack]),
    [
      [2 * S, 'A', 100, 5001],
      [2 * S + 50 * MS, 'B', 0, 1201],
    ],
  );
  n0 = net.log.length;
  a.send(pattern(2 * 1448), net.now);
  net.run(4 * S);
  assert.deepEqual(
    net.log.slice(n0).map((s) => [s.t, s.from, s.seg.payload.length, s.seg.ack]),
    [
      [3 * S, 'A', 1448, 5001],
      [3 * S, 'A', 1448, 5001],
      [3 * S + 10 * MS, 'B', 0, 1201 + 2896],
    ],
  );
});

test('Nagle holds a second small segment until the ACK; setNoDelay sends at once', () => {
  // Quick-ACK mode off: the delayed ACK from the first segment (quick-ack.test.ts covers the mode).
  const { net, a } = established({ ...linux, quickAck: false });
  a.send(pattern(100), net.now);
  net.run(2 * S);
  let n0 = net.log.length;
  a.send(pattern(10, 1), net.now);
  a.send(pattern(10, 2), net.now);
  net.run(3 * S);
  assert.deepEqual(
    net.log.slice(n0).map((s) => [s.t, s.from, s.seg.payload.length]),
    [
      [2 * S, 'A', 10],
      [2 * S + 50 * MS, 'B', 0],
      [2 * S + 60 * MS, 'A', 10],
      [2 * S + 110 * MS, 'B', 0],
    ],
  );
  a.setNoDelay(true);
  n0 = net.log.length;
  a.send(pattern(10, 3), net.now);
  a.send(pattern(10, 4), net.now);
  net.run(4 * S);
  assert.deepEqual(
    net.log.slice(n0, n0 + 2).map((s) => [s.t, s.from, s.seg.payload.length]),
    [
      [3 * S, 'A', 10],
      [3 * S, 'A', 10],
    ],
  );
});

test('fast retransmit on the third duplicate ACK, with SACK blocks in the duplicates', () => {
  const { net, a } = established();
  a.send(pattern(100), net.now);
  net.run(2 * S);
  const base = 1101;
  // Drop the third of ten full segments, once.
  net.fate = (s) => s.from === 'A' && s.seg.seq === base + 2 * 1448 && s.seg.payload.length > 0 && !s.dropped && net.log.filter((x) => x.seg.seq === s.seg.seq && x.from === 'A').length === 1;
  const data = pattern(10 * 1448, 9);
  a.send(data, net.now);
  net.run(10 * S);
  assert.equal(a.stats.fastRetransmits, 1);
  assert.equal(a.stats.timeouts, 0);
  // The first ACK of 3997 acknowledges two segments; the rest are duplicates.
  const dups = net.sent('B').filter((s) => s.seg.ack === base + 2 * 1448).slice(1);
  assert.equal(dups.length, 7, dump(net));
  const sackOf = (i: number) => dups[i]!.seg.options.find((o) => o.kind === 'sack');
  assert.deepEqual(sackOf(0), { kind: 'sack', blocks: [{ left: base + 3 * 1448, right: base + 4 * 1448 }] });
  assert.deepEqual(sackOf(1), { kind: 'sack', blocks: [{ left: base + 3 * 1448, right: base + 5 * 1448 }] });
  const rtx = net.sent('A').filter((s) => s.seg.seq === base + 2 * 1448);
  assert.equal(rtx.length, 2);
  // Retransmitted when the third duplicate arrives, long before the 200 ms RTO.
  assert.ok(rtx[1]!.t - rtx[0]!.t < 50 * MS);
  assert.deepEqual(net.b.receivedBytes().subarray(100), data);
});

test('RTO: go back to SND.UNA with cwnd = 1 segment, then slow start again', () => {
  // Without RACK-TLP: a tail loss probe would repair this loss before the
  // timeout (see recovery.test.ts); without quick-ACK, B delays its ACKs.
  const { net, a } = established({ ...linux, rack: false, quickAck: false });
  a.send(pattern(100), net.now);
  net.run(2 * S);
  // Lose the whole first flight once.
  net.fate = (s) => s.from === 'A' && s.t === 2 * S;
  const data = pattern(6 * 1448, 11);
  a.send(data, net.now);
  net.run(10 * S);
  const tx = net.sent('A').filter((s) => s.seg.payload.length > 0 && s.t >= 2 * S);
  assert.equal(tx.filter((s) => s.t === 2 * S).length, 6);
  // The RTO fires at 2.2 s and resends only the first segment.
  const after = tx.filter((s) => s.t > 2 * S);
  assert.deepEqual([after[0]!.t, after[0]!.seg.seq], [2 * S + 200 * MS, 1101]);
  assert.equal(after.filter((s) => s.t === 2 * S + 200 * MS).length, 1);
  // Its ACK (delayed 40 ms by B) opens cwnd to 2 segments: the next two go together.
  assert.deepEqual(
    after.slice(1, 3).map((s) => [s.t, s.seg.seq]),
    [
      [2 * S + 260 * MS, 1101 + 1448],
      [2 * S + 260 * MS, 1101 + 2 * 1448],
    ],
  );
  assert.deepEqual(net.b.receivedBytes().subarray(100), data);
  assert.equal(a.stats.timeouts, 1);
});

test('a receiver that shuts its window on data in flight is probed by the retransmissions for as long as it answers, and the transfer then completes', () => {
  const noTs = profile('linux', { timestamps: false });
  const { net, a, b } = established(noTs);
  const data = pattern(30_000, 5);
  // For two hours the peer answers every data segment with <ACK=RCV.NXT><WND=0> and keeps none
  // of it: a window shut on what is already in flight, as a receiver that shrinks it would.
  let shut = true;
  net.fate = (s) => {
    if (!shut || s.from !== 'A' || s.seg.payload.length === 0) return undefined;
    net.inject('B', { srcPort: 80, dstPort: 40000, seq: b.sndNxt, ack: b.rcvNxt, flags: ACK, window: 0, urgent: 0, options: [], payload: new Uint8Array(0) });
    return { drop: true };
  };
  assert.equal(a.send(data, net.now), 30_000);
  net.run(net.now + 2 * 3600 * S);
  assert.equal(a.sndWnd, 0);
  assert.ok(a.stats.timeouts > noTs.retries2, `${a.stats.timeouts} timeouts: more than retries2 (${noTs.retries2}) without giving up`);
  assert.equal(a.state, 'ESTABLISHED');
  // The window opens again (the next retransmission gets through): everything arrives, in order.
  shut = false;
  net.run(net.now + 600 * S);
  assert.deepEqual(Buffer.concat(net.b.received), Buffer.from(data));
});

test('a peer that shut its window and then falls silent is given up on after the retries', () => {
  const noTs = profile('linux', { timestamps: false });
  const { net, a, b } = established(noTs);
  let answers = 3;
  net.fate = (s) => {
    if (s.from !== 'A' || s.seg.payload.length === 0) return undefined;
    if (answers-- > 0) net.inject('B', { srcPort: 80, dstPort: 40000, seq: b.sndNxt, ack: b.rcvNxt, flags: ACK, window: 0, urgent: 0, options: [], payload: new Uint8Array(0) });
    return { drop: true };
  };
  a.send(pattern(30_000, 5), net.now);
  net.run(net.now + 2 * 3600 * S);
  assert.equal(a.state, 'CLOSED');
  assert.ok(net.a.eventTypes().includes('error:ETIMEDOUT'));
});
