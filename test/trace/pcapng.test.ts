import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readPcapng } from '../../src/trace/pcapng.js';
import { readCapture } from '../../src/trace/read-capture.js';
import type { CaptureRecord } from '../../src/trace/capture.js';
import { Bytes, block, concat, endOfOptions, epb, idb, option, pattern, shb, spb, pcapHeader } from './pcap-fixtures.js';

const ascii = (s: string) => new TextEncoder().encode(s);

// A two-section file. Section 1 (little-endian): an Ethernet interface in
// µs and a raw-IP interface in ns, packets on both, an SPB, and blocks the
// reader must skip. Section 2 (big-endian): one Linux-cooked interface with
// a binary resolution 2^-20 s, an offset, and snaplen 8.
function twoSectionFile(): { parts: Uint8Array[]; recordsAfter: number[] } {
  const le = true;
  const be = false;
  const parts: Uint8Array[] = [
    shb(le, concat(option(le, 4, ascii('synack-test')), endOfOptions(le))),
    idb(le, 1, 0, concat(option(le, 9, [6]), endOfOptions(le))),
    idb(le, 101, 65535, concat(option(le, 2, ascii('eth1')), option(le, 9, [9]), endOfOptions(le))),
    epb(le, 0, 1700000000_123456n, pattern(30), 60),
    // Name Resolution Block: one IPv4 record, then nrb_record_end.
    block(le, 4, new Bytes(le).u16(1).u16(8).raw([10, 0, 0, 1]).raw(ascii('a\0\0\0')).u16(0).u16(0).build()),
    epb(le, 1, 1700000001_987654321n, pattern(21, 0x45)),
    block(le, 0x00000bad, pattern(10)),
    block(le, 0x12345678, pattern(4)),
    spb(le, 5, pattern(5, 0x60)),
    // Interface Statistics Block: interface 0, timestamp, no options.
    block(le, 5, new Bytes(le).u32(0).u32(0).u32(0).build()),
    shb(be),
    idb(be, 113, 8, concat(option(be, 9, [0x94]), option(be, 14, new Bytes(be).u64(1700000000n).build()), endOfOptions(be))),
    epb(be, 0, 5n * 2n ** 20n + 2n ** 19n, pattern(12, 0x70)),
    // Obsolete Packet Block: interface id (2), drops (2), ts, caplen, len, data.
    block(be, 2, new Bytes(be).u16(0).u16(0).u32(0).u32(2 ** 20 + 1).u32(3).u32(3).raw([1, 2, 3]).build()),
  ];
  const recordsAfter = [0, 0, 0, 1, 1, 2, 2, 2, 3, 3, 3, 3, 4, 5];
  return { parts, recordsAfter };
}

type Expected = Omit<CaptureRecord, 'data'> & { data: number[] };

const expectedRecords: Expected[] = [
  { tsSec: 1700000000, tsNsec: 123456000, nanoPrecision: false, linktype: 1, len: 60, data: [...pattern(30)], interfaceId: 0 },
  { tsSec: 1700000001, tsNsec: 987654321, nanoPrecision: true, linktype: 101, len: 21, data: [...pattern(21, 0x45)], interfaceId: 1 },
  { tsSec: 0, tsNsec: 0, nanoPrecision: false, linktype: 1, len: 5, data: [...pattern(5, 0x60)], interfaceId: 0 },
  { tsSec: 1700000005, tsNsec: 500000000, nanoPrecision: true, linktype: 113, len: 12, data: [...pattern(8, 0x70)], interfaceId: 0 },
  // 1 unit of 2^-20 s is 953.67 ns, truncated.
  { tsSec: 1700000001, tsNsec: 953, nanoPrecision: true, linktype: 113, len: 3, data: [1, 2, 3], interfaceId: 0 },
];

function plain(r: CaptureRecord): Expected {
  return { ...r, data: [...r.data] };
}

test('two sections of opposite byte order, two interfaces, SPB, PB and skipped blocks', () => {
  const { parts } = twoSectionFile();
  const f = readCapture(concat(...parts));
  assert.equal(f.error, undefined);
  assert.equal(f.format, 'pcapng');
  assert.equal(f.linktype, 1);
  assert.equal(f.snaplen, 262144);
  assert.equal(f.nanoPrecision, false);
  assert.deepEqual(f.records.map(plain), expectedRecords);
});

test('file-level precision comes from the first interface', () => {
  const le = true;
  const f = readPcapng(concat(shb(le), idb(le, 228, 1500, concat(option(le, 9, [9]), endOfOptions(le))), idb(le, 1, 0)));
  assert.equal(f.linktype, 228);
  assert.equal(f.snaplen, 1500);
  assert.equal(f.nanoPrecision, true);
});

test('truncated at every byte offset: the good records, then the error at the cut block', () => {
  const { parts, recordsAfter } = twoSectionFile();
  const file = concat(...parts);
  const starts = [0];
  for (const p of parts) starts.push(starts[starts.length - 1]! + p.length);
  for (let cut = 0; cut <= file.length; cut++) {
    const f = readPcapng(file.subarray(0, cut));
    let whole = 0;
    while (whole < parts.length && starts[whole + 1]! <= cut) whole++;
    const n = whole === 0 ? 0 : recordsAfter[whole - 1]!;
    assert.deepEqual(f.records.map(plain), expectedRecords.slice(0, n), `cut ${cut}`);
    if (cut === 0) {
      assert.deepEqual(f.error, { record: 0, offset: 0, message: 'not a pcapng file: it is empty' });
    } else if (cut === starts[whole]) {
      assert.equal(f.error, undefined, `cut ${cut}`);
    } else {
      assert.equal(f.error?.record, n, `cut ${cut}`);
      assert.equal(f.error?.offset, starts[whole], `cut ${cut}`);
      assert.match(f.error?.message ?? '', /^truncated pcapng file; tried to read \d+ (block header |section header |block )?bytes, only got \d+$/, `cut ${cut}`);
    }
  }
});

/** SHB + IDB(Ethernet, µs) + one EPB, then `tail`. */
function withTail(tail: Uint8Array, le = true): { file: Uint8Array; tailOffset: number } {
  const head = concat(shb(le), idb(le, 1, 0), epb(le, 0, 1n, pattern(4)));
  return { file: concat(head, tail), tailOffset: head.length };
}

test('bad block lengths are errors at the block, after the good records', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['not a multiple of 4', new Bytes(true).u32(6).u32(13).raw(pattern(5)).build(), /total length 13, not a multiple of 4/],
    ['below 12', new Bytes(true).u32(6).u32(8).u32(8).build(), /total length 8, less than 12/],
    ['trailer differs', new Bytes(true).u32(0x99).u32(16).u32(0).u32(20).build(), /total length 16 at its start but 20 at its end/],
    ['SHB below 28', new Bytes(true).u32(0x0a0d0d0a).u32(24).u32(0x1a2b3c4d).u32(1).u32(0).u32(24).build(), /less than 28/],
  ];
  for (const [name, tail, re] of cases) {
    const { file, tailOffset } = withTail(tail);
    const f = readPcapng(file);
    assert.equal(f.records.length, 1, name);
    assert.equal(f.error?.record, 1, name);
    assert.equal(f.error?.offset, tailOffset, name);
    assert.match(f.error?.message ?? '', re, name);
  }
});

test('packet blocks that do not fit their interface or their block', () => {
  const le = true;
  const cases: [string, Uint8Array, RegExp][] = [
    ['unknown interface', epb(le, 1, 0n, pattern(4)), /refers to interface 1, but the section describes 1/],
    [
      'caplen beyond the block',
      block(le, 6, new Bytes(le).u32(0).u32(0).u32(0).u32(9).u32(9).raw(pattern(8)).build()),
      /captured length 9 is larger than the 8 bytes the block holds/,
    ],
    ['EPB body too short', block(le, 6, new Bytes(le).u32(0).u32(0).u32(0).u32(0).build()), /body is 16 bytes, less than 20/],
    ['SPB body too short', block(le, 3, new Uint8Array(0)), /Simple Packet Block body is 0 bytes, less than 4/],
  ];
  for (const [name, tail, re] of cases) {
    const { file, tailOffset } = withTail(tail);
    const f = readPcapng(file);
    assert.equal(f.records.length, 1, name);
    assert.deepEqual([f.error?.record, f.error?.offset], [1, tailOffset], name);
    assert.match(f.error?.message ?? '', re, name);
  }
});

test('packets before any interface, and interfaces do not survive a new section', () => {
  const le = true;
  const early = readPcapng(concat(shb(le), epb(le, 0, 0n, pattern(1))));
  assert.deepEqual(early.records, []);
  assert.equal(early.linktype, -1);
  assert.match(early.error?.message ?? '', /refers to interface 0, but the section describes 0/);
  const spbEarly = readPcapng(concat(shb(le), spb(le, 1, pattern(1))));
  assert.match(spbEarly.error?.message ?? '', /Simple Packet Block before any Interface Description Block/);

  const first = concat(shb(le), idb(le, 1, 0), epb(le, 0, 0n, pattern(1)));
  const f = readPcapng(concat(first, shb(false), epb(false, 0, 0n, pattern(1))));
  assert.equal(f.records.length, 1);
  assert.deepEqual([f.error?.record, f.error?.offset], [1, first.length + 28]);
});

test('section header errors: byte-order magic, version, first block', () => {
  const badBom = new Bytes(true).u32(0x0a0d0d0a).u32(28).u32(0x11223344).u16(1).u16(0).u64(0n).u32(28).build();
  assert.deepEqual(readPcapng(badBom).error, {
    record: 0,
    offset: 0,
    message: 'Section Header Block has bad byte-order magic 0x44332211',
  });
  assert.deepEqual(readPcapng(shb(false, new Uint8Array(0), 2, 0)).error, {
    record: 0,
    offset: 0,
    message: 'unsupported pcapng section version 2.0',
  });
  const notNg = readPcapng(pcapHeader({ le: true, magic: 0xa1b2c3d4, linktype: 1 }));
  assert.equal(notNg.error?.offset, 0);
  assert.match(notNg.error?.message ?? '', /not a pcapng file: first block type is 0xd4c3b2a1/);
});

test('interface options that are malformed', () => {
  const le = true;
  const cases: [string, Uint8Array, RegExp][] = [
    ['option past the end', idb(le, 1, 0, new Bytes(le).u16(2).u16(40).raw(ascii('eth0')).build()), /option 2 of length 40 runs past/],
    ['tsresol length', idb(le, 1, 0, option(le, 9, [6, 0])), /if_tsresol option has length 2, not 1/],
    ['tsoffset length', idb(le, 1, 0, option(le, 14, [0, 0, 0, 1])), /if_tsoffset option has length 4, not 8/],
  ];
  for (const [name, tail, re] of cases) {
    const f = readPcapng(concat(shb(le), tail, epb(le, 0, 0n, pattern(1))));
    assert.deepEqual([f.records.length, f.error?.record, f.error?.offset], [0, 0, 28], name);
    assert.match(f.error?.message ?? '', re, name);
  }
});

test('timestamp resolutions: decimal and binary, default µs, offsets', () => {
  const le = false;
  const one = (opts: Uint8Array, ts: bigint): CaptureRecord => {
    const f = readPcapng(concat(shb(le), idb(le, 1, 0, opts), epb(le, 0, ts, pattern(1))));
    assert.equal(f.error, undefined);
    return f.records[0]!;
  };
  const resol = (v: number) => concat(option(le, 9, [v]), endOfOptions(le));

  const dflt = one(new Uint8Array(0), 1700000000_000001n);
  assert.deepEqual([dflt.tsSec, dflt.tsNsec, dflt.nanoPrecision], [1700000000, 1000, false]);
  const ms = one(resol(3), 1700000000_123n);
  assert.deepEqual([ms.tsSec, ms.tsNsec, ms.nanoPrecision], [1700000000, 123000000, false]);
  const s = one(resol(0), 1700000000n);
  assert.deepEqual([s.tsSec, s.tsNsec, s.nanoPrecision], [1700000000, 0, false]);
  const tenth = one(resol(7), 1700000000_1234567n);
  assert.deepEqual([tenth.tsSec, tenth.tsNsec, tenth.nanoPrecision], [1700000000, 123456700, true]);
  // 64 bits of picoseconds reach only about 213 days.
  const ps = one(resol(12), 1234_123456789999n);
  assert.deepEqual([ps.tsSec, ps.tsNsec, ps.nanoPrecision], [1234, 123456789, true]);
  // ns timestamps above 2^53 stay exact.
  const ns = one(resol(9), 1700000000_999999999n);
  assert.deepEqual([ns.tsSec, ns.tsNsec], [1700000000, 999999999]);
  // 2^-10 s is coarser than a µs; 2^-20 s is finer.
  const b10 = one(resol(0x8a), 3n * 1024n + 512n);
  assert.deepEqual([b10.tsSec, b10.tsNsec, b10.nanoPrecision], [3, 500000000, false]);
  const b20 = one(resol(0x94), 1n);
  assert.equal(b20.nanoPrecision, true);
  const withOffset = one(concat(option(le, 9, [6]), option(le, 14, new Bytes(le).u64(-100n & 0xffffffffffffffffn).build()), endOfOptions(le)), 1000_000250n);
  assert.deepEqual([withOffset.tsSec, withOffset.tsNsec], [900, 250000]);
});

test('EPB longer than the interface snaplen is cut; SPB length is the smallest of len, snaplen, block', () => {
  const le = true;
  const f = readPcapng(
    concat(shb(le), idb(le, 1, 6), epb(le, 0, 0n, pattern(10), 10), spb(le, 9, pattern(9)), spb(le, 100, pattern(4)), spb(le, 2, pattern(4))),
  );
  assert.equal(f.error, undefined);
  assert.deepEqual(
    f.records.map((r) => [r.len, r.data.length]),
    [
      [10, 6],
      [9, 6],
      [100, 4],
      [2, 2],
    ],
  );
});
