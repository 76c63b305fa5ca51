import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { emitIcmp, icmpLength, parseIcmp, type IcmpMessage } from '../../src/wire/icmp.js';
import { parseIpv4 } from '../../src/wire/ipv4.js';
import { concat, hex, refChecksum, with16 } from './ref.js';

const DATA = new TextEncoder().encode('abcdefgh');
// Echo request id 0x1234 seq 1, checksum 0x5435 worked by hand (RFC 792 layout).
const ECHO = concat(hex('08 00 5435 1234 0001'), DATA);

function value<T>(r: { ok: true; value: T } | { ok: false; error: { reason: string } }): T {
  if (!r.ok) assert.fail(`unexpected error: ${r.error.reason}`);
  return r.value;
}

function reason(r: ReturnType<typeof parseIcmp>): string {
  assert.equal(r.ok, false, 'expected a parse error');
  if (r.ok) throw new Error('unreachable');
  assert.equal(r.error.layer, 'icmp');
  return r.error.reason;
}

/** An ICMP message from hex, with its checksum filled in by the reference sum. */
function icmp(hexText: string, ...rest: Uint8Array[]): Uint8Array {
  const b = concat(hex(hexText), ...rest);
  return with16(b, 2, refChecksum(with16(b, 2, 0)));
}

// A TCP/IPv4 header 10.0.0.1 -> 10.0.0.2 (total length 1500) and the first 8
// bytes of its TCP header (ports 40000 -> 443, seq 7), as a router quotes them.
const QUOTED_IP = (() => {
  const h = hex('45 00 05dc 0001 4000 40 06 0000 0a000001 0a000002');
  return with16(h, 10, refChecksum(h));
})();
const QUOTED = concat(QUOTED_IP, hex('9c40 01bb 00000007'));

test('the reference checksum of the hand-written echo request is 0x5435', () => {
  assert.equal(refChecksum(with16(ECHO, 2, 0)), 0x5435);
});

test('parses an echo request; emit writes it back byte for byte', () => {
  const p = value(parseIcmp(ECHO));
  assert.equal(p.type, 8);
  assert.equal(p.code, 0);
  assert.equal(p.checksum, 0x5435);
  assert.equal(p.checksumOk, true);
  assert.deepEqual(p.message, { kind: 'echoRequest', id: 0x1234, seq: 1, data: DATA });
  const out = new Uint8Array(ECHO.length);
  assert.equal(emitIcmp(p.message, out), 16);
  assert.deepEqual(out, ECHO);
});

test('an echo reply can be written in place over the request it answers', () => {
  const buf = ECHO.slice();
  const req = value(parseIcmp(buf)).message;
  assert.equal(req.kind, 'echoRequest');
  if (req.kind !== 'echoRequest') return;
  emitIcmp({ kind: 'echoReply', id: req.id, seq: req.seq, data: req.data }, buf);
  assert.deepEqual(buf, icmp('00 00 0000 1234 0001', DATA));
  assert.deepEqual(value(parseIcmp(buf)).message, { kind: 'echoReply', id: 0x1234, seq: 1, data: DATA });
});

test('fragmentation needed carries the next-hop MTU and the quoted datagram', () => {
  const msg = icmp('03 04 0000 0000 0578', QUOTED);
  const p = value(parseIcmp(msg));
  assert.deepEqual(p.message, { kind: 'destUnreachable', code: 4, nextHopMtu: 1400, original: QUOTED });
  if (p.message.kind !== 'destUnreachable') return;
  const inner = value(parseIpv4(p.message.original, { allowTruncated: true }));
  assert.equal(inner.protocol, 6);
  assert.equal(inner.totalLength, 1500);
  assert.deepEqual([...inner.payload.subarray(0, 4)], [0x9c, 0x40, 0x01, 0xbb]);
});

test('port unreachable, time exceeded, parameter problem and other types', () => {
  assert.deepEqual(value(parseIcmp(icmp('03 03 0000 00000000', QUOTED))).message, {
    kind: 'destUnreachable',
    code: 3,
    nextHopMtu: 0,
    original: QUOTED,
  });
  assert.deepEqual(value(parseIcmp(icmp('0b 01 0000 00000000', QUOTED))).message, { kind: 'timeExceeded', code: 1, original: QUOTED });
  assert.deepEqual(value(parseIcmp(icmp('0c 00 0000 08000000', QUOTED))).message, {
    kind: 'parameterProblem',
    code: 0,
    pointer: 8,
    original: QUOTED,
  });
  // Timestamp request (type 13): id/seq word kept as `rest`, the timestamps as `body`.
  const ts = hex('00000001 00000000 00000000');
  assert.deepEqual(value(parseIcmp(icmp('0d 00 0000 abcd0002', ts))).message, {
    kind: 'other',
    type: 13,
    code: 0,
    rest: 0xabcd0002,
    body: ts,
  });
});

test('every truncation is an error, never a throw', () => {
  for (let n = 0; n < ECHO.length; n++) {
    const why = reason(parseIcmp(ECHO.subarray(0, n)));
    if (n < 8) assert.equal(why, `truncated: ${n} bytes, header needs 8`);
    else assert.match(why, /^bad checksum 0x5435, expected 0x[0-9a-f]{4}$/);
  }
});

test('a bad checksum names both values, or is tolerated on request', () => {
  const bad = with16(ECHO, 2, 0x5436);
  assert.equal(reason(parseIcmp(bad)), 'bad checksum 0x5436, expected 0x5435');
  const p = value(parseIcmp(bad, { verifyChecksum: false }));
  assert.equal(p.checksumOk, false);
});

test('emitIcmp rejects misuse with RangeError', () => {
  const out = new Uint8Array(64);
  assert.throws(() => emitIcmp({ kind: 'other', type: 8, code: 0, rest: 0, body: DATA }, out), RangeError);
  assert.throws(() => emitIcmp({ kind: 'echoRequest', id: 65536, seq: 0, data: DATA }, out), RangeError);
  assert.throws(() => emitIcmp({ kind: 'destUnreachable', code: 256, nextHopMtu: 0, original: DATA }, out), RangeError);
  assert.throws(() => emitIcmp({ kind: 'echoRequest', id: 1, seq: 1, data: DATA }, new Uint8Array(15)), RangeError);
});

const u8 = fc.integer({ min: 0, max: 255 });
const u16 = fc.integer({ min: 0, max: 0xffff });
const body = fc.uint8Array({ maxLength: 48 });
const messageArb: fc.Arbitrary<IcmpMessage> = fc.oneof(
  fc.tuple(fc.boolean(), u16, u16, body).map(([req, id, seq, data]): IcmpMessage => ({ kind: req ? 'echoRequest' : 'echoReply', id, seq, data })),
  fc.tuple(u8, u16, body).map(([code, nextHopMtu, original]): IcmpMessage => ({ kind: 'destUnreachable', code, nextHopMtu, original })),
  fc.tuple(u8, body).map(([code, original]): IcmpMessage => ({ kind: 'timeExceeded', code, original })),
  fc.tuple(u8, u8, body).map(([code, pointer, original]): IcmpMessage => ({ kind: 'parameterProblem', code, pointer, original })),
  fc
    .tuple(u8.filter((t) => ![0, 3, 8, 11, 12].includes(t)), u8, fc.integer({ min: 0, max: 0xffffffff }), body)
    .map(([type, code, rest, b]): IcmpMessage => ({ kind: 'other', type, code, rest, body: b })),
);

test('property: emit then parse is the identity', () => {
  fc.assert(
    fc.property(messageArb, fc.integer({ min: 0, max: 3 }), (m, offset) => {
      const out = new Uint8Array(offset + icmpLength(m));
      const n = emitIcmp(m, out, offset);
      assert.equal(n, out.length - offset);
      const wire = out.subarray(offset);
      assert.equal(refChecksum(wire), 0);
      const p = value(parseIcmp(wire));
      assert.deepEqual(p.message, m);
    }),
  );
});

test('property: parseIcmp never throws on arbitrary bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), fc.boolean(), (b, verifyChecksum) => {
      const r = parseIcmp(b, { verifyChecksum });
      if (!r.ok) assert.equal(r.error.layer, 'icmp');
    }),
    { numRuns: 3000 },
  );
});
