import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePair, A4, A6, B4, B6, bytes, text } from './helpers.js';
import { VirtualClock } from '../../src/sim/virtual-clock.js';
import { Rng } from '../../src/sim/rng.js';
import { createLinkPair } from '../../src/sim/device.js';
import { Stack } from '../../src/stack/stack.js';
import { StackError } from '../../src/stack/errors.js';
import { emitIpv4, parseIpv4 } from '../../src/wire/ipv4.js';
import { emitTcp } from '../../src/wire/tcp.js';
import { SYN } from '../../src/wire/tcp-types.js';
import { parseIpv6 } from '../../src/wire/ipv6.js';
import { parseIcmp } from '../../src/wire/icmp.js';
import { parseIcmpv6 } from '../../src/wire/icmpv6.js';
import type { RemoteInfo } from '../../src/stack/udp-socket.js';

test('ping over IPv4 and IPv6: echo replies carry the data back, RTT in virtual time', async () => {
  const { clock, a, b } = makePair({ ab: { delay: 3000 }, ba: { delay: 2000 } });
  const data = bytes('synack ping payload');
  const p4 = a.ping(B4, { data });
  const p6 = a.ping(B6, { data });
  const back4 = b.ping(A4);
  clock.runUntilIdle();
  const r4 = await p4;
  const r6 = await p6;
  assert.deepEqual(r4, { rtt: 5000, ttl: 64, bytes: data.length, from: B4 });
  assert.deepEqual(r6, { rtt: 5000, ttl: 64, bytes: data.length, from: B6 });
  assert.equal((await back4).from, A4);
  assert.equal(b.stats.echoReplies, 2);
  assert.equal(a.stats.echoReplies, 1);
  assert.equal(a.stats.icmpOut, 3); // two requests, one reply
});

test('what goes on the wire for a ping: well-formed ICMP and ICMPv6 echo requests', () => {
  const { clock, a, link } = makePair();
  const seen: Uint8Array[] = [];
  link.b.onReceive = (p) => seen.push(p); // no stack on b: just look
  void a.ping(B4, { id: 0x1234, seq: 7, data: bytes('abc') }).catch(() => {});
  void a.ping(B6, { id: 0x4321, seq: 8, data: bytes('xyz') }).catch(() => {});
  clock.runUntil(10);
  assert.equal(seen.length, 2);
  const ip4 = parseIpv4(seen[0]!);
  assert.ok(ip4.ok);
  assert.equal(ip4.value.ttl, 64);
  const icmp = parseIcmp(ip4.value.payload);
  assert.ok(icmp.ok);
  assert.deepEqual(icmp.value.message, { kind: 'echoRequest', id: 0x1234, seq: 7, data: bytes('abc') });
  const ip6 = parseIpv6(seen[1]!);
  assert.ok(ip6.ok);
  const icmp6 = parseIcmpv6(ip6.value.payload, { src: ip6.value.src, dst: ip6.value.dst });
  assert.ok(icmp6.ok, 'checksum over the IPv6 pseudo-header verifies');
  assert.deepEqual(icmp6.value.message, { kind: 'echoRequest', id: 0x4321, seq: 8, data: bytes('xyz') });
  clock.runUntilIdle(); // the pings time out
});

test('a ping nobody answers times out with ETIMEDOUT; an unrouted one fails with ENETUNREACH', async () => {
  const { clock, a, link } = makePair();
  link.b.onReceive = () => {};
  const p = a.ping(B4, { timeout: 500_000 });
  clock.runUntilIdle();
  await assert.rejects(p, (e: StackError) => e.code === 'ETIMEDOUT' && clock.now() === 500_000);
  await assert.rejects(a.ping('192.0.2.1'), (e: StackError) => e.code === 'ENETUNREACH' && e.syscall === 'ping');
});

test('UDP round trip over IPv4 and IPv6, with the sender seen at its address and ephemeral port', () => {
  const { clock, a, b } = makePair({ ab: { delay: 100 }, ba: { delay: 100 } });
  for (const [type, server, client] of [
    ['udp4', B4, A4],
    ['udp6', B6, A6],
  ] as const) {
    const srv = b.createUdpSocket({ type });
    srv.bind(5353);
    srv.on('message', (msg, rinfo) => srv.send(bytes(text(msg).toUpperCase()), rinfo.port, rinfo.address));
    const cli = a.createUdpSocket({ type });
    const got: Array<[string, RemoteInfo]> = [];
    cli.on('message', (msg, rinfo) => got.push([text(msg), rinfo]));
    cli.send(bytes('hello'), 5353, server);
    clock.runUntilIdle();
    assert.equal(got.length, 1);
    assert.equal(got[0]![0], 'HELLO');
    assert.deepEqual(got[0]![1], { address: server, family: type === 'udp4' ? 'IPv4' : 'IPv6', port: 5353, size: 5 });
    const port = cli.address().port;
    assert.ok(port >= 32768 && port <= 60999, `ephemeral port ${port}`);
    assert.equal(cli.address().address, type === 'udp4' ? '0.0.0.0' : '::');
    void client;
    srv.close();
    cli.close();
  }
  assert.equal(a.stats.udpOut, 2);
  assert.equal(b.stats.udpIn, 2);
});

test('a dual-stack udp6 socket receives IPv4 as IPv4-mapped addresses and answers over IPv4', () => {
  const { clock, a, b } = makePair();
  const srv = b.createUdpSocket({ type: 'udp6' });
  srv.bind(7);
  const from: string[] = [];
  srv.on('message', (msg, r) => {
    from.push(r.address);
    srv.send(msg, r.port, r.address);
  });
  const cli = a.createUdpSocket({ type: 'udp4' });
  let echoed = '';
  cli.on('message', (m) => (echoed = text(m)));
  cli.send(bytes('v4 to v6'), 7, B4);
  clock.runUntilIdle();
  assert.deepEqual(from, [`::ffff:${A4}`]);
  assert.equal(echoed, 'v4 to v6');

  const only6 = b.createUdpSocket({ type: 'udp6', ipv6Only: true });
  only6.bind(8);
  let n = 0;
  only6.on('message', () => n++);
  cli.send(bytes('x'), 8, B4);
  clock.runUntilIdle();
  assert.equal(n, 0, 'ipv6Only refuses IPv4');
});

test('UDP errors: port in use, bad port, unknown local address, datagram too big, no route, closed socket', () => {
  const { a } = makePair();
  const s1 = a.createUdpSocket();
  s1.bind(4000);
  const s2 = a.createUdpSocket();
  assert.throws(() => s2.bind(4000), (e: StackError) => e.code === 'EADDRINUSE' && e.syscall === 'bind' && e.errno === -98);
  assert.throws(() => a.createUdpSocket().bind(4000, A4), (e: StackError) => e.code === 'EADDRINUSE', 'a specific address under a wildcard');
  assert.throws(() => a.createUdpSocket({ type: 'udp6' }).bind(4000), (e: StackError) => e.code === 'EADDRINUSE', 'dual-stack :: overlaps 0.0.0.0');
  a.createUdpSocket({ type: 'udp6', ipv6Only: true }).bind(4000); // does not overlap
  assert.throws(() => a.createUdpSocket().bind(70000), (e: StackError) => e.code === 'EINVAL');
  assert.throws(() => a.createUdpSocket().bind(4001, '10.9.9.9'), (e: StackError) => e.code === 'EADDRNOTAVAIL');
  assert.throws(() => s1.send(new Uint8Array(1473), 9, B4), (e: StackError) => e.code === 'EMSGSIZE');
  s1.send(new Uint8Array(1472), 9, B4); // 1472 + 8 + 20 = 1500 fits
  assert.throws(() => s1.send(bytes('x'), 9, '192.0.2.1'), (e: StackError) => e.code === 'ENETUNREACH' && e.message === 'send ENETUNREACH 192.0.2.1:9');
  s1.close();
  assert.throws(() => s1.send(bytes('x'), 9, B4), (e: StackError) => e.code === 'EBADF');
  // The port is free again.
  a.createUdpSocket().bind(4000, A4);
});

test('UDP to a closed port draws ICMP port unreachable, which a connected socket reports as ECONNREFUSED', () => {
  const { clock, a, b } = makePair();
  const s = a.createUdpSocket({ type: 'udp6' });
  s.connect(9999, B6);
  const errors: StackError[] = [];
  s.on('error', (e) => errors.push(e));
  s.send(bytes('anyone?'));
  clock.runUntilIdle();
  assert.equal(b.stats.drops.noPort, 1);
  assert.equal(b.stats.icmpOut, 1);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.code, 'ECONNREFUSED');
  assert.equal(a.stats.icmpErrorsDelivered, 1);

  const u4 = a.createUdpSocket();
  u4.connect(9999, B4);
  u4.on('error', (e) => errors.push(e));
  u4.send(bytes('v4'));
  clock.runUntilIdle();
  assert.equal(errors.length, 2);
  assert.equal(errors[1]!.code, 'ECONNREFUSED');
});

test('ICMP errors for closed UDP ports are rate-limited (token bucket)', () => {
  const { clock, a, b } = makePair({ stack: { icmpRateLimit: { burst: 3, perSecond: 10 } } });
  const s = a.createUdpSocket();
  for (let i = 0; i < 10; i++) s.send(bytes('x'), 1000 + i, B4);
  clock.runUntilIdle();
  assert.equal(b.stats.drops.noPort, 10);
  assert.equal(b.stats.icmpOut, 3);
  assert.equal(b.stats.icmpRateLimited, 7);
  // 100 ms later one more token has been earned.
  clock.runFor(100_000);
  s.send(bytes('x'), 2000, B4);
  s.send(bytes('x'), 2001, B4);
  clock.runUntilIdle();
  assert.equal(b.stats.icmpOut, 4);
  assert.equal(b.stats.icmpRateLimited, 8);
});

test('routing: the default route and longest prefix choose the interface; no route is ENETUNREACH', () => {
  const clock = new VirtualClock();
  const rng = new Rng(9);
  const l1 = createLinkPair(clock, rng.fork('1'));
  const l2 = createLinkPair(clock, rng.fork('2'));
  const s = new Stack({ clock, random: rng.fork('s') });
  s.addInterface({ device: l1.a, addresses: '10.1.0.1/16', name: 'wan', defaultRoute: true });
  s.addInterface({ device: l2.a, addresses: ['10.2.0.1/16', 'fd02::1/64'], name: 'lan' });
  s.addRoute('192.168.0.0/16', 'lan');
  const out1: Uint8Array[] = [];
  const out2: Uint8Array[] = [];
  l1.b.onReceive = (p) => out1.push(p);
  l2.b.onReceive = (p) => out2.push(p);
  const u = s.createUdpSocket();
  u.send(bytes('a'), 9, '8.8.8.8'); // default → wan
  u.send(bytes('b'), 9, '10.2.3.4'); // connected → lan
  u.send(bytes('c'), 9, '192.168.1.1'); // static → lan
  clock.runUntilIdle();
  assert.equal(out1.length, 1);
  assert.equal(out2.length, 2);
  const src = (p: Uint8Array): string => {
    const r = parseIpv4(p);
    assert.ok(r.ok);
    return r.value.src.join('.');
  };
  assert.equal(src(out1[0]!), '10.1.0.1', 'source address of the outgoing interface');
  assert.equal(src(out2[0]!), '10.2.0.1');
  // No IPv6 default route: only fd02::/64 is reachable.
  const u6 = s.createUdpSocket({ type: 'udp6' });
  assert.throws(() => u6.send(bytes('x'), 9, '2001:db8::1'), (e: StackError) => e.code === 'ENETUNREACH');
  u6.send(bytes('x'), 9, 'fd02::99');
  s.setDefaultRoute('wan');
  assert.throws(() => u6.send(bytes('x'), 9, '2001:db8::1'), (e: StackError) => e.code === 'ENETUNREACH', 'wan has no IPv6 source');
  assert.ok(s.getRoutes().some((r) => r.prefix === '0.0.0.0' && r.iface === 'wan'));
  assert.ok(s.removeInterface('lan'));
  // Its connected route went with it: 10.2.3.4 now follows the default route.
  u.send(bytes('b'), 9, '10.2.3.4');
  clock.runUntilIdle();
  assert.equal(out1.length, 2);
  assert.equal(out2.length, 3);
  assert.ok(l2.a.isClosed);
});

test('packets to our own addresses and loopback go through the loopback path', async () => {
  const { clock, a } = makePair();
  const p = a.ping('127.0.0.1');
  const p2 = a.ping(A6);
  const srv = a.createUdpSocket();
  srv.bind(53, '127.0.0.1');
  let got = '';
  srv.on('message', (m) => (got = text(m)));
  a.createUdpSocket().send(bytes('to self'), 53, '127.0.0.1');
  clock.runUntilIdle();
  assert.equal((await p).rtt, 0);
  assert.equal((await p2).from, A6);
  assert.equal(got, 'to self');
});

test('packets not addressed to us are dropped and counted', () => {
  const { clock, a, link } = makePair();
  const pkt = new Uint8Array(28);
  // A hand-built IPv4/UDP packet to 10.0.0.99.
  pkt.set([0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 2, 10, 0, 0, 99, 0, 1, 0, 2, 0, 8, 0, 0]);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (pkt[i]! << 8) | pkt[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const c = ~sum & 0xffff;
  pkt[10] = c >>> 8;
  pkt[11] = c & 0xff;
  link.b.send(pkt);
  clock.runUntilIdle();
  assert.equal(a.stats.drops.notForUs, 1);
  assert.equal(a.stats.ipIn, 1);
});

test('an address removed with its interface is no longer ours, though the receive path found it ours a moment before', () => {
  const { clock, b, link } = makePair();
  const other = createLinkPair(clock, new Rng(3));
  b.addInterface({ device: other.a, addresses: '10.9.0.1/24', name: 'lan' });
  // A SYN from a's side of eth0 to b's address on lan (no listener: b answers with a RST).
  const syn = (): Uint8Array => {
    const src = Uint8Array.of(10, 0, 0, 1);
    const dst = Uint8Array.of(10, 9, 0, 1);
    const seg = { srcPort: 1234, dstPort: 80, seq: 1, ack: 0, flags: SYN, window: 1000, urgent: 0, options: [], payload: new Uint8Array(0) };
    const packet = new Uint8Array(40);
    emitTcp(seg, src, dst, packet, 20);
    emitIpv4({ ttl: 64, protocol: 6, src, dst, flags: { DF: true } }, 20, packet, 0);
    return packet;
  };
  link.a.send(syn());
  clock.runUntilIdle();
  assert.equal(b.stats.tcpIn, 1, 'taken while the address is ours');
  const notForUs = b.stats.drops.notForUs;
  assert.ok(b.removeInterface('lan'));
  link.a.send(syn());
  clock.runUntilIdle();
  assert.equal(b.stats.tcpIn, 1, 'not taken once it is gone');
  assert.equal(b.stats.drops.notForUs, notForUs + 1);
});
