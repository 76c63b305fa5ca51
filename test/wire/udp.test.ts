import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { emitUdp, parseUdp, verifyUdpChecksum } from '../../src/wire/udp.js';
import { bytes, concat, hex, pseudoV4, pseudoV6, refChecksum, refSum, with16 } from './ref.js';

const SRC4 = bytes(192, 0, 2, 1);
const DST4 = bytes(192, 0, 2, 2);
const SRC6 = hex('20010db8000000000000000000000001');
const DST6 = hex('20010db8000000000000000000000002');

// 192.0.2.1:12345 -> 192.0.2.2:53, 11 bytes of payload (odd), checksum 0x0a26 by hand.
const PAYLOAD = new TextEncoder().encode('synack-wire');
const DGRAM = concat(hex('3039 0035 0013 0a26'), PAYLOAD);

function value<T>(r: { ok: true; value: T } | { ok: false; error: { reason: string } }): T {
  if (!r.ok) assert.fail(`unexpected error: ${r.error.reason}`);
  return r.value;
}

function reason(r: ReturnType<typeof parseUdp>): string {
  assert.equal(r.ok, false, 'expected a parse error');
  if (r.ok) throw new Error('unreachable');
  assert.equal(r.error.layer, 'udp');
  return r.error.reason;
}

test('the reference checksum of the hand-written datagram is 0x0a26', () => {
  assert.equal(refChecksum(pseudoV4(SRC4, DST4, 17, 19), with16(DGRAM, 6, 0)), 0x0a26);
});

test('parses a known datagram and checks its checksum', () => {
  const d = value(parseUdp(DGRAM, { src: SRC4, dst: DST4 }));
  assert.equal(d.srcPort, 12345);
  assert.equal(d.dstPort, 53);
  assert.equal(d.length, 19);
  assert.equal(d.checksum, 0x0a26);
  assert.deepEqual(d.payload, PAYLOAD);
  assert.equal(verifyUdpChecksum(DGRAM, SRC4, DST4), true);
  assert.equal(reason(parseUdp(with16(DGRAM, 6, 0x0a27), { src: SRC4, dst: DST4 })), 'bad checksum 0x0a27, expected 0x0a26');
  assert.equal(verifyUdpChecksum(DGRAM, DST4, DST4), false);
});

test('emitUdp writes the known datagram byte for byte', () => {
  const out = new Uint8Array(19);
  assert.equal(emitUdp({ srcPort: 12345, dstPort: 53, payload: PAYLOAD }, SRC4, DST4, out), 19);
  assert.deepEqual(out, DGRAM);
});

test('the Length field limits the payload; trailing bytes are ignored', () => {
  const d = value(parseUdp(concat(DGRAM, bytes(1, 2, 3)), { src: SRC4, dst: DST4 }));
  assert.deepEqual(d.payload, PAYLOAD);
});

test('a zero checksum means none over IPv4 and is an error over IPv6', () => {
  const none = with16(DGRAM, 6, 0);
  assert.equal(value(parseUdp(none, { src: SRC4, dst: DST4 })).checksum, 0);
  assert.equal(reason(parseUdp(none, { src: SRC6, dst: DST6 })), 'zero checksum over IPv6');
  const out = new Uint8Array(19);
  emitUdp({ srcPort: 12345, dstPort: 53, payload: PAYLOAD }, SRC4, DST4, out, 0, { checksum: false });
  assert.deepEqual(out, none);
  assert.throws(() => emitUdp({ srcPort: 1, dstPort: 2, payload: PAYLOAD }, SRC6, DST6, new Uint8Array(40), 0, { checksum: false }), RangeError);
});

test('a checksum that computes to zero is sent as 0xffff (RFC 768)', () => {
  // Choose the last payload word so the one's-complement sum is 0xffff.
  const payload = bytes(0x10, 0x20, 0, 0);
  const header = hex('0400 0401 000c 0000');
  const s = refSum(pseudoV4(SRC4, DST4, 17, 12), header, payload);
  const fill = 0xffff - s;
  payload[2] = fill >> 8;
  payload[3] = fill & 0xff;
  assert.equal(refChecksum(pseudoV4(SRC4, DST4, 17, 12), header, payload), 0);
  const out = new Uint8Array(12);
  emitUdp({ srcPort: 0x400, dstPort: 0x401, payload }, SRC4, DST4, out);
  assert.equal((out[6]! << 8) | out[7]!, 0xffff);
  assert.equal(value(parseUdp(out, { src: SRC4, dst: DST4 })).checksum, 0xffff);
});

test('every truncation is an error, never a throw', () => {
  for (let n = 0; n < DGRAM.length; n++) {
    const why = reason(parseUdp(DGRAM.subarray(0, n), { src: SRC4, dst: DST4 }));
    if (n < 8) assert.equal(why, `truncated: ${n} bytes, header needs 8`);
    else assert.equal(why, `length 19 > ${n} captured`);
  }
  assert.equal(reason(parseUdp(with16(DGRAM, 4, 7))), 'length 7 < 8');
});

test('emitUdp rejects misuse with RangeError', () => {
  const out = new Uint8Array(64);
  assert.throws(() => emitUdp({ srcPort: 65536, dstPort: 1, payload: PAYLOAD }, SRC4, DST4, out), RangeError);
  assert.throws(() => emitUdp({ srcPort: 1, dstPort: 1, payload: PAYLOAD }, SRC4, DST6, out), RangeError);
  assert.throws(() => emitUdp({ srcPort: 1, dstPort: 1, payload: PAYLOAD }, SRC4, DST4, new Uint8Array(18)), RangeError);
  assert.throws(() => emitUdp({ srcPort: 1, dstPort: 1, payload: new Uint8Array(65528) }, SRC4, DST4, new Uint8Array(70000)), RangeError);
});

test('property: emit then parse is the identity over IPv4 and IPv6', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0xffff }),
      fc.integer({ min: 0, max: 0xffff }),
      fc.uint8Array({ maxLength: 100 }),
      fc.boolean(),
      fc.integer({ min: 0, max: 5 }),
      (srcPort, dstPort, payload, v6, offset) => {
        const [src, dst] = v6 ? [SRC6, DST6] : [SRC4, DST4];
        const out = new Uint8Array(offset + 8 + payload.length);
        const n = emitUdp({ srcPort, dstPort, payload }, src, dst, out, offset);
        const wire = out.subarray(offset);
        assert.equal(n, 8 + payload.length);
        const ph = v6 ? pseudoV6(src, dst, 17, n) : pseudoV4(src, dst, 17, n);
        assert.equal(refChecksum(ph, wire), 0);
        const d = value(parseUdp(wire, { src, dst }));
        assert.deepEqual({ srcPort: d.srcPort, dstPort: d.dstPort, length: d.length, payload: d.payload }, { srcPort, dstPort, length: n, payload });
      },
    ),
  );
});

test('property: parseUdp never throws on arbitrary bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), fc.constantFrom(0, 4, 16), (b, alen) => {
      const opts = alen === 0 ? undefined : alen === 4 ? { src: SRC4, dst: DST4 } : { src: SRC6, dst: DST6 };
      const r = parseUdp(b, opts);
      if (r.ok) assert.ok(r.value.length <= b.length);
      else assert.equal(r.error.layer, 'udp');
    }),
    { numRuns: 3000 },
  );
});
