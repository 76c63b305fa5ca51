import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { emitIpv4, formatIpv4, parseIpv4, parseIpv4Address, writeIpv4Header, type Ipv4Fields } from '../../src/wire/ipv4.js';
import { bytes, concat, hex, refChecksum, with16 } from './ref.js';

// A UDP-carrying header with DF set, checksum 0xb861 (worked by hand from the
// RFC 791 layout): 192.168.0.1 -> 192.168.0.199, total length 115.
const HEADER = hex('45 00 0073 0000 4000 40 11 b861 c0a80001 c0a800c7');
const PAYLOAD = Uint8Array.from({ length: 95 }, (_, i) => (i * 7 + 3) & 0xff);
const PACKET = concat(HEADER, PAYLOAD);

function reason(r: ReturnType<typeof parseIpv4>): string {
  assert.equal(r.ok, false, 'expected a parse error');
  if (r.ok) throw new Error('unreachable');
  assert.equal(r.error.layer, 'ipv4');
  return r.error.reason;
}

test('the reference checksum of the hand-written header is 0xb861', () => {
  assert.equal(refChecksum(with16(HEADER, 10, 0)), 0xb861);
});

test('parses every field of a known header', () => {
  const r = parseIpv4(PACKET);
  assert.ok(r.ok);
  const p = r.value;
  assert.equal(p.version, 4);
  assert.equal(p.ihl, 5);
  assert.equal(p.headerLength, 20);
  assert.equal(p.dscp, 0);
  assert.equal(p.ecn, 0);
  assert.equal(p.totalLength, 115);
  assert.equal(p.identification, 0);
  assert.deepEqual(p.flags, { reserved: false, DF: true, MF: false });
  assert.equal(p.fragmentOffset, 0);
  assert.equal(p.ttl, 64);
  assert.equal(p.protocol, 17);
  assert.equal(p.headerChecksum, 0xb861);
  assert.deepEqual([...p.src], [192, 168, 0, 1]);
  assert.deepEqual([...p.dst], [192, 168, 0, 199]);
  assert.equal(p.options.length, 0);
  assert.deepEqual(p.payload, PAYLOAD);
  assert.equal(p.isFragment, false);
  assert.equal(p.checksumOk, true);
});

test('payload views alias the input buffer', () => {
  const buf = PACKET.slice();
  const r = parseIpv4(buf);
  assert.ok(r.ok);
  buf[20] = buf[20]! ^ 0xff;
  assert.equal(r.value.payload[0], buf[20]);
  assert.equal(r.value.payload.buffer, buf.buffer);
});

test('link-layer padding beyond the total length is not payload', () => {
  const r = parseIpv4(concat(PACKET, new Uint8Array(6)));
  assert.ok(r.ok);
  assert.equal(r.value.payload.length, 95);
});

test('TOS byte splits into DSCP and ECN; fragment word into flags and byte offset', () => {
  // TOS 0xb9 = DSCP 46 (EF), ECN 01; frag word 0xa0b9 = reserved + MF, offset 0xb9 * 8.
  const h = hex('45 b9 0014 abcd a0b9 01 06 0000 0a000001 0a000002');
  const r = parseIpv4(with16(h, 10, refChecksum(h)));
  assert.ok(r.ok);
  assert.equal(r.value.dscp, 46);
  assert.equal(r.value.ecn, 1);
  assert.equal(r.value.identification, 0xabcd);
  assert.deepEqual(r.value.flags, { reserved: true, DF: false, MF: true });
  assert.equal(r.value.fragmentOffset, 0xb9 * 8);
  assert.equal(r.value.isFragment, true);
  assert.equal(r.value.payload.length, 0);
});

test('a last fragment (offset set, MF clear) is a fragment', () => {
  const h = hex('45 00 0018 0001 00b9 40 11 0000 0a000001 0a000002 01020304');
  const r = parseIpv4(with16(h, 10, refChecksum(h.subarray(0, 20))));
  assert.ok(r.ok);
  assert.equal(r.value.isFragment, true);
  assert.equal(r.value.flags.MF, false);
});

test('options are exposed raw and covered by the checksum', () => {
  // IHL 6 with a Router Alert option (RFC 2113: 94 04 0000).
  const h = hex('46 00 001c 1234 0000 01 02 0000 c0000201 e0000016 94040000 deadbeef');
  const withSum = with16(h, 10, refChecksum(h.subarray(0, 24)));
  const r = parseIpv4(withSum);
  assert.ok(r.ok);
  assert.equal(r.value.ihl, 6);
  assert.deepEqual(r.value.options, hex('94040000'));
  assert.deepEqual(r.value.payload, hex('deadbeef'));
  // The same bytes with the checksum computed as if the header were 20 bytes fail.
  const wrong = with16(h, 10, refChecksum(h.subarray(0, 20)));
  assert.match(reason(parseIpv4(wrong)), /^bad checksum/);
});

test('every truncation of a valid packet is an error, never a throw', () => {
  for (let n = 0; n < PACKET.length; n++) {
    const why = reason(parseIpv4(PACKET.subarray(0, n)));
    if (n < 20) assert.equal(why, `truncated: ${n} bytes, header needs 20`);
    else assert.equal(why, `total length 115 > ${n} captured`);
  }
});

test('malformed headers name what is wrong', () => {
  const v5 = PACKET.slice();
  v5[0] = 0x55;
  assert.equal(reason(parseIpv4(v5)), 'bad version 5');
  const v6 = PACKET.slice();
  v6[0] = 0x65;
  assert.equal(reason(parseIpv4(v6)), 'bad version 6');
  const ihl4 = PACKET.slice();
  ihl4[0] = 0x44;
  assert.equal(reason(parseIpv4(ihl4)), 'header length 16 < 20');
  const ihl15 = PACKET.slice(0, 40);
  ihl15[0] = 0x4f;
  assert.equal(reason(parseIpv4(ihl15)), 'truncated: 40 bytes, header needs 60');
  assert.equal(reason(parseIpv4(with16(PACKET, 2, 19))), 'total length 19 < header length 20');
  assert.equal(reason(parseIpv4(with16(PACKET, 2, 1500))), 'total length 1500 > 115 captured');
  assert.equal(reason(parseIpv4(with16(PACKET, 10, 0xb862))), 'bad checksum 0xb862, expected 0xb861');
});

test('a bad checksum can be tolerated and is then reported in checksumOk', () => {
  const r = parseIpv4(with16(PACKET, 10, 0x1234), { verifyChecksum: false });
  assert.ok(r.ok);
  assert.equal(r.value.checksumOk, false);
  assert.equal(r.value.headerChecksum, 0x1234);
});

test('allowTruncated accepts a quoted header with part of its payload', () => {
  const quoted = PACKET.subarray(0, 28);
  assert.match(reason(parseIpv4(quoted)), /^total length 115 > 28 captured$/);
  const r = parseIpv4(quoted, { allowTruncated: true });
  assert.ok(r.ok);
  assert.equal(r.value.totalLength, 115);
  assert.deepEqual(r.value.payload, PAYLOAD.subarray(0, 8));
});

test('emitIpv4 writes the known header byte for byte', () => {
  const out = new Uint8Array(20);
  const n = emitIpv4(
    { flags: { DF: true }, ttl: 64, protocol: 17, src: bytes(192, 168, 0, 1), dst: bytes(192, 168, 0, 199) },
    95,
    out,
  );
  assert.equal(n, 20);
  assert.deepEqual(out, HEADER);
});

test('emitIpv4 writes at an offset and leaves the rest alone', () => {
  const out = new Uint8Array(30).fill(0xee);
  const n = emitIpv4({ ttl: 1, protocol: 6, src: bytes(1, 2, 3, 4), dst: bytes(5, 6, 7, 8), options: hex('01010100') }, 0, out, 3);
  assert.equal(n, 24);
  assert.deepEqual([...out.subarray(0, 3)], [0xee, 0xee, 0xee]);
  assert.deepEqual([...out.subarray(27)], [0xee, 0xee, 0xee]);
  assert.equal(out[3], 0x46);
  assert.equal(refChecksum(out.subarray(3, 27)), 0);
});

test('emitIpv4 rejects misuse with RangeError', () => {
  const base: Ipv4Fields = { ttl: 64, protocol: 6, src: bytes(1, 2, 3, 4), dst: bytes(5, 6, 7, 8) };
  const out = new Uint8Array(100);
  assert.throws(() => emitIpv4({ ...base, options: new Uint8Array(3) }, 0, out), RangeError);
  assert.throws(() => emitIpv4({ ...base, options: new Uint8Array(44) }, 0, out), RangeError);
  assert.throws(() => emitIpv4({ ...base, ttl: 256 }, 0, out), RangeError);
  assert.throws(() => emitIpv4({ ...base, dscp: 64 }, 0, out), RangeError);
  assert.throws(() => emitIpv4({ ...base, fragmentOffset: 12 }, 0, out), RangeError);
  assert.throws(() => emitIpv4({ ...base, src: bytes(1, 2, 3) }, 0, out), RangeError);
  assert.throws(() => emitIpv4(base, 65516, out), RangeError);
  assert.throws(() => emitIpv4(base, 0, new Uint8Array(19)), RangeError);
  assert.throws(() => emitIpv4(base, 0, out, 81), RangeError);
});

const addr4 = fc.uint8Array({ minLength: 4, maxLength: 4 });
const fieldsArb = fc.record({
  dscp: fc.integer({ min: 0, max: 63 }),
  ecn: fc.integer({ min: 0, max: 3 }),
  identification: fc.integer({ min: 0, max: 0xffff }),
  flags: fc.record({ reserved: fc.boolean(), DF: fc.boolean(), MF: fc.boolean() }),
  fragmentOffset: fc.integer({ min: 0, max: 8191 }).map((u) => u * 8),
  ttl: fc.integer({ min: 0, max: 255 }),
  protocol: fc.integer({ min: 0, max: 255 }),
  src: addr4,
  dst: addr4,
  options: fc.integer({ min: 0, max: 10 }).chain((w) => fc.uint8Array({ minLength: 4 * w, maxLength: 4 * w })),
});

test('property: emit then parse gives back every field', () => {
  fc.assert(
    fc.property(fieldsArb, fc.uint8Array({ maxLength: 64 }), (f, payload) => {
      const out = new Uint8Array(60 + payload.length);
      const hl = emitIpv4(f, payload.length, out);
      out.set(payload, hl);
      assert.equal(refChecksum(out.subarray(0, hl)), 0);
      const r = parseIpv4(out.subarray(0, hl + payload.length));
      assert.ok(r.ok, r.ok ? '' : r.error.reason);
      const p = r.value;
      assert.equal(p.headerLength, 20 + f.options.length);
      assert.equal(p.totalLength, hl + payload.length);
      for (const k of ['dscp', 'ecn', 'identification', 'fragmentOffset', 'ttl', 'protocol'] as const) assert.equal(p[k], f[k]);
      assert.deepEqual(p.flags, { ...f.flags });
      assert.deepEqual(p.src, f.src);
      assert.deepEqual(p.dst, f.dst);
      assert.deepEqual(p.options, f.options);
      assert.deepEqual(p.payload, payload);
      assert.equal(p.isFragment, f.flags.MF || f.fragmentOffset > 0);
    }),
  );
});

test('property: writeIpv4Header (the stack\'s unchecked writer) writes the very bytes emitIpv4 does for a header without options', () => {
  fc.assert(
    fc.property(fieldsArb, fc.integer({ min: 0, max: 65515 }), (f, payloadLength) => {
      const want = new Uint8Array(20);
      emitIpv4({ ecn: f.ecn, identification: f.identification, flags: { DF: f.flags.DF }, ttl: f.ttl, protocol: f.protocol, src: f.src, dst: f.dst }, payloadLength, want);
      const got = new Uint8Array(20).fill(0x5a);
      assert.equal(writeIpv4Header(got, 0, payloadLength, f.ecn, f.identification, f.flags.DF, f.ttl, f.protocol, f.src, f.dst), 20);
      assert.deepEqual(got, want);
    }),
  );
});

test('property: parseIpv4 never throws on arbitrary bytes', () => {
  const anyBytes = fc.uint8Array({ maxLength: 80 });
  // Bytes that look like IPv4 (version 4) reach the deeper checks.
  const v4ish = anyBytes.map((b) => {
    if (b.length > 0) b[0] = 0x40 | (b[0]! & 0x0f);
    return b;
  });
  fc.assert(
    fc.property(fc.oneof(anyBytes, v4ish), fc.boolean(), fc.boolean(), (b, verifyChecksum, allowTruncated) => {
      const r = parseIpv4(b, { verifyChecksum, allowTruncated });
      if (r.ok) {
        assert.ok(r.value.headerLength <= b.length);
        assert.ok(r.value.payload.length <= r.value.totalLength - r.value.headerLength);
      } else {
        assert.equal(r.error.layer, 'ipv4');
        assert.ok(r.error.reason.length > 0);
      }
    }),
    { numRuns: 2000 },
  );
});

test('address text: format and parse', () => {
  assert.equal(formatIpv4(bytes(192, 0, 2, 255)), '192.0.2.255');
  assert.equal(formatIpv4(bytes(0, 0, 0, 0)), '0.0.0.0');
  const r = parseIpv4Address('10.0.255.1');
  assert.ok(r.ok);
  assert.deepEqual([...r.value], [10, 0, 255, 1]);
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '1.2.3.256', '1.2.3.04', '1.2.3.-1', '1.2.3.4 ', 'a.b.c.d', '1..3.4', '0x1.2.3.4']) {
    const e = parseIpv4Address(bad);
    assert.equal(e.ok, false, bad);
    if (!e.ok) assert.match(e.error.reason, /^bad address/);
  }
  fc.assert(
    fc.property(addr4, (a) => {
      const p = parseIpv4Address(formatIpv4(a));
      assert.ok(p.ok);
      assert.deepEqual(p.value, a);
    }),
  );
});
