import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  emitTcp,
  emptyTcpHeaderView,
  ownTcpHeaderLength,
  parseTcp,
  parseTcpInto,
  parseTcpOptions,
  tcpHeaderLength,
  tcpOptionsLength,
  verifyTcpChecksum,
  writeTcp,
} from '../../src/wire/tcp.js';
import { fillTransportChecksum } from '../../src/wire/offload.js';
import { ACK, AE, CWR, ECE, FIN, PSH, SYN, type Segment, type TcpOption } from '../../src/wire/tcp-types.js';
import { bytes, concat, hex, pseudoV4, pseudoV6, refChecksum, refSum, with16 } from './ref.js';

const SRC4 = bytes(192, 0, 2, 1);
const DST4 = bytes(192, 0, 2, 2);
const SRC6 = hex('20010db8000000000000000000000001');
const DST6 = hex('20010db8000000000000000000000002');

// A SYN from 192.0.2.1:49152 to 192.0.2.2:80, written from the RFC 9293 §3.1
// layout: seq 0x01020304, window 64240, data offset 10, options
// mss 1460, sackOK, TS val 1 ecr 0, nop, wscale 7. Checksum 0x04b4 (by hand).
const SYN_NO_SUM = hex(`
  c000 0050  01020304  00000000  a0 02 faf0  0000 0000
  02 04 05b4 | 04 02 | 08 0a 00000001 00000000 | 01 | 03 03 07`);
const SYN_SEG = with16(SYN_NO_SUM, 16, 0x04b4);
const SYN_OPTIONS: TcpOption[] = [
  { kind: 'mss', mss: 1460 },
  { kind: 'sackOK' },
  { kind: 'timestamp', val: 1, ecr: 0 },
  { kind: 'nop' },
  { kind: 'wscale', shift: 7 },
];

function value<T>(r: { ok: true; value: T } | { ok: false; error: { reason: string } }): T {
  if (!r.ok) assert.fail(`unexpected error: ${r.error.reason}`);
  return r.value;
}

function reason(r: ReturnType<typeof parseTcp> | ReturnType<typeof parseTcpOptions>): string {
  assert.equal(r.ok, false, 'expected a parse error');
  if (r.ok) throw new Error('unreachable');
  assert.equal(r.error.layer, 'tcp');
  return r.error.reason;
}

test('the reference checksum of the hand-written SYN is 0x04b4', () => {
  assert.equal(refChecksum(pseudoV4(SRC4, DST4, 6, 40), SYN_NO_SUM), 0x04b4);
});

test('parses every field of the SYN', () => {
  const s = value(parseTcp(SYN_SEG, { src: SRC4, dst: DST4 }));
  assert.equal(s.srcPort, 49152);
  assert.equal(s.dstPort, 80);
  assert.equal(s.seq, 0x01020304);
  assert.equal(s.ack, 0);
  assert.equal(s.flags, SYN);
  assert.equal(s.window, 64240);
  assert.equal(s.urgent, 0);
  assert.equal(s.checksum, 0x04b4);
  assert.equal(s.dataOffset, 10);
  assert.equal(s.headerLength, 40);
  assert.equal(s.reserved, 0);
  assert.deepEqual(s.options, SYN_OPTIONS);
  assert.equal(s.payload.length, 0);
});

/** The hand-checked SYN's fields, as the core would give them to emitTcp. */
const SYN_FIELDS: Segment = {
  srcPort: 49152,
  dstPort: 80,
  seq: 0x01020304,
  ack: 0,
  flags: SYN,
  window: 64240,
  urgent: 0,
  options: SYN_OPTIONS,
  payload: new Uint8Array(0),
};

test('emitTcp writes the SYN byte for byte', () => {
  const out = new Uint8Array(40);
  const seg = SYN_FIELDS;
  assert.equal(emitTcp(seg, SRC4, DST4, out), 40);
  assert.deepEqual(out, SYN_SEG);
});

test('checksum over IPv6 uses the 40-byte pseudo-header', () => {
  const seg: Segment = {
    srcPort: 443,
    dstPort: 50000,
    seq: 0xfffffff0,
    ack: 0x80000001,
    flags: ACK | PSH,
    window: 502,
    urgent: 0,
    options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', val: 0xdeadbeef, ecr: 7 }],
    payload: new TextEncoder().encode('hello, odd'),
  };
  const out = new Uint8Array(64);
  const n = emitTcp(seg, SRC6, DST6, out);
  assert.equal(n, 32 + 10);
  const written = out.subarray(0, n);
  const zeroed = with16(written, 16, 0);
  assert.equal((written[16]! << 8) | written[17]!, refChecksum(pseudoV6(SRC6, DST6, 6, n), zeroed));
  assert.equal(verifyTcpChecksum(written, SRC6, DST6), true);
  assert.equal(verifyTcpChecksum(written, SRC6, SRC6), false);
  const s = value(parseTcp(written, { src: SRC6, dst: DST6 }));
  assert.equal(new TextDecoder().decode(s.payload), 'hello, odd');
  assert.equal(s.seq, 0xfffffff0);
  assert.equal(s.ack, 0x80000001);
});

test('a bad checksum is reported with the expected value', () => {
  assert.equal(verifyTcpChecksum(SYN_SEG, SRC4, DST4), true);
  const bad = with16(SYN_SEG, 16, 0x1234);
  assert.equal(verifyTcpChecksum(bad, SRC4, DST4), false);
  assert.equal(reason(parseTcp(bad, { src: SRC4, dst: DST4 })), 'bad checksum 0x1234, expected 0x04b4');
  // Without addresses the checksum is not checked.
  assert.equal(value(parseTcp(bad)).checksum, 0x1234);
  // A flipped payload bit is caught too.
  const flipped = concat(SYN_SEG, bytes(0x41));
  assert.equal(verifyTcpChecksum(flipped, SRC4, DST4), false);
});

test('flags: AE from the data-offset byte, ECE and CWR, reserved bits', () => {
  const b = SYN_SEG.slice();
  b[12] = 0xa0 | 0x0e | 0x01; // reserved bits all set, AE set
  b[13] = 0xc2 | 0x10; // CWR ECE SYN ACK
  const s = value(parseTcp(b));
  assert.equal(s.flags, AE | CWR | ECE | ACK | SYN);
  assert.equal(s.reserved, 7);
  assert.equal(s.dataOffset, 10);
  const out = new Uint8Array(40);
  emitTcp({ ...s, flags: AE | CWR | ECE | FIN }, SRC4, DST4, out);
  assert.equal(out[12], 0xa1); // reserved bits are written as zero
  assert.equal(out[13], 0xc1);
});

test('every truncation inside the header is an error; beyond it the checksum catches it', () => {
  const seg = concat(with16(SYN_NO_SUM, 16, 0), hex('5a5b5c5d5e5f60'));
  const sum = refChecksum(pseudoV4(SRC4, DST4, 6, seg.length), seg);
  const full = with16(seg, 16, sum);
  value(parseTcp(full, { src: SRC4, dst: DST4 }));
  for (let n = 0; n < full.length; n++) {
    const why = reason(parseTcp(full.subarray(0, n), { src: SRC4, dst: DST4 }));
    if (n < 20) assert.equal(why, `truncated: ${n} bytes, header needs 20`);
    else if (n < 40) assert.equal(why, `truncated: ${n} bytes, header needs 40`);
    else assert.match(why, /^bad checksum 0x[0-9a-f]{4}, expected 0x[0-9a-f]{4}$/);
  }
});

test('a data offset below 5 words is an error', () => {
  const b = SYN_SEG.slice();
  b[12] = 0x40;
  assert.equal(reason(parseTcp(b)), 'data offset 16 bytes < 20');
  b[12] = 0x00;
  assert.equal(reason(parseTcp(b)), 'data offset 0 bytes < 20');
});

test('options with wrong lengths are errors naming them', () => {
  const cases: [string, string][] = [
    ['02 03 05 00', 'option mss length 3 (expected 4)'],
    ['02 05 05b4 00 000000', 'option mss length 5 (expected 4)'],
    ['03 02 0000', 'option wscale length 2 (expected 3)'],
    ['04 03 0000', 'option sackOK length 3 (expected 2)'],
    ['08 09 00000001 000000 00 0000', 'option timestamp length 9 (expected 10)'],
    ['05 02 0000', 'option sack length 2 (expected 2+8n, n in 1..4)'],
    ['05 0b 00000001 00000002 000000 00 0000', 'option sack length 11 (expected 2+8n, n in 1..4)'],
    ['05 2a' + '00'.repeat(38), 'option sack length 42 (expected 2+8n, n in 1..4)'],
    ['1e 01 0000', 'option kind 30 length 1 (< 2)'],
    ['1e 00 0000', 'option kind 30 length 0 (< 2)'],
    ['01 01 01 02', 'option mss truncated: no length byte'],
    ['01 02 04 05', 'option mss length 4 runs past the options (3 bytes left)'],
    ['01 01 1e 08 00000000', 'option kind 30 length 8 runs past the options (6 bytes left)'],
    ['05 12 00000001 00000002 00000003 0000', 'option sack length 18 runs past the options (16 bytes left)'],
  ];
  for (const [opts, why] of cases) {
    const o = hex(opts);
    assert.equal(o.length % 4, 0, `test vector ${opts} must fill whole words`);
    assert.equal(reason(parseTcpOptions(o)), why, opts);
    // The same through parseTcp, as the options of a whole header.
    const h = concat(SYN_SEG.subarray(0, 20), o);
    h[12] = (h.length / 4) << 4;
    assert.equal(reason(parseTcp(h)), why, opts);
  }
});

test('EOL ends the list; what follows it is padding, even if not zero', () => {
  assert.deepEqual(value(parseTcpOptions(hex('03 03 07 00'))), [{ kind: 'wscale', shift: 7 }, { kind: 'eol' }]);
  assert.deepEqual(value(parseTcpOptions(hex('01 00 02 01 ff ff'))), [{ kind: 'nop' }, { kind: 'eol' }]);
  assert.deepEqual(value(parseTcpOptions(hex(''))), []);
});

test('SACK blocks and unknown options are read', () => {
  const opts = value(parseTcpOptions(hex('0101 05 12 00000064 000000c8 fffffff0 00000010 1e 04 2001 fd 02')));
  assert.deepEqual(opts, [
    { kind: 'nop' },
    { kind: 'nop' },
    {
      kind: 'sack',
      blocks: [
        { left: 100, right: 200 },
        { left: 0xfffffff0, right: 16 },
      ],
    },
    { kind: 'unknown', type: 30, data: hex('2001') },
    { kind: 'unknown', type: 253, data: new Uint8Array(0) },
  ]);
});

test('tcpOptionsLength pads to a multiple of 4 and enforces 40 bytes', () => {
  assert.equal(tcpOptionsLength([]), 0);
  assert.equal(tcpOptionsLength([{ kind: 'mss', mss: 1460 }]), 4);
  assert.equal(tcpOptionsLength([{ kind: 'wscale', shift: 7 }]), 4);
  assert.equal(tcpOptionsLength([{ kind: 'sackOK' }, { kind: 'eol' }]), 4);
  assert.equal(tcpOptionsLength(SYN_OPTIONS), 20);
  assert.equal(tcpOptionsLength([{ kind: 'timestamp', val: 0, ecr: 0 }]), 12);
  const fourBlocks = Array.from({ length: 4 }, (_, i) => ({ left: i, right: i + 1 }));
  assert.equal(tcpOptionsLength([{ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks: fourBlocks }]), 36);
  assert.equal(tcpHeaderLength(SYN_OPTIONS), 40);
  assert.throws(() => tcpOptionsLength([{ kind: 'timestamp', val: 0, ecr: 0 }, { kind: 'sack', blocks: fourBlocks }]), RangeError);
});

test('emitTcp pads odd option lengths with zero (EOL) bytes', () => {
  const out = new Uint8Array(24).fill(0xee);
  const n = emitTcp(
    { srcPort: 1, dstPort: 2, seq: 3, ack: 4, flags: SYN, window: 5, urgent: 0, options: [{ kind: 'wscale', shift: 14 }], payload: new Uint8Array(0) },
    SRC4,
    DST4,
    out,
  );
  assert.equal(n, 24);
  assert.deepEqual(out.subarray(20), hex('03030e00'));
  assert.equal(out[12], 0x60);
  assert.deepEqual(value(parseTcp(out, { src: SRC4, dst: DST4 })).options, [{ kind: 'wscale', shift: 14 }, { kind: 'eol' }]);
});

test('emitTcp rejects misuse with RangeError', () => {
  const seg: Segment = { srcPort: 1, dstPort: 2, seq: 0, ack: 0, flags: 0, window: 0, urgent: 0, options: [], payload: new Uint8Array(0) };
  const out = new Uint8Array(100);
  const blocks = (n: number) => Array.from({ length: n }, () => ({ left: 1, right: 2 }));
  const misuse: [Partial<Segment>, Uint8Array?, Uint8Array?, Uint8Array?][] = [
    [{ options: [{ kind: 'eol' }, { kind: 'nop' }] }],
    [{ options: [{ kind: 'sack', blocks: blocks(5) }] }],
    [{ options: [{ kind: 'sack', blocks: [] }] }],
    [{ options: [{ kind: 'mss', mss: 65536 }] }],
    [{ options: [{ kind: 'unknown', type: 1, data: new Uint8Array(0) }] }],
    [{ options: Array.from({ length: 41 }, () => ({ kind: 'nop' as const })) }],
    [{ flags: 0x200 }],
    [{ seq: 2 ** 32 }],
    [{ seq: -1 }],
    [{ srcPort: 65536 }],
    [{ window: 1.5 }],
    [{}, SRC4, DST6],
    [{}, bytes(1, 2, 3), bytes(1, 2, 3)],
    [{ payload: new Uint8Array(81) }],
    [{}, SRC4, DST4, new Uint8Array(19)],
  ];
  for (const [patch, src, dst, buf] of misuse) {
    assert.throws(() => emitTcp({ ...seg, ...patch }, src ?? SRC4, dst ?? DST4, buf ?? out), RangeError, JSON.stringify(patch));
  }
});

test('emitTcp writes at an offset; the payload view aliases the input', () => {
  const out = new Uint8Array(64).fill(0xee);
  const payload = hex('0102030405');
  const n = emitTcp({ srcPort: 9, dstPort: 10, seq: 1, ack: 2, flags: ACK, window: 3, urgent: 0, options: [], payload }, SRC4, DST4, out, 7);
  assert.equal(n, 25);
  assert.equal(out[6], 0xee);
  assert.equal(out[32], 0xee);
  const view = out.subarray(7, 32);
  const s = value(parseTcp(view, { src: SRC4, dst: DST4 }));
  assert.deepEqual(s.payload, payload);
  out[7 + 20] = 0x99;
  assert.equal(s.payload[0], 0x99);
});

// Arbitrary valid option lists: eol only last, at most 40 bytes.
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const KNOWN = new Set([0, 1, 2, 3, 4, 5, 8]);
const optionArb: fc.Arbitrary<TcpOption> = fc.oneof(
  fc.constant<TcpOption>({ kind: 'nop' }),
  fc.integer({ min: 0, max: 0xffff }).map((mss): TcpOption => ({ kind: 'mss', mss })),
  fc.integer({ min: 0, max: 255 }).map((shift): TcpOption => ({ kind: 'wscale', shift })),
  fc.constant<TcpOption>({ kind: 'sackOK' }),
  fc.tuple(u32, u32).map(([val, ecr]): TcpOption => ({ kind: 'timestamp', val, ecr })),
  fc
    .array(fc.record({ left: u32, right: u32 }), { minLength: 1, maxLength: 4 })
    .map((blocks): TcpOption => ({ kind: 'sack', blocks: blocks.map((b) => ({ ...b })) })),
  fc
    .tuple(fc.integer({ min: 0, max: 255 }).filter((t) => !KNOWN.has(t)), fc.uint8Array({ maxLength: 12 }))
    .map(([type, data]): TcpOption => ({ kind: 'unknown', type, data })),
);
/** Wire length of an option, from RFC 9293 §3.2 and RFC 2018/7323 (not from the code under test). */
function wireLen(o: TcpOption): number {
  switch (o.kind) {
    case 'eol':
    case 'nop':
      return 1;
    case 'mss':
      return 4;
    case 'wscale':
      return 3;
    case 'sackOK':
      return 2;
    case 'timestamp':
      return 10;
    case 'sack':
      return 2 + 8 * o.blocks.length;
    case 'unknown':
      return 2 + o.data.length;
  }
}
const optionsArb = fc
  .tuple(fc.array(optionArb, { maxLength: 10 }), fc.boolean())
  .map(([list, eol]) => (eol ? [...list, { kind: 'eol' } as TcpOption] : list))
  .filter((list) => list.reduce((n, o) => n + wireLen(o), 0) <= 40);
const segmentArb: fc.Arbitrary<Segment> = fc.record({
  srcPort: fc.integer({ min: 0, max: 0xffff }),
  dstPort: fc.integer({ min: 0, max: 0xffff }),
  seq: u32,
  ack: u32,
  flags: fc.integer({ min: 0, max: 0x1ff }),
  window: fc.integer({ min: 0, max: 0xffff }),
  urgent: fc.integer({ min: 0, max: 0xffff }),
  options: optionsArb,
  payload: fc.uint8Array({ maxLength: 100 }),
});

test('property: emit then parse is the identity (plus the EOL that padding reads as)', () => {
  fc.assert(
    fc.property(segmentArb, fc.boolean(), (seg, v6) => {
      const [src, dst] = v6 ? [SRC6, DST6] : [SRC4, DST4];
      const out = new Uint8Array(160);
      const n = emitTcp(seg, src, dst, out);
      const raw = seg.options.reduce((k, o) => k + wireLen(o), 0);
      const padded = Math.ceil(raw / 4) * 4;
      assert.equal(n, 20 + padded + seg.payload.length);
      assert.equal(tcpOptionsLength(seg.options), padded);
      const wire = out.subarray(0, n);
      assert.equal(refChecksum(v6 ? pseudoV6(src, dst, 6, n) : pseudoV4(src, dst, 6, n), wire), 0);
      const s = value(parseTcp(wire, { src, dst }));
      const last = seg.options[seg.options.length - 1];
      const expectedOptions = raw % 4 !== 0 && last?.kind !== 'eol' ? [...seg.options, { kind: 'eol' }] : seg.options;
      assert.deepEqual(
        { ...s, options: s.options, dataOffset: undefined, headerLength: undefined, reserved: undefined, checksum: undefined },
        // The ECN codepoint lives in the IP header: the TCP parser reports none.
        { ...seg, ecn: 0, options: expectedOptions, dataOffset: undefined, headerLength: undefined, reserved: undefined, checksum: undefined },
      );
      assert.equal(s.headerLength, 20 + padded);
    }),
    { numRuns: 1000 },
  );
});

test('property: writeTcp (the stack\'s unchecked writer) writes the very bytes emitTcp does, into a dirty buffer too', () => {
  fc.assert(
    fc.property(segmentArb, fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 40 }), (seg, v6, partial, offset) => {
      const [src, dst] = v6 ? [SRC6, DST6] : [SRC4, DST4];
      const hl = ownTcpHeaderLength(seg.options);
      assert.equal(hl, tcpHeaderLength(seg.options));
      const want = new Uint8Array(offset + 160);
      const n = emitTcp(seg, src, dst, want, offset, partial);
      // The writer must set every byte it covers: a recycled packet holds old ones.
      const got = new Uint8Array(offset + 160).fill(0xa5);
      assert.equal(writeTcp(seg, src, dst, got, offset, partial, hl), n);
      assert.deepEqual(got.subarray(offset, offset + n), want.subarray(offset, offset + n));
    }),
    { numRuns: 1000 },
  );
});

test('property: one header view parsed into again and again reads each segment as a fresh parse does', () => {
  // The receive path reuses one view and one timestamp option object; each
  // segment must read exactly as parseTcp reads it, whatever came before,
  // and a segment with two timestamp options must not get one object twice.
  const view = emptyTcpHeaderView();
  const slot = { kind: 'timestamp' as const, val: 0, ecr: 0 };
  const wireArb = fc.oneof(
    segmentArb.map((seg) => {
      const out = new Uint8Array(160);
      return out.slice(0, emitTcp(seg, SRC4, DST4, out));
    }),
    fc.uint8Array({ maxLength: 80 }),
  );
  fc.assert(
    fc.property(fc.array(wireArb, { minLength: 1, maxLength: 8 }), (wires) => {
      for (const wire of wires) {
        const fresh = parseTcp(wire);
        const error = parseTcpInto(wire, view, slot);
        if (!fresh.ok) {
          assert.deepEqual(error, fresh.error);
          continue;
        }
        assert.equal(error, undefined);
        assert.deepEqual({ ...view, options: [...view.options] }, { ...fresh.value, options: fresh.value.options });
        const stamps = view.options.filter((o) => o.kind === 'timestamp');
        assert.equal(new Set(stamps).size, stamps.length);
        // The same segment inside a larger packet, read in place by offsets.
        const packet = new Uint8Array(7 + wire.length + 5).fill(0xee);
        packet.set(wire, 7);
        assert.equal(parseTcpInto(packet, view, slot, 7, 7 + wire.length), undefined);
        assert.deepEqual({ ...view, options: [...view.options] }, { ...fresh.value, options: fresh.value.options });
      }
    }),
    { numRuns: 1000 },
  );
  // Two timestamp options, hand-made: the slot serves the first only.
  const two = new Uint8Array(20 + 20);
  two[12] = 10 << 4;
  two.set([8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 8, 10, 0, 0, 0, 3, 0, 0, 0, 4], 20);
  assert.equal(parseTcpInto(two, view, slot), undefined);
  assert.deepEqual(view.options, [
    { kind: 'timestamp', val: 1, ecr: 2 },
    { kind: 'timestamp', val: 3, ecr: 4 },
  ]);
  assert.equal(view.options[0], slot);
  assert.notEqual(view.options[1], slot);
});

test('property: parseTcp never throws on arbitrary bytes', () => {
  const tcpish = fc.uint8Array({ minLength: 20, maxLength: 80 }).map((b) => {
    b[12] = (5 + (b[12]! % 11)) << 4 | (b[12]! & 0x0f); // a plausible data offset
    return b;
  });
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 80 }), tcpish), fc.boolean(), (b, check) => {
      const r = parseTcp(b, check ? { src: SRC4, dst: DST4 } : undefined);
      if (r.ok) {
        assert.equal(r.value.headerLength + r.value.payload.length, b.length);
      } else {
        assert.equal(r.error.layer, 'tcp');
      }
    }),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
      const r = parseTcpOptions(b);
      if (!r.ok) assert.equal(r.error.layer, 'tcp');
    }),
    { numRuns: 3000 },
  );
});

test('partial checksum (offload): the field holds the folded pseudo-header sum, and fillTransportChecksum completes it to the real one', () => {
  // The hand-checked SYN again: with a partial checksum only the field differs.
  const seg = SYN_FIELDS;
  const out = new Uint8Array(40);
  emitTcp(seg, SRC4, DST4, out, 0, true);
  // The pseudo-header alone, summed by the reference (RFC 1071) loop, not complemented.
  const pseudo = refSum(pseudoV4(SRC4, DST4, 6, 40));
  assert.equal(hex16(out, 16), pseudo);
  assert.deepEqual(out.subarray(0, 16), SYN_SEG.subarray(0, 16));
  assert.deepEqual(out.subarray(18), SYN_SEG.subarray(18));
  // In an IPv4 packet, completed in place: the hand-computed 0x04b4.
  const packet = concat(ipv4Header(SRC4, DST4, 6, 20 + 40), out);
  assert.equal(fillTransportChecksum(packet), true);
  assert.equal(hex16(packet, 20 + 16), 0x04b4);
  // From any starting value of the field, and for IPv6 and UDP as well.
  const v6 = concat(ipv6Header(SRC6, DST6, 6, 40), with16(SYN_SEG, 16, 0x1234));
  assert.equal(fillTransportChecksum(v6), true);
  assert.equal(hex16(v6, 40 + 16), refChecksum(pseudoV6(SRC6, DST6, 6, 40), with16(SYN_SEG, 16, 0)));
  const udp = concat(ipv4Header(SRC4, DST4, 17, 20 + 12), hex('1234 0035 000c ffff 6869 6a6b'));
  assert.equal(fillTransportChecksum(udp), true);
  assert.equal(hex16(udp, 26), refChecksum(pseudoV4(SRC4, DST4, 17, 12), hex('1234 0035 000c 0000 6869 6a6b')) || 0xffff);
  // Not TCP or UDP, or cut short: left alone.
  const icmp = concat(ipv4Header(SRC4, DST4, 1, 28), hex('0800 f7ff 0000 0000'));
  assert.equal(fillTransportChecksum(icmp), false);
  assert.equal(fillTransportChecksum(packet.subarray(0, 30)), false);
});

function hex16(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

/** A 20-byte IPv4 header (checksum left zero: fillTransportChecksum does not read it). */
function ipv4Header(src: Uint8Array, dst: Uint8Array, protocol: number, totalLength: number): Uint8Array {
  return concat(bytes(0x45, 0, totalLength >> 8, totalLength & 0xff, 0, 0, 0x40, 0, 64, protocol, 0, 0), src, dst);
}

function ipv6Header(src: Uint8Array, dst: Uint8Array, nextHeader: number, payloadLength: number): Uint8Array {
  return concat(bytes(0x60, 0, 0, 0, payloadLength >> 8, payloadLength & 0xff, nextHeader, 64), src, dst);
}
