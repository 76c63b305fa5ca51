// cutSuperSegment against segments built one by one with the checked
// emitters: every segment of a super-segment must be byte for byte the
// packet emitTcp and emitIpv4/emitIpv6 write for it alone.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cutSuperSegment } from '../../src/wire/gso.js';
import { emitIpv4 } from '../../src/wire/ipv4.js';
import { emitIpv6 } from '../../src/wire/ipv6.js';
import { Slab } from '../../src/wire/slab.js';
import { emitTcp, tcpHeaderLength } from '../../src/wire/tcp.js';
import { ACK, CWR, ECE, FIN, PSH, type Segment, type TcpOption } from '../../src/wire/tcp-types.js';
import { IPPROTO_UDP } from '../../src/wire/udp.js';

const SRC4 = Uint8Array.of(10, 0, 0, 1);
const DST4 = Uint8Array.of(10, 0, 0, 2);
const SRC6 = Uint8Array.from({ length: 16 }, (_, i) => (i === 0 ? 0xfd : i === 15 ? 1 : 0));
const DST6 = Uint8Array.from({ length: 16 }, (_, i) => (i === 0 ? 0xfd : i === 15 ? 2 : 0));

interface Super {
  v6: boolean;
  seq: number;
  flags: number;
  id: number;
  tos: number;
  options: TcpOption[];
  payload: Uint8Array;
}

/** The packet of `seg` over IPv4 (identification `id`) or IPv6, its TCP checksum partial (the pseudo-header sum). */
function packet(s: Super, seq: number, flags: number, id: number, payload: Uint8Array): Uint8Array {
  const seg: Segment = { srcPort: 80, dstPort: 40000, seq, ack: 12345, flags, window: 5000, urgent: 0, options: s.options, payload };
  const l3 = s.v6 ? 40 : 20;
  const tcpLen = tcpHeaderLength(s.options) + payload.length;
  const out = new Uint8Array(l3 + tcpLen);
  emitTcp(seg, s.v6 ? SRC6 : SRC4, s.v6 ? DST6 : DST4, out, l3, true);
  if (s.v6) emitIpv6({ trafficClass: s.tos, nextHeader: 6, hopLimit: 64, src: SRC6, dst: DST6 }, tcpLen, out);
  else emitIpv4({ ecn: s.tos & 3, dscp: s.tos >>> 2, identification: id, flags: { DF: true }, ttl: 64, protocol: 6, src: SRC4, dst: DST4 }, tcpLen, out);
  return out;
}

const superArb: fc.Arbitrary<Super> = fc.record({
  v6: fc.boolean(),
  seq: fc.integer({ min: 0, max: 0xffffffff }),
  flags: fc.subarray([PSH, FIN, CWR, ECE]).map((fs) => fs.reduce((a, f) => a | f, ACK)),
  id: fc.integer({ min: 0, max: 0xffff }),
  tos: fc.integer({ min: 0, max: 255 }),
  options: fc.constantFrom<TcpOption[]>([], [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', val: 7, ecr: 9 }]),
  payload: fc.integer({ min: 2, max: 20_000 }).map((n) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff)),
});

test('property: each segment cut from a super-segment is the packet the emitters write for it alone', () => {
  const slab = new Slab(1 << 16, 16_384);
  fc.assert(
    fc.property(superArb, fc.integer({ min: 1, max: 9000 }), (s, gso) => {
      fc.pre(s.payload.length > gso);
      const whole = packet(s, s.seq, s.flags, s.id, s.payload);
      const got: Uint8Array[] = [];
      const n = cutSuperSegment(whole, gso, slab, (seg) => got.push(seg));
      assert.equal(n, Math.ceil(s.payload.length / gso));
      assert.equal(got.length, n);
      for (let k = 0; k < n; k++) {
        const off = k * gso;
        const last = k === n - 1;
        let flags = s.flags;
        if (!last) flags &= ~(PSH | FIN);
        if (k > 0) flags &= ~CWR;
        const want = packet(s, (s.seq + off) >>> 0, flags, (s.id + k) & 0xffff, s.payload.subarray(off, off + gso));
        assert.deepEqual(got[k], want, `segment ${k} of ${n}`);
      }
    }),
    { numRuns: 300 },
  );
});

test('cutSuperSegment hands nothing over for what is no super-segment', () => {
  const slab = new Slab(1 << 16, 16_384);
  const s: Super = { v6: false, seq: 1, flags: ACK, id: 1, tos: 0, options: [], payload: new Uint8Array(3000) };
  const whole = packet(s, 1, ACK, 1, s.payload);
  let handed = 0;
  const count = (): void => {
    handed++;
  };
  assert.equal(cutSuperSegment(whole, 3000, slab, count), 0, 'no more payload than one segment');
  assert.equal(cutSuperSegment(whole, 0, slab, count), 0, 'no size');
  assert.equal(cutSuperSegment(whole.subarray(0, 2000), 1000, slab, count), 0, 'shorter than its IP length says');
  const udp = whole.slice();
  udp[9] = IPPROTO_UDP;
  assert.equal(cutSuperSegment(udp, 1000, slab, count), 0, 'not TCP');
  const fragment = whole.slice();
  fragment[6] = 0x20; // MF
  assert.equal(cutSuperSegment(fragment, 1000, slab, count), 0, 'a fragment');
  assert.equal(cutSuperSegment(new Uint8Array(0), 1000, slab, count), 0, 'empty');
  assert.equal(handed, 0);
});
