// RFC 5961 against a stack, from a raw peer: blind RST and SYN attacks draw
// challenge ACKs (§3, §4) limited as §7 asks, ACKs outside
// [SND.UNA − MAX.SND.WND, SND.NXT] are refused (§5), and data outside the
// receive window is not taken (RFC 9293 §3.10.7.4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePair, A4, B4, bytes, text } from './helpers.js';
import { rawTcp, readTcp, seg } from './hostile-raw.js';
import type { TcpEndpoint } from '../../src/stack/tcp-endpoint.js';
import { ACK, PSH, RST, SYN, type Segment } from '../../src/wire/tcp-types.js';

const PORT = 80;
const CPORT = 40000;
const CISN = 1_000_000;

/** b listens; a raw client completes a handshake (no options: no timestamps, no window scaling). */
function established() {
  const { clock, b, link } = makePair({ ab: { delay: 1000 }, ba: { delay: 1000 } });
  const l = b.tcpListen({ port: PORT });
  let server: TcpEndpoint | undefined;
  const got: string[] = [];
  l.onConnection = (ep) => {
    server = ep;
    ep.setHandler((ev) => {
      if (ev.type === 'readable') for (let d = ep.read(); d !== null; d = ep.read()) got.push(text(d));
    });
  };
  const out: Segment[] = [];
  link.a.onReceive = (p) => {
    const t = readTcp(p);
    if (t !== undefined) out.push(t.seg);
  };
  const send = (s: Partial<Segment>): void => {
    link.a.send(rawTcp(A4, B4, seg({ srcPort: CPORT, dstPort: PORT, window: 65535, ...s })));
    clock.runFor(10_000);
  };
  send({ seq: CISN, flags: SYN });
  const synAck = out.shift()!;
  assert.equal(synAck.flags, SYN | ACK);
  const iss = synAck.seq;
  send({ seq: CISN + 1, ack: (iss + 1) >>> 0, flags: ACK });
  assert.ok(server !== undefined);
  assert.equal(server.state, 'ESTABLISHED');
  return { clock, b, out, send, server: server as TcpEndpoint, got, iss, rcvNxt: CISN + 1, sndNxt: (iss + 1) >>> 0 };
}

test('RFC 5961 §3.2: an exact RST resets; an in-window RST draws a challenge ACK; an out-of-window RST is ignored', () => {
  const h = established();
  const wnd = h.server.conn.rcvWnd;
  assert.ok(wnd > 1000);
  h.send({ seq: h.rcvNxt + 500, flags: RST });
  assert.deepEqual(h.out.map((s) => [s.flags, s.seq, s.ack]), [[ACK, h.sndNxt, h.rcvNxt]], 'challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>');
  assert.equal(h.server.state, 'ESTABLISHED');
  h.out.length = 0;
  h.send({ seq: h.rcvNxt + wnd + 10, flags: RST });
  h.send({ seq: h.rcvNxt - 1, flags: RST });
  assert.deepEqual(h.out, [], 'outside the window: silently dropped');
  assert.equal(h.server.state, 'ESTABLISHED');
  assert.equal(h.server.conn.stats.challengeAcks, 1);
  h.send({ seq: h.rcvNxt, flags: RST });
  assert.equal(h.server.state, 'CLOSED');
  assert.equal(h.b.connectionCount, 0);
  assert.deepEqual(h.out, [], 'no answer to a RST');
});

test('RFC 5961 §4.2 and §7: a SYN in ESTABLISHED draws a challenge ACK, at most one per 500 ms; the connection survives', () => {
  const h = established();
  for (const seq of [h.rcvNxt, h.rcvNxt + 100, CISN - 5000]) {
    h.clock.runFor(600_000);
    h.out.length = 0;
    h.send({ seq, flags: SYN });
    assert.deepEqual(h.out.map((s) => [s.flags, s.seq, s.ack]), [[ACK, h.sndNxt, h.rcvNxt]], `SYN at ${seq - h.rcvNxt} from RCV.NXT`);
  }
  // A burst: only the first in 500 ms is answered.
  h.clock.runFor(600_000);
  h.out.length = 0;
  for (let i = 0; i < 20; i++) h.send({ seq: h.rcvNxt + i, flags: SYN });
  assert.equal(h.out.length, 1);
  assert.ok(h.server.conn.stats.invalidAcksSuppressed >= 19);
  assert.equal(h.server.state, 'ESTABLISHED');
  // Still works.
  h.send({ seq: h.rcvNxt, ack: h.sndNxt, flags: ACK | PSH, payload: bytes('ok') });
  assert.deepEqual(h.got, ['ok']);
});

test('RFC 5961 §5.2: data whose ACK lies beyond SND.NXT or before SND.UNA − MAX.SND.WND is dropped with an ACK; an old ACK within the bound is taken', () => {
  const h = established();
  const maxSndWnd = 65535; // the window of our SYN and ACK (no scaling)
  h.send({ seq: h.rcvNxt, ack: (h.sndNxt + 1000) >>> 0, flags: ACK | PSH, payload: bytes('future') });
  assert.deepEqual(h.got, [], 'ACK of data never sent');
  assert.equal(h.out.length, 1);
  assert.equal(h.out[0]!.ack, h.rcvNxt);
  h.clock.runFor(600_000);
  h.send({ seq: h.rcvNxt, ack: (h.sndNxt - maxSndWnd - 10) >>> 0, flags: ACK | PSH, payload: bytes('ancient') });
  assert.deepEqual(h.got, [], 'ACK older than SND.UNA − MAX.SND.WND');
  h.send({ seq: h.rcvNxt, ack: (h.sndNxt - 1000) >>> 0, flags: ACK | PSH, payload: bytes('old-ok') });
  assert.deepEqual(h.got, ['old-ok'], 'an old duplicate ACK within the bound is acceptable');
  assert.equal(h.server.state, 'ESTABLISHED');
});

test('RFC 9293 §3.10.7.4: data beyond the receive window, or wholly before RCV.NXT, is not taken; the right data still is', () => {
  const h = established();
  const wnd = h.server.conn.rcvWnd;
  h.send({ seq: h.rcvNxt + wnd + 1, ack: h.sndNxt, flags: ACK | PSH, payload: bytes('beyond') });
  h.send({ seq: h.rcvNxt - 10, ack: h.sndNxt, flags: ACK | PSH, payload: bytes('before') });
  assert.deepEqual(h.got, []);
  assert.equal(h.server.conn.readableLength, 0);
  assert.ok(h.out.length >= 1 && h.out.every((s) => s.flags === ACK && s.ack === h.rcvNxt), 'answered by ACKs of RCV.NXT');
  h.send({ seq: h.rcvNxt, ack: h.sndNxt, flags: ACK | PSH, payload: bytes('right') });
  assert.deepEqual(h.got, ['right']);
});
