import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { emitIcmpv6, icmpv6Length, parseIcmpv6, verifyIcmpv6Checksum, type Icmpv6Message } from '../../src/wire/icmpv6.js';
import { parseIpv6 } from '../../src/wire/ipv6.js';
import { concat, hex, pseudoV6, refChecksum, with16 } from './ref.js';

const SRC = hex('20010db8000000000000000000000001');
const DST = hex('20010db8000000000000000000000002');
const DATA = new TextEncoder().encode('ping');
// Echo request id 0x1234 seq 1 from SRC to DST, checksum 0x333e worked by hand
// over the RFC 8200 §8.1 pseudo-header.
const ECHO = concat(hex('80 00 333e 1234 0001'), DATA);

function value<T>(r: { ok: true; value: T } | { ok: false; error: { reason: string } }): T {
  if (!r.ok) assert.fail(`unexpected error: ${r.error.reason}`);
  return r.value;
}

function reason(r: ReturnType<typeof parseIcmpv6>): string {
  assert.equal(r.ok, false, 'expected a parse error');
  if (r.ok) throw new Error('unreachable');
  assert.equal(r.error.layer, 'icmpv6');
  return r.error.reason;
}

/** An ICMPv6 message SRC -> DST from hex, its checksum filled in by the reference sum. */
function icmpv6(hexText: string, ...rest: Uint8Array[]): Uint8Array {
  const b = with16(concat(hex(hexText), ...rest), 2, 0);
  return with16(b, 2, refChecksum(pseudoV6(SRC, DST, 58, b.length), b));
}

// The start of a TCP/IPv6 packet DST -> SRC (payload length 1440), as quoted in an error.
const QUOTED = concat(hex('60000000 05a0 06 40'), DST, SRC, hex('01bb 9c40 00000007'));

test('the reference checksum of the hand-written echo request is 0x333e', () => {
  assert.equal(refChecksum(pseudoV6(SRC, DST, 58, ECHO.length), with16(ECHO, 2, 0)), 0x333e);
});

test('parses an echo request and verifies its pseudo-header checksum', () => {
  const p = value(parseIcmpv6(ECHO, { src: SRC, dst: DST }));
  assert.equal(p.type, 128);
  assert.equal(p.code, 0);
  assert.equal(p.checksum, 0x333e);
  assert.deepEqual(p.message, { kind: 'echoRequest', id: 0x1234, seq: 1, data: DATA });
  assert.equal(verifyIcmpv6Checksum(ECHO, SRC, DST), true);
  // Swapped addresses sum the same (addition commutes); a different address does not.
  assert.equal(verifyIcmpv6Checksum(ECHO, DST, SRC), true);
  assert.equal(verifyIcmpv6Checksum(ECHO, SRC, SRC), false);
  // Destination ::1 instead of ::2 lowers the sum by one, so the checksum is one higher.
  assert.equal(reason(parseIcmpv6(ECHO, { src: SRC, dst: SRC })), 'bad checksum 0x333e, expected 0x333f');
});

test('emitIcmpv6 writes the echo request byte for byte', () => {
  const out = new Uint8Array(ECHO.length);
  assert.equal(emitIcmpv6({ kind: 'echoRequest', id: 0x1234, seq: 1, data: DATA }, SRC, DST, out), 12);
  assert.deepEqual(out, ECHO);
});

test('packet too big carries the MTU and as much of the packet as fits', () => {
  const msg = icmpv6('02 00 0000 00000500', QUOTED);
  const p = value(parseIcmpv6(msg, { src: SRC, dst: DST }));
  assert.deepEqual(p.message, { kind: 'packetTooBig', mtu: 1280, original: QUOTED });
  if (p.message.kind !== 'packetTooBig') return;
  const inner = value(parseIpv6(p.message.original, { allowTruncated: true }));
  assert.equal(inner.upperProtocol, 6);
  assert.deepEqual(inner.src, DST);
  assert.deepEqual([...inner.payload.subarray(0, 4)], [0x01, 0xbb, 0x9c, 0x40]);
});

test('destination unreachable, time exceeded, parameter problem and other types', () => {
  const cases: [string, Icmpv6Message][] = [
    ['01 04 0000 00000000', { kind: 'destUnreachable', code: 4, original: QUOTED }],
    ['03 00 0000 00000000', { kind: 'timeExceeded', code: 0, original: QUOTED }],
    ['04 01 0000 00000028', { kind: 'parameterProblem', code: 1, pointer: 40, original: QUOTED }],
    ['87 00 0000 00000000', { kind: 'other', type: 135, code: 0, rest: 0, body: QUOTED }],
  ];
  for (const [h, m] of cases) {
    const msg = icmpv6(h, QUOTED);
    assert.deepEqual(value(parseIcmpv6(msg, { src: SRC, dst: DST })).message, m, h);
    const out = new Uint8Array(msg.length);
    emitIcmpv6(m, SRC, DST, out);
    assert.deepEqual(out, msg, h);
  }
});

test('every truncation is an error, never a throw', () => {
  for (let n = 0; n < ECHO.length; n++) {
    const why = reason(parseIcmpv6(ECHO.subarray(0, n), { src: SRC, dst: DST }));
    if (n < 8) assert.equal(why, `truncated: ${n} bytes, header needs 8`);
    else assert.match(why, /^bad checksum 0x333e, expected 0x[0-9a-f]{4}$/);
  }
});

test('without addresses the checksum is not checked', () => {
  const bad = with16(ECHO, 2, 0);
  assert.equal(value(parseIcmpv6(bad)).checksum, 0);
  assert.equal(reason(parseIcmpv6(bad, { src: SRC, dst: DST })), 'bad checksum 0x0000, expected 0x333e');
});

test('emitIcmpv6 rejects misuse with RangeError', () => {
  const out = new Uint8Array(64);
  assert.throws(() => emitIcmpv6({ kind: 'echoRequest', id: 1, seq: 1, data: DATA }, SRC.subarray(0, 4), DST, out), RangeError);
  assert.throws(() => emitIcmpv6({ kind: 'other', type: 2, code: 0, rest: 0, body: DATA }, SRC, DST, out), RangeError);
  assert.throws(() => emitIcmpv6({ kind: 'other', type: 129, code: 0, rest: 0, body: DATA }, SRC, DST, out), RangeError);
  assert.throws(() => emitIcmpv6({ kind: 'packetTooBig', mtu: 2 ** 32, original: DATA }, SRC, DST, out), RangeError);
  assert.throws(() => emitIcmpv6({ kind: 'echoReply', id: 1, seq: 1, data: DATA }, SRC, DST, new Uint8Array(11)), RangeError);
});

const u8 = fc.integer({ min: 0, max: 255 });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const body = fc.uint8Array({ maxLength: 48 });
const messageArb: fc.Arbitrary<Icmpv6Message> = fc.oneof(
  fc.tuple(fc.boolean(), u16, u16, body).map(([req, id, seq, data]): Icmpv6Message => ({ kind: req ? 'echoRequest' : 'echoReply', id, seq, data })),
  fc.tuple(u8, body).map(([code, original]): Icmpv6Message => ({ kind: 'destUnreachable', code, original })),
  fc.tuple(u32, body).map(([mtu, original]): Icmpv6Message => ({ kind: 'packetTooBig', mtu, original })),
  fc.tuple(u8, body).map(([code, original]): Icmpv6Message => ({ kind: 'timeExceeded', code, original })),
  fc.tuple(u8, u32, body).map(([code, pointer, original]): Icmpv6Message => ({ kind: 'parameterProblem', code, pointer, original })),
  fc
    .tuple(u8.filter((t) => ![1, 2, 3, 4, 128, 129].includes(t)), u8, u32, body)
    .map(([type, code, rest, b]): Icmpv6Message => ({ kind: 'other', type, code, rest, body: b })),
);

test('property: emit then parse is the identity', () => {
  fc.assert(
    fc.property(messageArb, fc.uint8Array({ minLength: 16, maxLength: 16 }), (m, src) => {
      const out = new Uint8Array(icmpv6Length(m));
      const n = emitIcmpv6(m, src, DST, out);
      assert.equal(refChecksum(pseudoV6(src, DST, 58, n), out), 0);
      assert.deepEqual(value(parseIcmpv6(out, { src, dst: DST })).message, m);
    }),
  );
});

test('property: parseIcmpv6 never throws on arbitrary bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), fc.boolean(), (b, check) => {
      const r = parseIcmpv6(b, check ? { src: SRC, dst: DST } : undefined);
      if (!r.ok) assert.equal(r.error.layer, 'icmpv6');
    }),
    { numRuns: 3000 },
  );
});
