// ICMP and ICMPv6 errors about our TCP segments: hard errors abort a
// connection attempt, soft ones are remembered, "fragmentation needed" and
// "packet too big" lower the path MTU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePair, B4, B6 } from './helpers.js';
import { VirtualClock } from '../../src/sim/virtual-clock.js';
import { Rng } from '../../src/sim/rng.js';
import { createLinkPair, type SimDevice } from '../../src/sim/device.js';
import { Stack } from '../../src/stack/stack.js';
import { parseAddress } from '../../src/stack/addr.js';
import { emitIpv4 } from '../../src/wire/ipv4.js';
import { emitIpv6 } from '../../src/wire/ipv6.js';
import { emitIcmp, icmpLength, IPPROTO_ICMP, type IcmpMessage } from '../../src/wire/icmp.js';
import { emitIcmpv6, icmpv6Length, IPPROTO_ICMPV6, type Icmpv6Message } from '../../src/wire/icmpv6.js';
import { icmp4UnreachableSignal, plateauBelow } from '../../src/stack/icmp-errors.js';
import { get32, put32 } from '../../src/wire/bytes.js';

const ip = (s: string): Uint8Array => parseAddress(s)!;
const ROUTER4 = ip('10.0.0.254');
const ROUTER6 = ip('fd00::fe');

function icmp4(m: IcmpMessage, src: Uint8Array, dst: Uint8Array): Uint8Array {
  const len = icmpLength(m);
  const p = new Uint8Array(20 + len);
  emitIcmp(m, p, 20);
  emitIpv4({ ttl: 64, protocol: IPPROTO_ICMP, src, dst }, len, p, 0);
  return p;
}

function icmp6(m: Icmpv6Message, src: Uint8Array, dst: Uint8Array): Uint8Array {
  const len = icmpv6Length(m);
  const p = new Uint8Array(40 + len);
  emitIcmpv6(m, src, dst, p, 40);
  emitIpv6({ nextHeader: IPPROTO_ICMPV6, hopLimit: 64, src, dst }, len, p, 0);
  return p;
}

/** The source address of an IPv4 or IPv6 packet. */
const srcOf = (p: Uint8Array): Uint8Array => (p[0]! >>> 4 === 4 ? p.slice(12, 16) : p.slice(8, 24));

/** A host that answers every packet it gets with the ICMP error `make` builds. */
function answerWith(dev: SimDevice, make: (p: Uint8Array) => Uint8Array): void {
  dev.onReceive = (p) => dev.send(make(p));
}

for (const [name, v4, expected] of [
  ['ICMP port unreachable (code 3)', { kind: 'destUnreachable', code: 3, nextHopMtu: 0 }, 'ECONNREFUSED'],
  ['ICMP protocol unreachable (code 2)', { kind: 'destUnreachable', code: 2, nextHopMtu: 0 }, 'ECONNREFUSED'],
  ['ICMP communication administratively prohibited (code 13)', { kind: 'destUnreachable', code: 13, nextHopMtu: 0 }, 'EHOSTUNREACH'],
] as const) {
  test(`hard error: ${name} aborts SYN_SENT at once with ${expected}`, () => {
    const { clock, a, link } = makePair({ ab: { delay: 1000 }, ba: { delay: 1000 } });
    answerWith(link.b, (p) => icmp4({ ...v4, original: p }, ip(B4), srcOf(p)));
    const ep = a.tcpConnect({ remoteAddr: ip(B4), remotePort: 80 });
    const seen: Array<[string, number]> = [];
    ep.setHandler((ev) => seen.push([ev.type === 'error' ? ev.code : ev.type, clock.now()]));
    clock.runUntilIdle();
    assert.deepEqual(
      seen.filter(([t]) => t !== 'state'),
      [
        [expected, 2000],
        ['closed', 2000],
      ],
    );
    assert.equal(a.stats.icmpErrorsDelivered, 1);
    assert.equal(a.stats.tcpRetransmits, 0);
  });
}

test('hard error over IPv6: ICMPv6 port unreachable aborts SYN_SENT with ECONNREFUSED', () => {
  const { clock, a, link } = makePair();
  answerWith(link.b, (p) => icmp6({ kind: 'destUnreachable', code: 4, original: p }, ip(B6), srcOf(p)));
  const ep = a.tcpConnect({ remoteAddr: ip(B6), remotePort: 80 });
  const codes: string[] = [];
  ep.setHandler((ev) => ev.type === 'error' && codes.push(ev.code));
  clock.runUntilIdle();
  assert.deepEqual(codes, ['ECONNREFUSED']);
});

test('ICMPv6 parameter problem "unrecognized Next Header" (code 1) is IPv6\'s protocol unreachable: ECONNREFUSED; code 0 is not acted on', () => {
  for (const [code, expected] of [
    [1, ['ECONNREFUSED']],
    [0, ['ETIMEDOUT']],
  ] as const) {
    const { clock, a, link } = makePair();
    answerWith(link.b, (p) => icmp6({ kind: 'parameterProblem', code, pointer: 6, original: p }, ip(B6), srcOf(p)));
    const ep = a.tcpConnect({ remoteAddr: ip(B6), remotePort: 80 });
    const codes: string[] = [];
    ep.setHandler((ev) => ev.type === 'error' && codes.push(ev.code));
    clock.runUntilIdle();
    assert.deepEqual(codes, expected, `code ${code}`);
  }
});

test('soft error: host unreachable does not abort; it is what the timeout reports', () => {
  const { clock, a, link } = makePair();
  answerWith(link.b, (p) => icmp4({ kind: 'destUnreachable', code: 1, nextHopMtu: 0, original: p }, ROUTER4, srcOf(p)));
  const ep = a.tcpConnect({ remoteAddr: ip(B4), remotePort: 80 });
  const seen: Array<[string, number]> = [];
  ep.setHandler((ev) => ev.type === 'error' && seen.push([ev.code, clock.now()]));
  clock.runUntilIdle();
  // All 6 SYN retries still happen; the error names the cause the routers gave.
  assert.deepEqual(seen, [['EHOSTUNREACH', 127_000_000]]);
  assert.equal(a.stats.tcpRetransmits, 6);
  assert.equal(a.stats.icmpErrorsDelivered, 7);
});

test('ICMP errors quoting a sequence number outside the window, or an unknown connection, are ignored', () => {
  const { clock, a, link } = makePair();
  answerWith(link.b, (p) => {
    const q = p.slice();
    // Change the quoted TCP sequence number (bytes 4..7 of the TCP header after a 20-byte IP header).
    q[24] = q[24]! ^ 0x80;
    return icmp4({ kind: 'destUnreachable', code: 3, nextHopMtu: 0, original: q }, ip(B4), srcOf(p));
  });
  const ep = a.tcpConnect({ remoteAddr: ip(B4), remotePort: 80 });
  clock.runFor(10_000);
  assert.equal(ep.state, 'SYN_SENT', 'a blind attacker cannot abort the attempt');
  assert.equal(a.stats.drops.icmpUnmatched, 1);
  assert.equal(a.stats.icmpErrorsDelivered, 0);
});

test('an ICMP error quoting SND.NXT itself (no byte of it in flight) is ignored: RFC 5927 wants SND.UNA ≤ SEG.SEQ < SND.NXT', () => {
  const { clock, a, link } = makePair();
  answerWith(link.b, (p) => {
    const q = p.slice();
    // The SYN occupies ISS; quote ISS + 1, the first sequence number not yet sent.
    put32(q, 24, (get32(q, 24) + 1) >>> 0);
    return icmp4({ kind: 'destUnreachable', code: 3, nextHopMtu: 0, original: q }, ip(B4), srcOf(p));
  });
  const ep = a.tcpConnect({ remoteAddr: ip(B4), remotePort: 80 });
  clock.runFor(10_000);
  assert.equal(ep.state, 'SYN_SENT');
  assert.ok(a.stats.drops.icmpUnmatched >= 1);
  assert.equal(a.stats.icmpErrorsDelivered, 0);
});

/**
 * a — R — b, with the R–b hop narrower than the a–R hop. R forwards IP
 * packets as they are and answers those too big for the next hop with
 * "fragmentation needed" (IPv4, with the next-hop MTU, RFC 1191) or
 * "packet too big" (IPv6, RFC 8201).
 */
function narrowPath(narrow4: number, narrow6: number, reportMtu = true): { clock: VirtualClock; a: Stack; b: Stack; icmpSent: () => number } {
  const clock = new VirtualClock();
  const rng = new Rng(77);
  const l1 = createLinkPair(clock, rng.fork('l1'), { ab: { delay: 1000 }, ba: { delay: 1000 } });
  const l2 = createLinkPair(clock, rng.fork('l2'), { ab: { delay: 1000 }, ba: { delay: 1000 } });
  const a = new Stack({ clock, random: rng.fork('a') });
  const b = new Stack({ clock, random: rng.fork('b') });
  a.addInterface({ device: l1.a, addresses: ['10.0.0.1/24', 'fd00::1/64'] });
  b.addInterface({ device: l2.b, addresses: ['10.0.0.2/24', 'fd00::2/64'] });
  let icmpSent = 0;
  l1.b.onReceive = (p) => {
    const v4 = p[0]! >>> 4 === 4;
    const limit = v4 ? narrow4 : narrow6;
    if (p.length <= limit) return l2.a.send(p);
    icmpSent++;
    if (v4) {
      l1.b.send(icmp4({ kind: 'destUnreachable', code: 4, nextHopMtu: reportMtu ? limit : 0, original: p.subarray(0, 28) }, ROUTER4, srcOf(p)));
    } else {
      l1.b.send(icmp6({ kind: 'packetTooBig', mtu: limit, original: p.subarray(0, 1232) }, ROUTER6, srcOf(p)));
    }
  };
  l2.a.onReceive = (p) => l1.b.send(p);
  return { clock, a, b, icmpSent: () => icmpSent };
}

for (const [family, dst, narrow, expectedMtu, reportMtu] of [
  ['IPv4 (RFC 1191, next-hop MTU given)', '10.0.0.2', 1000, 1000, true],
  ['IPv4 (RFC 1191 plateau: a router that gives no MTU)', '10.0.0.2', 1000, 508, false],
  ['IPv6 (RFC 8201)', 'fd00::2', 1280, 1280, true],
] as const) {
  test(`path MTU discovery over ${family}: the stack learns the MTU and TCP resends smaller segments`, () => {
    const { clock, a, b, icmpSent } = narrowPath(family.startsWith('IPv4') ? narrow : 9000, family.startsWith('IPv6') ? narrow : 9000, reportMtu);
    const l = b.tcpListen({ port: 80 });
    const received: Uint8Array[] = [];
    l.onConnection = (ep) =>
      ep.setHandler((ev) => {
        if (ev.type === 'readable') for (let d = ep.read(); d !== null; d = ep.read()) received.push(d);
      });
    const data = new Uint8Array(60_000).map((_, i) => (i * 7 + (i >> 8)) & 0xff);
    const ep = a.tcpConnect({ remoteAddr: ip(dst), remotePort: 80 });
    let sent = 0;
    ep.setHandler((ev) => {
      if (ev.type === 'established' || ev.type === 'writable') sent += ep.send(data.subarray(sent));
    });
    clock.runFor(30_000_000);
    const got = Buffer.concat(received);
    assert.equal(got.length, data.length);
    assert.ok(got.equals(Buffer.from(data)), 'every byte arrives, in order');
    assert.ok(icmpSent() >= 1);
    assert.equal(a.pathMtu(ip(dst)), expectedMtu);
    assert.ok(a.stats.icmpErrorsDelivered >= 1);
  });
}

test('"fragmentation needed" without an MTU falls back to the RFC 1191 plateaus', () => {
  assert.equal(plateauBelow(1500), 1492);
  assert.equal(plateauBelow(1492), 1006);
  assert.equal(plateauBelow(576), 508);
  assert.equal(plateauBelow(60), 68);
  assert.deepEqual(icmp4UnreachableSignal(4, 0, 1500), { kind: 'mtu', mtu: 1492 });
  assert.deepEqual(icmp4UnreachableSignal(4, 1400, 1500), { kind: 'mtu', mtu: 1400 });
  assert.deepEqual(icmp4UnreachableSignal(0, 0, 0), { kind: 'soft', code: 'ENETUNREACH' });
  assert.deepEqual(icmp4UnreachableSignal(3, 0, 0), { kind: 'hard', code: 'ECONNREFUSED' });
  assert.equal(icmp4UnreachableSignal(200, 0, 0), undefined);
});

test('an ICMP error about one of our pings fails that ping', async () => {
  const { clock, a, link } = makePair();
  answerWith(link.b, (p) => icmp4({ kind: 'destUnreachable', code: 1, nextHopMtu: 0, original: p }, ROUTER4, srcOf(p)));
  const p = a.ping(B4);
  clock.runUntilIdle();
  await assert.rejects(p, (e: Error & { code: string }) => e.code === 'EHOSTUNREACH');
});
