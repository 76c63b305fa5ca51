import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  emitIpv6,
  emitIpv6FragmentHeader,
  formatIpv6Address,
  parseIpv6,
  parseIpv6Address,
  type Ipv6Fields,
} from '../../src/wire/ipv6.js';
import { concat, hex } from './ref.js';

const SRC = hex('20010db8 00000000 00000000 00000001'); // 2001:db8::1
const DST = hex('20010db8 00000000 00000000 00000002'); // 2001:db8::2
const MID = hex('20010db8 00000000 00000000 0000000a'); // 2001:db8::a
const FINAL = hex('20010db8 00000000 00000000 0000000f'); // 2001:db8::f

/** A packet: first 32-bit word as hex, the payload length and next header, hop limit 64, SRC -> DST. */
function ipv6(first4: string, payloadLength: number, nextHeader: number, ...rest: Uint8Array[]): Uint8Array {
  return concat(hex(first4), new Uint8Array([payloadLength >> 8, payloadLength & 0xff, nextHeader, 64]), SRC, DST, ...rest);
}

function reason(r: ReturnType<typeof parseIpv6>): string {
  assert.equal(r.ok, false, 'expected a parse error');
  if (r.ok) throw new Error('unreachable');
  assert.equal(r.error.layer, 'ipv6');
  return r.error.reason;
}

function value(r: ReturnType<typeof parseIpv6>) {
  if (!r.ok) assert.fail(`unexpected error: ${r.error.reason}`);
  return r.value;
}

// Traffic class 0xb8 (DSCP 46, ECN 0), flow label 0x12345, TCP, 12 bytes of payload.
const SIMPLE_PAYLOAD = hex('00500050 00000001 00000002');
const SIMPLE = ipv6('6b812345', 12, 6, SIMPLE_PAYLOAD);

// Hop-by-hop (PadN) -> routing type 0 with two addresses, 2 segments left
// -> fragment (offset 0, M) -> UDP.
const HBH = hex('2b00 0104 00000000');
const RT0 = concat(hex('2c04 0002 00000000'), MID, FINAL);
const FRAG = hex('1100 0001 deadbeef');
const UDP = hex('1234 5678 000c 0000 01020304');
const CHAIN = ipv6('60000000', 68, 0, HBH, RT0, FRAG, UDP);

test('parses the fixed header fields', () => {
  const p = value(parseIpv6(SIMPLE));
  assert.equal(p.version, 6);
  assert.equal(p.trafficClass, 0xb8);
  assert.equal(p.dscp, 46);
  assert.equal(p.ecn, 0);
  assert.equal(p.flowLabel, 0x12345);
  assert.equal(p.payloadLength, 12);
  assert.equal(p.nextHeader, 6);
  assert.equal(p.hopLimit, 64);
  assert.deepEqual(p.src, SRC);
  assert.deepEqual(p.dst, DST);
  assert.deepEqual(p.extHeaders, []);
  assert.equal(p.upperProtocol, 6);
  assert.equal(p.upperOffset, 40);
  assert.deepEqual(p.payload, SIMPLE_PAYLOAD);
  assert.equal(p.fragment, undefined);
  assert.equal(p.isFragment, false);
  assert.deepEqual(p.finalDestination, DST);
});

test('ECN bits come from the low bits of the traffic class', () => {
  const p = value(parseIpv6(ipv6('60300000', 0, 59)));
  assert.equal(p.trafficClass, 0x03);
  assert.equal(p.ecn, 3);
  assert.equal(p.dscp, 0);
});

test('link padding after the payload length is not payload', () => {
  const p = value(parseIpv6(concat(SIMPLE, new Uint8Array(5))));
  assert.deepEqual(p.payload, SIMPLE_PAYLOAD);
});

test('walks hop-by-hop, routing and fragment headers to the upper layer', () => {
  const p = value(parseIpv6(CHAIN));
  assert.deepEqual(p.extHeaders, [
    { type: 0, offset: 40, length: 8 },
    { type: 43, offset: 48, length: 40 },
    { type: 44, offset: 88, length: 8 },
  ]);
  assert.equal(p.upperProtocol, 17);
  assert.equal(p.upperOffset, 96);
  assert.deepEqual(p.payload, UDP);
  assert.deepEqual(p.fragment, { offset: 0, M: true, identification: 0xdeadbeef, nextHeader: 17, headerOffset: 88 });
  assert.equal(p.isFragment, true);
  // RFC 8200 §8.1: segments left, so the pseudo-header uses the last address.
  assert.deepEqual(p.finalDestination, FINAL);
});

test('a routing header with no segments left leaves the destination final', () => {
  const rt = concat(hex('3b04 0000 00000000'), MID, FINAL);
  const p = value(parseIpv6(ipv6('60000000', 40, 43, rt)));
  assert.deepEqual(p.finalDestination, DST);
  assert.equal(p.upperProtocol, 59);
});

test('type 2 and type 4 routing headers name their final destination', () => {
  const t2 = concat(hex('3b02 0201 00000000'), FINAL);
  assert.deepEqual(value(parseIpv6(ipv6('60000000', 24, 43, t2))).finalDestination, FINAL);
  // RFC 8754: Segment List[0] is the final segment, listed first.
  const srh = concat(hex('3b04 0401 01000000'), FINAL, MID);
  assert.deepEqual(value(parseIpv6(ipv6('60000000', 40, 43, srh))).finalDestination, FINAL);
  // An unknown routing type cannot be interpreted.
  const t9 = concat(hex('3b02 0901 00000000'), FINAL);
  assert.deepEqual(value(parseIpv6(ipv6('60000000', 24, 43, t9))).finalDestination, DST);
});

test('a non-first fragment stops the walk at the fragment header', () => {
  // Offset 1232 (0x4d0), M clear; the data that follows looks like a hop-by-hop header but is not one.
  const data = hex('00ff0000 11223344 55667788 99aabbcc');
  const p = value(parseIpv6(ipv6('60000000', 24, 44, hex('0600 04d0 00000007'), data)));
  assert.equal(p.upperProtocol, 6);
  assert.equal(p.upperOffset, 48);
  assert.deepEqual(p.payload, data);
  assert.deepEqual(p.fragment, { offset: 1232, M: false, identification: 7, nextHeader: 6, headerOffset: 40 });
  assert.equal(p.isFragment, true);
});

test('an atomic fragment (offset 0, M clear) is not a fragment', () => {
  const p = value(parseIpv6(ipv6('60000000', 8, 44, hex('3b00 0000 00000001'))));
  assert.equal(p.isFragment, false);
  assert.ok(p.fragment);
  assert.equal(p.upperProtocol, 59);
});

test('AH length counts 4-byte units plus 2; destination options 8-byte units plus 1', () => {
  const ah = hex('3c04 0000 00000100 00000001 00112233 44556677 8899aabb');
  const dopts = hex('0601 010c 000000000000 000000000000');
  const tcp = new Uint8Array(20);
  const p = value(parseIpv6(ipv6('60000000', 24 + 16 + 20, 51, ah, dopts, tcp)));
  assert.deepEqual(p.extHeaders, [
    { type: 51, offset: 40, length: 24 },
    { type: 60, offset: 64, length: 16 },
  ]);
  assert.equal(p.upperProtocol, 6);
  assert.equal(p.upperOffset, 80);
});

test('no next header (59) ends the chain', () => {
  const p = value(parseIpv6(ipv6('60000000', 12, 60, hex('3b00 0104 00000000'), hex('cafebabe'))));
  assert.equal(p.upperProtocol, 59);
  assert.equal(p.upperOffset, 48);
  assert.deepEqual(p.payload, hex('cafebabe'));
});

test('every truncation of a valid packet is an error, never a throw', () => {
  for (let n = 0; n < CHAIN.length; n++) {
    const why = reason(parseIpv6(CHAIN.subarray(0, n)));
    if (n < 40) assert.equal(why, `truncated: ${n} bytes, header needs 40`);
    else assert.equal(why, `payload length 68 > ${n - 40} captured`);
  }
});

test('malformed packets and extension chains name what is wrong', () => {
  const v4 = SIMPLE.slice();
  v4[0] = 0x45;
  assert.equal(reason(parseIpv6(v4)), 'bad version 4');
  // A hop-by-hop header claiming 48 bytes in a 16-byte payload.
  assert.equal(
    reason(parseIpv6(ipv6('60000000', 16, 0, hex('0605 0000 00000000'), new Uint8Array(8)))),
    'hop-by-hop options header at offset 40 length 48 runs past the end (16 bytes left)',
  );
  // The chain runs past the end in its second header.
  assert.equal(
    reason(parseIpv6(ipv6('60000000', 16, 60, hex('2b00 0104 00000000'), hex('0602 0000 00000000')))),
    'routing header at offset 48 length 24 runs past the end (8 bytes left)',
  );
  assert.equal(
    reason(parseIpv6(ipv6('60000000', 1, 60, hex('06')))),
    'destination options header at offset 40 truncated: 1 bytes left, needs 2',
  );
  assert.equal(
    reason(parseIpv6(ipv6('60000000', 4, 44, hex('06000000')))),
    'fragment header at offset 40 truncated: 4 bytes left, needs 8',
  );
  assert.equal(
    reason(parseIpv6(ipv6('60000000', 0, 51))),
    'authentication header at offset 40 truncated: 0 bytes left, needs 2',
  );
  assert.equal(
    reason(parseIpv6(ipv6('60000000', 16, 60, hex('0000 0104 00000000'), hex('3b00 0104 00000000')))),
    'hop-by-hop options header at offset 48: allowed only first',
  );
  assert.equal(
    reason(parseIpv6(ipv6('60000000', 40, 43, concat(hex('3b04 0003 00000000'), MID, FINAL)))),
    'routing header type 0 at offset 40: segments left 3 > 2 addresses',
  );
  assert.equal(
    reason(parseIpv6(ipv6('60000000', 32, 43, concat(hex('3b03 0001 00000000'), MID, new Uint8Array(8))))),
    'routing header type 0 at offset 40: length 3 is not a whole number of addresses',
  );
  assert.equal(
    reason(parseIpv6(ipv6('60000000', 8, 43, hex('3b00 0401 00000000')))),
    'routing header type 4 at offset 40: length 0 holds no segment',
  );
});

test('allowTruncated walks what was captured of a quoted packet', () => {
  const quoted = CHAIN.subarray(0, 104);
  assert.match(reason(parseIpv6(quoted)), /^payload length 68 > 64 captured$/);
  const p = value(parseIpv6(quoted, { allowTruncated: true }));
  assert.equal(p.upperProtocol, 17);
  assert.deepEqual(p.payload, UDP.subarray(0, 8));
  // A chain cut inside a header is still an error.
  assert.match(reason(parseIpv6(CHAIN.subarray(0, 60), { allowTruncated: true })), /^routing header at offset 48 length 40 runs past the end/);
});

test('emitIpv6 writes the known fixed header byte for byte', () => {
  const out = new Uint8Array(40);
  const n = emitIpv6({ trafficClass: 0xb8, flowLabel: 0x12345, nextHeader: 6, hopLimit: 64, src: SRC, dst: DST }, 12, out);
  assert.equal(n, 40);
  assert.deepEqual(out, SIMPLE.subarray(0, 40));
});

test('emitIpv6FragmentHeader writes what the parser reads back', () => {
  const out = new Uint8Array(8 + 40);
  const n = emitIpv6FragmentHeader({ nextHeader: 17, offset: 1232, M: true, identification: 0x89abcdef }, out, 40);
  assert.equal(n, 8);
  assert.deepEqual(out.subarray(40), hex('1100 04d1 89abcdef'));
  emitIpv6({ nextHeader: 44, hopLimit: 1, src: SRC, dst: DST }, 8, out);
  const p = value(parseIpv6(out));
  assert.deepEqual(p.fragment, { offset: 1232, M: true, identification: 0x89abcdef, nextHeader: 17, headerOffset: 40 });
  assert.throws(() => emitIpv6FragmentHeader({ nextHeader: 17, offset: 4, M: false, identification: 0 }, out), RangeError);
});

test('emitIpv6 rejects misuse with RangeError', () => {
  const base: Ipv6Fields = { nextHeader: 6, hopLimit: 64, src: SRC, dst: DST };
  const out = new Uint8Array(40);
  assert.throws(() => emitIpv6({ ...base, flowLabel: 1 << 20 }, 0, out), RangeError);
  assert.throws(() => emitIpv6({ ...base, trafficClass: 256 }, 0, out), RangeError);
  assert.throws(() => emitIpv6({ ...base, src: SRC.subarray(0, 4) }, 0, out), RangeError);
  assert.throws(() => emitIpv6(base, 65536, out), RangeError);
  assert.throws(() => emitIpv6(base, 0, out, 1), RangeError);
});

const addr16 = fc.uint8Array({ minLength: 16, maxLength: 16 });

test('property: emit then parse gives back every field', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 0xfffff }),
      fc.constantFrom(6, 17, 58, 59, 50, 253),
      fc.integer({ min: 0, max: 255 }),
      addr16,
      addr16,
      fc.uint8Array({ maxLength: 64 }),
      (trafficClass, flowLabel, nextHeader, hopLimit, src, dst, payload) => {
        const out = new Uint8Array(40 + payload.length);
        emitIpv6({ trafficClass, flowLabel, nextHeader, hopLimit, src, dst }, payload.length, out);
        out.set(payload, 40);
        const p = value(parseIpv6(out));
        assert.equal(p.trafficClass, trafficClass);
        assert.equal(p.dscp, trafficClass >> 2);
        assert.equal(p.ecn, trafficClass & 3);
        assert.equal(p.flowLabel, flowLabel);
        assert.equal(p.nextHeader, nextHeader);
        assert.equal(p.upperProtocol, nextHeader);
        assert.equal(p.hopLimit, hopLimit);
        assert.deepEqual(p.src, src);
        assert.deepEqual(p.dst, dst);
        assert.deepEqual(p.payload, payload);
      },
    ),
  );
});

test('property: parseIpv6 never throws on arbitrary bytes or chains', () => {
  const v6ish = fc.uint8Array({ minLength: 40, maxLength: 120 }).chain((b) =>
    fc.tuple(fc.constantFrom(0, 43, 44, 51, 60, 59, 6), fc.integer({ min: 0, max: b.length - 40 })).map(([nh, len]) => {
      b[0] = 0x60 | (b[0]! & 0x0f);
      b[4] = len >> 8;
      b[5] = len & 0xff;
      b[6] = nh;
      return b;
    }),
  );
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 120 }), v6ish), fc.boolean(), (b, allowTruncated) => {
      const r = parseIpv6(b, { allowTruncated });
      if (r.ok) {
        assert.ok(r.value.upperOffset <= b.length);
        let at = 40;
        for (const h of r.value.extHeaders) {
          assert.equal(h.offset, at);
          at += h.length;
        }
        assert.equal(at, r.value.upperOffset);
      } else {
        assert.equal(r.error.layer, 'ipv6');
      }
    }),
    { numRuns: 3000 },
  );
});

test('RFC 5952 address text', () => {
  const cases: [string, string][] = [
    ['20010db8000000000000000000020001', '2001:db8::2:1'],
    ['20010db8000000010001000100010001', '2001:db8:0:1:1:1:1:1'], // a lone zero word stays
    ['20010000000000010000000000000001', '2001:0:0:1::1'], // the longest run wins
    ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'], // the first run wins a tie
    ['00000000000000000000000000000000', '::'],
    ['00000000000000000000000000000001', '::1'],
    ['00010000000000000000000000000000', '1::'],
    ['fe800000000000000000000000000001', 'fe80::1'],
    ['ABCD00000000000000000000000000EF', 'abcd::ef'],
    ['00000000000000000000ffffc0000280', '::ffff:192.0.2.128'], // RFC 5952 §5
    ['00010002000300040005000600070008', '1:2:3:4:5:6:7:8'],
    ['0000000100000000000000000000ffff', '0:1::ffff'],
  ];
  for (const [h, text] of cases) {
    assert.equal(formatIpv6Address(hex(h)), text);
    const p = parseIpv6Address(text);
    assert.ok(p.ok, text);
    assert.deepEqual(p.value, hex(h), text);
  }
});

test('address parsing accepts the RFC 4291 forms', () => {
  const cases: [string, string][] = [
    ['0001:0002:0003:0004:0005:0006:0007:0008', '00010002000300040005000600070008'],
    ['2001:DB8::1', '20010db8000000000000000000000001'],
    ['1:2:3:4:5:6:7::', '00010002000300040005000600070000'],
    ['::2:3:4:5:6:7:8', '00000002000300040005000600070008'],
    ['1:2:3:4:5:6:1.2.3.4', '00010002000300040005000601020304'],
    ['::1.2.3.4', '00000000000000000000000001020304'],
  ];
  for (const [text, h] of cases) {
    const p = parseIpv6Address(text);
    assert.ok(p.ok, text);
    assert.deepEqual(p.value, hex(h), text);
  }
  for (const bad of [
    '',
    ':',
    ':::',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7:8::',
    '1::2::3',
    '12345::',
    'g::',
    ':1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:',
    '::1.2.3',
    '1.2.3.4::',
    '::1.2.3.4:5',
    'fe80::1%eth0',
  ]) {
    const r = parseIpv6Address(bad);
    assert.equal(r.ok, false, bad);
    if (!r.ok) assert.match(r.error.reason, /^bad address/);
  }
});

// Addresses rich in zero words, so that runs and ties are common.
const words8 = fc.array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 });
const toBytes = (w: number[]): Uint8Array => {
  const b = new Uint8Array(16);
  w.forEach((x, i) => {
    b[2 * i] = x >> 8;
    b[2 * i + 1] = x & 0xff;
  });
  return b;
};

test('property: formatting agrees with the WHATWG URL host serializer (same compression rules)', () => {
  fc.assert(
    fc.property(words8, (w) => {
      const mapped = w.slice(0, 5).every((x) => x === 0) && w[5] === 0xffff;
      fc.pre(!mapped);
      const host = new URL(`http://[${w.map((x) => x.toString(16)).join(':')}]/`).hostname;
      assert.equal(`[${formatIpv6Address(toBytes(w))}]`, host);
    }),
    { numRuns: 2000 },
  );
});

test('property: parse(format(a)) is a, with uncompressed and mixed input too', () => {
  fc.assert(
    fc.property(words8, fc.boolean(), (w, upper) => {
      const a = toBytes(w);
      const text = formatIpv6Address(a);
      assert.match(text, /^[0-9a-f:.]+$/);
      const p = parseIpv6Address(text);
      assert.ok(p.ok, text);
      assert.deepEqual(p.value, a);
      let full = w.map((x) => x.toString(16).padStart(4, '0')).join(':');
      if (upper) full = full.toUpperCase();
      const q = parseIpv6Address(full);
      assert.ok(q.ok, full);
      assert.deepEqual(q.value, a);
      const mixed = w.slice(0, 6).map((x) => x.toString(16)).join(':') + `:${a[12]}.${a[13]}.${a[14]}.${a[15]}`;
      const m = parseIpv6Address(mixed);
      assert.ok(m.ok, mixed);
      assert.deepEqual(m.value, a);
    }),
  );
});
