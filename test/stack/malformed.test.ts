// DESIGN rule 5: whatever bytes arrive, the stack counts and drops what it
// cannot use, and never throws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { makePair, A4, B4, A6, B6 } from './helpers.js';
import { parseAddress } from '../../src/stack/addr.js';
import type { DropInfo } from '../../src/stack/stats.js';
import { DROP_REASONS } from '../../src/stack/stats.js';
import { emitIpv4 } from '../../src/wire/ipv4.js';
import { emitIpv6 } from '../../src/wire/ipv6.js';
import { emitTcp, IPPROTO_TCP } from '../../src/wire/tcp.js';
import { emitUdp, IPPROTO_UDP } from '../../src/wire/udp.js';
import { internetChecksum, pseudoHeaderSum } from '../../src/wire/checksum.js';
import { parseIcmp } from '../../src/wire/icmp.js';
import { parseIcmpv6 } from '../../src/wire/icmpv6.js';
import { parseIpv4 } from '../../src/wire/ipv4.js';
import { parseIpv6 } from '../../src/wire/ipv6.js';
import { SYN } from '../../src/wire/tcp-types.js';

const ip = (s: string): Uint8Array => parseAddress(s)!;
const a4 = ip(A4);
const b4 = ip(B4);

/** A valid IPv4 TCP SYN from A to B:80. */
function syn4(): Uint8Array {
  const seg = { srcPort: 40000, dstPort: 80, seq: 1, ack: 0, flags: SYN, window: 1000, urgent: 0, options: [], payload: new Uint8Array(0) };
  const p = new Uint8Array(40);
  emitTcp(seg, a4, b4, p, 20);
  emitIpv4({ ttl: 64, protocol: IPPROTO_TCP, src: a4, dst: b4 }, 20, p, 0);
  return p;
}

function udp4(payload: Uint8Array, dstPort = 9): Uint8Array {
  const p = new Uint8Array(28 + payload.length);
  emitUdp({ srcPort: 5000, dstPort, payload }, a4, b4, p, 20);
  emitIpv4({ ttl: 64, protocol: IPPROTO_UDP, src: a4, dst: b4 }, 8 + payload.length, p, 0);
  return p;
}

/** Fix the IPv4 header checksum after editing the header. */
function refixIpv4(p: Uint8Array): Uint8Array {
  p[10] = 0;
  p[11] = 0;
  const c = internetChecksum(p, 0, (p[0]! & 0x0f) * 4);
  p[10] = c >>> 8;
  p[11] = c & 0xff;
  return p;
}

/** Fix the TCP checksum of an IPv4 packet with a 20-byte header. */
function refixTcp4(p: Uint8Array): Uint8Array {
  p[36] = 0;
  p[37] = 0;
  const len = p.length - 20;
  const c = internetChecksum(p, 20, p.length, pseudoHeaderSum(p.subarray(12, 16), p.subarray(16, 20), IPPROTO_TCP, len));
  p[36] = c >>> 8;
  p[37] = c & 0xff;
  return p;
}

function setup() {
  const pair = makePair();
  const drops: DropInfo[] = [];
  pair.b.onDrop = (d) => drops.push({ ...d });
  const out: Uint8Array[] = [];
  pair.link.a.onReceive = (p) => out.push(p); // what b answers, with no stack on a
  const inject = (p: Uint8Array): void => {
    pair.link.a.send(p);
    pair.clock.runUntilIdle(1_000_000);
  };
  return { ...pair, drops, out, inject };
}

test('each kind of bad packet is counted under its reason, with the wire layer’s account of it', () => {
  const { b, drops, out, inject } = setup();

  inject(new Uint8Array(0));
  assert.deepEqual(drops.pop()?.error, { layer: 'ipv4', reason: 'empty packet' });

  const v5 = syn4();
  v5[0] = 0x55;
  inject(v5);
  assert.deepEqual(drops.pop()?.error, { layer: 'ipv4', reason: 'bad version 5' });

  inject(syn4().subarray(0, 12));
  assert.deepEqual(drops.pop()?.error, { layer: 'ipv4', reason: 'truncated: 12 bytes, header needs 20' });

  const ipsum = syn4();
  ipsum[8] = 63; // TTL changed, header checksum not
  inject(ipsum);
  let d = drops.pop()!;
  assert.equal(d.reason, 'badChecksum');
  assert.equal(d.error?.layer, 'ipv4');
  assert.match(d.error!.reason, /^bad checksum 0x[0-9a-f]{4}, expected 0x[0-9a-f]{4}$/);

  const tcpsum = syn4();
  tcpsum[24] ^= 1; // sequence number changed, TCP checksum not
  inject(tcpsum);
  d = drops.pop()!;
  assert.equal(d.reason, 'badChecksum');
  assert.equal(d.error?.layer, 'tcp');
  assert.match(d.error!.reason, /^bad checksum/);

  const offset = syn4();
  offset[32] = 0x30; // data offset 3 words, checksum made right
  inject(refixTcp4(offset));
  d = drops.pop()!;
  assert.equal(d.reason, 'malformed');
  assert.deepEqual(d.error, { layer: 'tcp', reason: 'data offset 12 bytes < 20' });

  const long = syn4();
  long[3] = 60; // total length 60 on a 40-byte packet
  inject(refixIpv4(long));
  assert.deepEqual(drops.pop()?.error, { layer: 'ipv4', reason: 'total length 60 > 40 captured' });

  const udpsum = udp4(new Uint8Array([1, 2, 3]));
  udpsum[28] = 9;
  inject(udpsum);
  d = drops.pop()!;
  assert.equal(d.reason, 'badChecksum');
  assert.equal(d.error?.layer, 'udp');

  const frag = syn4();
  frag[6] = 0x20; // MF
  inject(refixIpv4(frag));
  assert.equal(drops.pop()?.reason, 'fragment');

  const proto = syn4();
  proto[9] = 200;
  inject(refixIpv4(proto));
  assert.equal(drops.pop()?.reason, 'unknownProtocol');
  // RFC 1122 §3.2.2.1: answered with protocol unreachable.
  const answer = parseIpv4(out.pop()!);
  assert.ok(answer.ok);
  const icmp = parseIcmp(answer.value.payload);
  assert.ok(icmp.ok);
  assert.equal(icmp.value.message.kind, 'destUnreachable');
  assert.equal((icmp.value.message as { code: number }).code, 2);

  assert.equal(drops.length, 0);
  assert.equal(b.stats.malformed.ipv4, 4);
  assert.equal(b.stats.malformed.tcp, 1);
  assert.equal(b.stats.drops.badChecksum, 3);
  assert.equal(b.stats.drops.fragment, 1);
  assert.equal(b.recentMalformed.length, 5);
  assert.equal(b.recentMalformed[0]!.reason, 'empty packet');
});

test('IPv6: an unknown next header is answered with Parameter Problem code 1 pointing at it', () => {
  const { b, out, inject } = setup();
  const p = new Uint8Array(48);
  emitIpv6({ nextHeader: 253, hopLimit: 64, src: ip(A6), dst: ip(B6) }, 8, p, 0);
  inject(p);
  assert.equal(b.stats.drops.unknownProtocol, 1);
  const r = parseIpv6(out.pop()!);
  assert.ok(r.ok);
  const m = parseIcmpv6(r.value.payload, { src: r.value.src, dst: r.value.dst });
  assert.ok(m.ok);
  assert.deepEqual({ kind: m.value.message.kind, code: m.value.code, pointer: (m.value.message as { pointer: number }).pointer }, { kind: 'parameterProblem', code: 1, pointer: 6 });
});

test('property: random bytes never throw, every packet is counted, and the stack still works after', async () => {
  const { clock, a, b, link } = makePair();
  let packets = 0;
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, v6) => {
      // Half the time make it look like IP of some version to get past the first byte.
      if (bytes.length > 0) bytes[0] = (bytes[0]! & 0x0f) | ((v6 ? 6 : 4) << 4);
      link.a.send(bytes);
      packets++;
      clock.runUntilIdle(clock.now() + 1000);
    }),
    { numRuns: 2000 },
  );
  assert.equal(b.stats.ipIn, packets);
  const dropped = DROP_REASONS.reduce((n, r) => n + b.stats.drops[r], 0);
  assert.ok(dropped > packets * 0.9, `${dropped} of ${packets} counted as drops`);
  const ping = a.ping(B4);
  clock.runUntilIdle(clock.now() + 2_000_000);
  assert.equal((await ping).from, B4);
});

test('property: corrupting or truncating real packets never throws; the connection survives', () => {
  const { clock, a, b, link } = makePair();
  const l = b.tcpListen({ port: 80 });
  let received = 0;
  l.onConnection = (ep) => ep.setHandler((ev) => ev.type === 'readable' && (received += ep.read()!.length));
  const ep = a.tcpConnect({ remoteAddr: b4, remotePort: 80 });
  clock.runFor(10_000);
  assert.equal(ep.state, 'ESTABLISHED');
  // Record what a sends; replay mangled copies of it to b.
  const sent: Uint8Array[] = [];
  link.ab.watch((e) => e.kind === 'send' && sent.push(e.packet.slice()));
  ep.send(new Uint8Array(20_000).fill(7));
  clock.runFor(100_000);
  assert.ok(sent.length > 3);
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: sent.length - 1 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      fc.option(fc.nat()),
      (which, edits, cut) => {
        const p = sent[which]!.slice();
        for (const [at, v] of edits) p[at % p.length] = v;
        const q = cut === null ? p : p.subarray(0, cut % (p.length + 1));
        link.a.send(q);
        clock.runFor(1000);
      },
    ),
    { numRuns: 1500 },
  );
  ep.send(new Uint8Array(1000).fill(9));
  clock.runFor(5_000_000);
  assert.equal(received, 21_000, 'the real data still arrives once, whole');
  assert.equal(ep.state, 'ESTABLISHED');
  assert.ok(b.stats.drops.badChecksum > 0);
});
