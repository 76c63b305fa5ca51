import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePair, A4, A6, B4, B6, bytes, text } from './helpers.js';
import { parseAddress } from '../../src/stack/addr.js';
import { StackError } from '../../src/stack/errors.js';
import type { TcpEndpoint } from '../../src/stack/tcp-endpoint.js';
import type { ConnEvent } from '../../src/tcp/types.js';
import { parseIpv4 } from '../../src/wire/ipv4.js';
import { parseTcp } from '../../src/wire/tcp.js';
import { ACK, RST, SYN } from '../../src/wire/tcp-types.js';

const ip = (s: string): Uint8Array => parseAddress(s)!;

/** Collect an endpoint's events and everything it reads. */
function watch(ep: TcpEndpoint): { events: ConnEvent[]; data: string[] } {
  const w = { events: [] as ConnEvent[], data: [] as string[] };
  ep.setHandler((ev) => {
    w.events.push(ev);
    if (ev.type === 'readable') {
      for (let d = ep.read(); d !== null; d = ep.read()) w.data.push(text(d));
    }
  });
  return w;
}

const types = (w: { events: ConnEvent[] }): string[] => w.events.filter((e) => e.type !== 'state').map((e) => e.type);

test('many connections between the same two hosts are told apart by their 4-tuples (IPv4 and IPv6)', () => {
  const { clock, a, b } = makePair({ ab: { delay: 500 }, ba: { delay: 500 } });
  const l = b.tcpListen({ port: 7 });
  // An echo server.
  l.onConnection = (ep) =>
    ep.setHandler((ev) => {
      if (ev.type === 'readable') for (let d = ep.read(); d !== null; d = ep.read()) ep.send(d);
      if (ev.type === 'eof') ep.close();
    });
  const clients: Array<{ ep: TcpEndpoint; w: ReturnType<typeof watch>; msg: string }> = [];
  for (let i = 0; i < 40; i++) {
    const ep = a.tcpConnect({ remoteAddr: ip(i % 2 ? B6 : B4), remotePort: 7 });
    const w = watch(ep);
    const msg = `client ${i} says ${'x'.repeat(i)}`;
    ep.send(bytes(msg));
    ep.shutdown();
    clients.push({ ep, w, msg });
  }
  const ports = new Set(clients.map((c) => `${c.ep.family}/${c.ep.localPort}`));
  assert.equal(ports.size, 40);
  clock.runUntilIdle();
  for (const c of clients) {
    assert.equal(c.w.data.join(''), c.msg);
    assert.deepEqual(types(c.w), ['established', 'readable', 'eof', 'closed']);
  }
  assert.equal(a.connectionCount, 0, 'TIME_WAIT ran out');
  assert.equal(b.connectionCount, 0);
  assert.equal(a.stats.tcpActiveOpens, 40);
  assert.equal(b.stats.tcpPassiveOpens, 40);
  assert.equal(a.stats.tcpRetransmits, 0);
  assert.equal(a.stats.tcpOut, b.stats.tcpIn, 'a lossless link loses nothing');
});

test('ephemeral ports: unique per destination, inside the range, and an explicit port in use is EADDRINUSE', () => {
  const { a, b } = makePair({ stack: { ephemeralPorts: [40000, 40099] } });
  b.tcpListen({ port: 80 });
  const seen = new Set<number>();
  for (let i = 0; i < 100; i++) {
    const ep = a.tcpConnect({ remoteAddr: ip(B4), remotePort: 80 });
    assert.ok(ep.localPort >= 40000 && ep.localPort <= 40099);
    seen.add(ep.localPort);
  }
  assert.equal(seen.size, 100);
  // Every port to 10.0.0.2:80 is taken; another destination port still works.
  assert.throws(() => a.tcpConnect({ remoteAddr: ip(B4), remotePort: 80 }), (e: StackError) => e.code === 'EADDRNOTAVAIL' && e.syscall === 'connect');
  a.tcpConnect({ remoteAddr: ip(B4), remotePort: 81 });
  // An explicit local port: the same 4-tuple twice is refused, a listener's port too.
  a.tcpConnect({ remoteAddr: ip(B4), remotePort: 82, localPort: 5000 });
  assert.throws(
    () => a.tcpConnect({ remoteAddr: ip(B4), remotePort: 82, localPort: 5000 }),
    (e: StackError) => e.code === 'EADDRINUSE' && e.syscall === 'bind' && e.message === 'bind EADDRINUSE: address already in use 10.0.0.1:5000',
  );
  a.tcpListen({ port: 6000 });
  assert.throws(() => a.tcpConnect({ remoteAddr: ip(B4), remotePort: 82, localPort: 6000 }), (e: StackError) => e.code === 'EADDRINUSE');
  // Bad arguments.
  assert.throws(() => a.tcpConnect({ remoteAddr: ip(B4), remotePort: 0 }), (e: StackError) => e.code === 'EINVAL');
  assert.throws(() => a.tcpConnect({ remoteAddr: ip(B4), remotePort: 80, localAddr: ip(A6) }), (e: StackError) => e.code === 'EINVAL');
  assert.throws(() => a.tcpConnect({ remoteAddr: ip(B4), remotePort: 80, localAddr: ip('10.0.0.77') }), (e: StackError) => e.code === 'EADDRNOTAVAIL');
  assert.throws(() => a.tcpConnect({ remoteAddr: ip('192.0.2.1'), remotePort: 80 }), (e: StackError) => e.code === 'ENETUNREACH');
});

test('listen conflicts: same port twice, IPv4 under a dual-stack ::, but not beside an ipv6Only one', () => {
  const { b } = makePair();
  b.tcpListen({ port: 80 }); // :: dual stack
  assert.throws(() => b.tcpListen({ port: 80 }), (e: StackError) => e.code === 'EADDRINUSE' && e.message === 'listen EADDRINUSE: address already in use :::80');
  assert.throws(() => b.tcpListen({ port: 80, addr: ip('0.0.0.0') }), (e: StackError) => e.code === 'EADDRINUSE');
  assert.throws(() => b.tcpListen({ port: 80, addr: ip(B4) }), (e: StackError) => e.code === 'EADDRINUSE');
  b.tcpListen({ port: 81, addr: ip('::'), ipv6Only: true });
  b.tcpListen({ port: 81, addr: ip('0.0.0.0') });
  b.tcpListen({ port: 82, addr: ip(B4) });
  b.tcpListen({ port: 82, addr: ip('127.0.0.1') });
  assert.throws(() => b.tcpListen({ port: 83, addr: ip('10.9.9.9') }), (e: StackError) => e.code === 'EADDRNOTAVAIL' && e.syscall === 'listen');
  const l = b.tcpListen({ port: 0 });
  assert.ok(l.port >= 32768 && l.port <= 60999);
  assert.deepEqual(l.address(), { address: '::', family: 'IPv6', port: l.port });
  l.close();
  b.tcpListen({ port: l.port }); // free again
});

test('a dual-stack listener takes IPv4 and reports IPv4-mapped addresses; a v4 listener reports plain ones', () => {
  const { clock, a, b } = makePair();
  const l6 = b.tcpListen({ port: 80 });
  const l4 = b.tcpListen({ port: 81, addr: ip('0.0.0.0') });
  const c1 = a.tcpConnect({ remoteAddr: ip(B4), remotePort: 80 });
  a.tcpConnect({ remoteAddr: ip(B4), remotePort: 81 });
  clock.runUntil(1000);
  const s6 = l6.accept()!;
  const s4 = l4.accept()!;
  assert.equal(s6.remoteAddress, `::ffff:${A4}`);
  assert.equal(s6.localAddress, `::ffff:${B4}`);
  assert.equal(s6.family, 'IPv6');
  assert.equal(s6.remotePort, c1.localPort);
  assert.equal(s4.remoteAddress, A4);
  assert.equal(s4.family, 'IPv4');
  assert.deepEqual(c1.address(), { address: A4, family: 'IPv4', port: c1.localPort });
});

test('a SYN to a closed port is answered with RST,ACK and connect fails with ECONNREFUSED', () => {
  const { clock, a, b, link } = makePair({ ab: { delay: 1000 }, ba: { delay: 1000 } });
  const fromB: Uint8Array[] = [];
  link.ba.watch((e) => {
    if (e.kind === 'send') fromB.push(e.packet);
  });
  const ep = a.tcpConnect({ remoteAddr: ip(B4), remotePort: 4444 });
  const w = watch(ep);
  let failedAt = 0;
  ep.setHandler((ev) => {
    w.events.push(ev);
    if (ev.type === 'error') failedAt = clock.now();
  });
  clock.runUntilIdle();
  assert.deepEqual(types(w), ['error', 'closed']);
  assert.deepEqual(w.events.find((e) => e.type === 'error'), { type: 'error', code: 'ECONNREFUSED' });
  assert.equal(failedAt, 2000, 'one round trip');
  assert.equal(b.stats.drops.noListener, 1);
  assert.equal(b.stats.tcpResetsOut, 1);
  assert.equal(a.stats.tcpResetsIn, 1);
  assert.equal(a.stats.tcpErrors.ECONNREFUSED, 1);
  // The RST: <SEQ=0><ACK=ISS+1><CTL=RST,ACK> (RFC 9293 §3.10.7.1).
  const p = parseIpv4(fromB[0]!);
  assert.ok(p.ok);
  const seg = parseTcp(p.value.payload, { src: p.value.src, dst: p.value.dst });
  assert.ok(seg.ok);
  assert.equal(seg.value.flags, RST | ACK);
  assert.equal(seg.value.seq, 0);
  assert.equal(seg.value.ack, (ep.conn.iss + 1) >>> 0);
  assert.equal(seg.value.dstPort, ep.localPort);
});

test('a stray ACK to a listening port gets <SEQ=SEG.ACK><CTL=RST>; a stray RST gets nothing', () => {
  const { clock, a, b, link } = makePair();
  b.tcpListen({ port: 80 });
  const got: Array<{ flags: number; seq: number }> = [];
  // No stack behind a's device: the test speaks raw segments to b and reads its answers.
  const sendRaw = (flags: number, seq: number, ack: number): void => link.a.send(craftTcp4(A4, B4, 33333, 80, seq, ack, flags));
  link.a.onReceive = (p) => {
    const r = parseIpv4(p);
    assert.ok(r.ok);
    const s = parseTcp(r.value.payload);
    assert.ok(s.ok);
    got.push({ flags: s.value.flags, seq: s.value.seq });
  };
  sendRaw(ACK, 1000, 123456);
  sendRaw(RST, 1000, 0);
  sendRaw(ACK | RST, 1000, 5);
  clock.runUntilIdle();
  assert.deepEqual(got, [{ flags: RST, seq: 123456 }]);
  assert.equal(b.stats.drops.noListener, 3);
  void a;
});

test('the listen backlog bounds the accept queue; the rest wait (SYN-ACK retransmission) until accepted', () => {
  const { clock, a, b } = makePair({ ab: { delay: 1000 }, ba: { delay: 1000 } });
  const l = b.tcpListen({ port: 80, backlog: 2 });
  const clients = Array.from({ length: 5 }, () => a.tcpConnect({ remoteAddr: ip(B4), remotePort: 80 }));
  clients.forEach((c, i) => c.send(bytes(`hello from ${i}`)));
  clock.runFor(500_000);
  assert.equal(l.acceptQueue.length, 2, 'backlog 2');
  assert.ok(b.stats.drops.listenOverflow + b.stats.drops.acceptQueueFull > 0);
  assert.equal(b.stats.tcpPassiveOpens, 5, 'all five SYNs fit the SYN queue');
  // The application accepts slowly: one connection every 2 s.
  const accepted: TcpEndpoint[] = [];
  for (let round = 0; round < 30 && accepted.length < 5; round++) {
    const ep = l.accept();
    if (ep !== undefined) accepted.push(ep);
    clock.runFor(2_000_000);
  }
  assert.equal(accepted.length, 5);
  const said = new Set(accepted.map((ep) => text(ep.read() ?? new Uint8Array())));
  assert.deepEqual([...said].sort(), [0, 1, 2, 3, 4].map((i) => `hello from ${i}`));
  assert.ok(b.stats.tcpRetransmits > 0, 'SYN-ACKs were retransmitted');
});

test('closing a listener resets the connections it had not handed out', () => {
  const { clock, a, b } = makePair();
  const l = b.tcpListen({ port: 80 });
  const ep = a.tcpConnect({ remoteAddr: ip(B6), remotePort: 80 });
  const w = watch(ep);
  clock.runFor(10_000);
  assert.equal(l.acceptQueue.length, 1);
  l.close();
  clock.runFor(10_000);
  assert.deepEqual(types(w), ['established', 'error', 'closed']);
  assert.deepEqual(w.events.find((e) => e.type === 'error'), { type: 'error', code: 'ECONNRESET' });
  // And the port no longer listens: a new SYN is refused.
  const again = watch(a.tcpConnect({ remoteAddr: ip(B6), remotePort: 80 }));
  clock.runFor(10_000);
  assert.deepEqual(again.events.find((e) => e.type === 'error'), { type: 'error', code: 'ECONNREFUSED' });
});

test('one timer heap drives every connection: a lost SYN is retransmitted after the initial RTO', () => {
  const { clock, a, b, link } = makePair();
  b.tcpListen({ port: 80 });
  let n = 0;
  link.ab.dropWhere(() => n++ === 0); // lose the first packet a sends
  const ep = a.tcpConnect({ remoteAddr: ip(B4), remotePort: 80 });
  const w = watch(ep);
  clock.runFor(999_999);
  assert.equal(ep.state, 'SYN_SENT');
  clock.runFor(2);
  assert.equal(ep.state, 'ESTABLISHED');
  assert.deepEqual(types(w), ['established']);
  assert.equal(a.stats.tcpRetransmits, 1);
});

test('a dead peer: SYN retries run out in virtual time and connect fails with ETIMEDOUT', () => {
  const { clock, a, link } = makePair();
  link.b.onReceive = () => {}; // nobody home, nothing answers
  const ep = a.tcpConnect({ remoteAddr: ip(B4), remotePort: 80 });
  const w = watch(ep);
  clock.runUntilIdle();
  assert.deepEqual(w.events.find((e) => e.type === 'error'), { type: 'error', code: 'ETIMEDOUT' });
  // Linux: 6 retries at 1, 2, 4, 8, 16, 32 s, giving up 64 s after the last.
  assert.equal(clock.now(), 127_000_000);
  assert.equal(a.stats.tcpRetransmits, 6);
  assert.equal(a.connectionCount, 0);
});

test('stack.close() aborts connections with RST and stops its timers', () => {
  const { clock, a, b } = makePair();
  b.tcpListen({ port: 80 }).onConnection = (ep) => watch(ep);
  const w = watch(a.tcpConnect({ remoteAddr: ip(B4), remotePort: 80 }));
  clock.runFor(1000);
  assert.deepEqual(types(w), ['established']);
  a.close();
  assert.deepEqual(types(w), ['established', 'closed']);
  clock.runUntilIdle();
  assert.equal(b.stats.tcpResetsIn, 1);
  assert.equal(b.connectionCount, 0);
  assert.throws(() => a.tcpConnect({ remoteAddr: ip(B4), remotePort: 80 }), (e: StackError) => e.code === 'EBADF');
});

test('connections over loopback and to our own address', () => {
  const { clock, a } = makePair();
  const l = a.tcpListen({ port: 9 });
  let got = '';
  l.onConnection = (ep) => {
    ep.setHandler((ev) => {
      if (ev.type === 'readable') got += text(ep.read()!);
    });
  };
  a.tcpConnect({ remoteAddr: ip('127.0.0.1'), remotePort: 9 }).send(bytes('lo4 '));
  a.tcpConnect({ remoteAddr: ip('::1'), remotePort: 9 }).send(bytes('lo6 '));
  a.tcpConnect({ remoteAddr: ip(A4), remotePort: 9 }).send(bytes('self'));
  clock.runFor(100_000);
  assert.equal(got.split(' ').sort().join(' '), 'lo4 lo6 self');
});

/** A hand-made IPv4 TCP packet (no options). */
function craftTcp4(src: string, dst: string, sport: number, dport: number, seq: number, ack: number, flags: number): Uint8Array {
  const p = new Uint8Array(40);
  const s = ip(src);
  const d = ip(dst);
  p.set([0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0], 0);
  p.set(s, 12);
  p.set(d, 16);
  const dv = new DataView(p.buffer);
  dv.setUint16(20, sport);
  dv.setUint16(22, dport);
  dv.setUint32(24, seq);
  dv.setUint32(28, ack);
  p[32] = 5 << 4;
  p[33] = flags;
  dv.setUint16(34, 1000);
  dv.setUint16(10, csum(p, 0, 20, 0));
  // Pseudo-header: src, dst, zero, protocol, TCP length.
  let ps = 0;
  for (let i = 0; i < 4; i += 2) ps += ((s[i]! << 8) | s[i + 1]!) + ((d[i]! << 8) | d[i + 1]!);
  ps += 6 + 20;
  dv.setUint16(36, csum(p, 20, 40, ps));
  return p;
}

function csum(b: Uint8Array, start: number, end: number, initial: number): number {
  let sum = initial;
  for (let i = start; i < end; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export { craftTcp4 };
void SYN;

test('listen on port 0 picks a port no connection uses', () => {
  const { clock, a, b } = makePair({ stack: { ephemeralPorts: [40000, 40001] } });
  b.tcpListen({ port: 80 });
  const ep = a.tcpConnect({ remoteAddr: ip(B4), remotePort: 80 });
  const l = a.tcpListen({ port: 0 });
  assert.notEqual(l.port, ep.localPort);
  assert.deepEqual([l.port, ep.localPort].sort(), [40000, 40001]);
  assert.throws(() => a.tcpListen({ port: 0 }), (e: StackError) => e.code === 'EADDRINUSE');
  // Once the connection is gone its port is free for a listener again.
  ep.abort();
  clock.runUntilIdle();
  assert.equal(a.tcpListen({ port: 0 }).port, ep.localPort);
});

test('a connection in TIME-WAIT is kept in a slot, answers a retransmitted FIN, and restarts its 2MSL from it', () => {
  const { clock, a, b, link } = makePair({ ab: { delay: 1000 }, ba: { delay: 1000 } });
  const l = b.tcpListen({ port: 7 });
  l.onConnection = (ep) =>
    ep.setHandler((ev) => {
      if (ev.type === 'readable') while (ep.read() !== null);
      if (ev.type === 'eof') ep.close();
    });
  const ep = a.tcpConnect({ remoteAddr: ip(B4), remotePort: 7 });
  watch(ep);
  ep.send(bytes('hello'));
  ep.shutdown();
  // Lose a's acknowledgement of b's FIN, once: b must send its FIN again.
  let finSeen = false;
  link.ab.dropWhere((p) => {
    const ipk = parseIpv4(p);
    assert.ok(ipk.ok);
    const t = parseTcp(ipk.value.payload, { src: ipk.value.src, dst: ipk.value.dst });
    assert.ok(t.ok);
    if (t.value.flags & 1) finSeen = true; // a's own FIN
    return finSeen && t.value.flags === ACK;
  }, 1);
  clock.runUntil(clock.now() + 50_000);
  assert.equal(ep.state, 'TIME_WAIT');
  assert.ok(ep.compacted, 'a quiet TIME-WAIT connection is kept in a slot');
  assert.equal(a.timeWait.size, 1);
  assert.equal(link.ab.stats.dropped.scripted, 1);
  const firstTw = clock.now();
  const acksBefore = a.stats.tcpOut;
  // b's retransmission timer fires; a, still in its slot, acknowledges the FIN again.
  clock.runUntil(clock.now() + 5_000_000);
  assert.equal(b.connectionCount, 0, 'b heard its FIN acknowledged');
  assert.equal(a.stats.tcpOut, acksBefore + 1, 'one ACK answers the retransmitted FIN');
  assert.ok(ep.compacted, 'serviced and compacted again');
  assert.equal(a.timeWait.size, 1, 'the slot was given back when the FIN needed the connection whole');
  assert.equal(ep.state, 'TIME_WAIT');
  // The 2MSL timer restarted when the FIN came again (RFC 9293 §3.10.7.4).
  clock.runUntil(firstTw + 60_000_000 + 100_000);
  assert.equal(a.connectionCount, 1, 'still in TIME-WAIT after 2MSL from the first FIN');
  clock.runUntil(firstTw + 70_000_000);
  assert.equal(a.connectionCount, 0, 'gone 2MSL after the retransmitted FIN');
  assert.equal(ep.state, 'CLOSED');
  assert.equal(a.timeWait.size, 0, 'no slot is left behind');
});

test('TIME-WAITs of different lengths each end on time, in the order of their ends, whether they wait in the queue of equal waits or in the heap', () => {
  const { clock, a, b } = makePair();
  b.tcpListen({ port: 7 }).onConnection = (ep) =>
    ep.setHandler((ev) => {
      if (ev.type === 'readable') while (ep.read() !== null);
      if (ev.type === 'eof') ep.close();
    });
  // a closes first, so a waits; each connection with its own TIME-WAIT.
  const spans = [60_000_000, 60_000_000, 2_000_000, 60_000_000, 30_000_000];
  const starts: number[] = [];
  const ends: Array<{ i: number; at: number }> = [];
  spans.forEach((timeWait, i) => {
    const ep = a.tcpConnect({ remoteAddr: ip(B4), remotePort: 7, config: { timeWait } });
    ep.setHandler((ev) => {
      if (ev.type === 'state' && ev.to === 'TIME_WAIT') starts[i] = ev.at;
      if (ev.type === 'state' && ev.from === 'TIME_WAIT') ends.push({ i, at: ev.at });
    });
    clock.runUntil(clock.now() + 10_000);
    ep.shutdown();
    clock.runUntil(clock.now() + 10_000);
    assert.equal(ep.state, 'TIME_WAIT', `connection ${i} waits`);
  });
  clock.runUntil(clock.now() + 120_000_000);
  const expected = spans.map((span, i) => ({ i, at: starts[i]! + span })).sort((x, y) => x.at - y.at);
  assert.deepEqual(ends, expected, 'each ends its own span after it began, earliest first');
  assert.equal(a.connectionCount, 0);
  assert.equal(a.timeWait.size, 0);
});

test('an accepted endpoint: setHandler hears the events that waited for an owner first; assigning handler hears only later ones', () => {
  const { clock, a, b } = makePair();
  const l = b.tcpListen({ port: 7 });
  a.tcpConnect({ remoteAddr: ip(B4), remotePort: 7 });
  a.tcpConnect({ remoteAddr: ip(B4), remotePort: 7 });
  clock.runUntil(clock.now() + 10_000);
  const first = l.accept()!;
  const second = l.accept()!;
  const heard: string[] = [];
  first.setHandler((ev) => heard.push(ev.type === 'state' ? `${ev.from}>${ev.to}` : ev.type));
  assert.deepEqual(heard, ['LISTEN>SYN_RECEIVED', 'SYN_RECEIVED>ESTABLISHED', 'established']);
  const later: string[] = [];
  second.handler = (ev) => later.push(ev.type);
  // The waiting events were let go: a later setHandler does not hear them either.
  second.setHandler((ev) => later.push(ev.type));
  assert.equal(later.length, 0);
  second.abort();
  assert.ok(later.includes('closed'), 'later events are heard');
});
