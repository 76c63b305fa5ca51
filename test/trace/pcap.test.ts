import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readPcap, writePcap, PcapWriter } from '../../src/trace/pcap.js';
import { readCapture } from '../../src/trace/read-capture.js';
import { Bytes, concat, pattern, pcapHeader, pcapRecord } from './pcap-fixtures.js';

const USEC = 0xa1b2c3d4;
const NSEC = 0xa1b23c4d;

test('reads all four magics: µs/ns, little- and big-endian', () => {
  for (const le of [true, false]) {
    for (const nano of [false, true]) {
      const file = concat(
        pcapHeader({ le, magic: nano ? NSEC : USEC, snaplen: 65535, linktype: 101 }),
        pcapRecord(le, 1700000000, 123456, pattern(20, 0x45), 60),
        pcapRecord(le, 1700000001, 999999, pattern(3, 7)),
      );
      const name = `${le ? 'LE' : 'BE'} ${nano ? 'ns' : 'µs'}`;
      const f = readCapture(file);
      assert.equal(f.error, undefined, name);
      assert.equal(f.format, 'pcap', name);
      assert.equal(f.linktype, 101, name);
      assert.equal(f.snaplen, 65535, name);
      assert.equal(f.nanoPrecision, nano, name);
      assert.equal(f.records.length, 2, name);
      const [a, b] = f.records;
      assert.equal(a!.tsSec, 1700000000);
      assert.equal(a!.tsNsec, nano ? 123456 : 123456000, name);
      assert.equal(a!.len, 60);
      assert.deepEqual([...a!.data], [...pattern(20, 0x45)]);
      assert.equal(a!.linktype, 101);
      assert.equal(a!.interfaceId, 0);
      assert.equal(a!.nanoPrecision, nano);
      assert.equal(b!.tsSec, 1700000001);
      assert.equal(b!.tsNsec, nano ? 999999 : 999999000, name);
      assert.equal(b!.len, 3);
      assert.deepEqual([...b!.data], [7, 8, 9]);
    }
  }
});

test('the byte order is taken from the magic, not guessed from the fields', () => {
  // A big-endian file whose ts_sec would be small if read little-endian.
  const file = concat(pcapHeader({ le: false, magic: USEC, linktype: 1 }), pcapRecord(false, 0x01000000, 1, pattern(4)));
  const f = readPcap(file);
  assert.equal(f.records[0]!.tsSec, 16777216);
  assert.equal(f.records[0]!.tsNsec, 1000);
});

test('linktype keeps only the low 26 bits (FCS information above)', () => {
  // bit 26 set = FCS length present, bits 28-31 = 2 (4-byte FCS).
  const f = readPcap(pcapHeader({ le: true, magic: USEC, linktype: 0x24000001 }));
  assert.equal(f.linktype, 1);
  assert.equal(f.error, undefined);
  assert.equal(f.records.length, 0);
});

test('ts_sec is signed, ts_usec is not validated', () => {
  const f = readPcap(concat(pcapHeader({ le: true, magic: USEC, linktype: 1 }), pcapRecord(true, 0xffffffff, 1500000, pattern(1))));
  assert.equal(f.records[0]!.tsSec, -1);
  assert.equal(f.records[0]!.tsNsec, 1500000000);
});

test('snaplen 0 or above 262144 is reported as 262144', () => {
  assert.equal(readPcap(pcapHeader({ le: true, magic: USEC, snaplen: 0, linktype: 1 })).snaplen, 262144);
  assert.equal(readPcap(pcapHeader({ le: true, magic: USEC, snaplen: 0x7fffffff, linktype: 1 })).snaplen, 262144);
  assert.equal(readPcap(pcapHeader({ le: false, magic: USEC, snaplen: 96, linktype: 1 })).snaplen, 96);
});

test('incl_len above snaplen: only snaplen bytes are kept and the rest skipped', () => {
  const file = concat(
    pcapHeader({ le: true, magic: USEC, snaplen: 10, linktype: 1 }),
    pcapRecord(true, 1, 0, pattern(25), 1514),
    pcapRecord(true, 2, 0, pattern(4, 100)),
  );
  const f = readPcap(file);
  assert.equal(f.error, undefined);
  assert.equal(f.records.length, 2);
  assert.deepEqual([...f.records[0]!.data], [...pattern(10)]);
  assert.equal(f.records[0]!.len, 1514);
  assert.deepEqual([...f.records[1]!.data], [100, 101, 102, 103]);
  // At the edge: exactly snaplen is kept whole, one more is cut.
  const edge = readPcap(
    concat(pcapHeader({ le: false, magic: NSEC, snaplen: 10, linktype: 1 }), pcapRecord(false, 1, 0, pattern(10)), pcapRecord(false, 2, 0, pattern(11))),
  );
  assert.deepEqual(
    edge.records.map((r) => [r.len, r.data.length]),
    [
      [10, 10],
      [11, 10],
    ],
  );
});

test('incl_len above 262144 is an error naming the record', () => {
  const rec0 = pcapRecord(true, 1, 0, pattern(8));
  const bad = new Bytes(true).u32(2).u32(0).u32(262145).u32(262145).raw(pattern(40)).build();
  const f = readPcap(concat(pcapHeader({ le: true, magic: USEC, linktype: 1 }), rec0, bad));
  assert.equal(f.records.length, 1);
  assert.deepEqual(f.error, {
    record: 1,
    offset: 24 + 16 + 8,
    message: 'invalid packet capture length 262145, bigger than maximum of 262144',
  });
  // Exactly the maximum is fine when the bytes are there.
  const max = readPcap(concat(pcapHeader({ le: true, magic: USEC, linktype: 1 }), pcapRecord(true, 1, 0, new Uint8Array(262144))));
  assert.equal(max.error, undefined);
  assert.equal(max.records[0]!.data.length, 262144);
});

test('versions: 2.4 as is, 2.3 swaps caplen/len only when caplen > len, older ones always swap', () => {
  const hdr = (minor: number) => pcapHeader({ le: true, magic: USEC, minor, linktype: 1 });
  // Stored fields: incl_len 100, orig_len 4 (caplen > len): swapped in 2.3 and 2.2.
  const swappedRec = new Bytes(true).u32(1).u32(0).u32(100).u32(4).raw([1, 2, 3, 4]).build();
  for (const minor of [3, 2, 0]) {
    const f = readPcap(concat(hdr(minor), swappedRec));
    assert.equal(f.error, undefined, `2.${minor}`);
    assert.equal(f.records[0]!.len, 100, `2.${minor}`);
    assert.deepEqual([...f.records[0]!.data], [1, 2, 3, 4]);
  }
  // Stored fields incl_len 4, orig_len 100: left alone in 2.3, swapped in 2.2.
  const plainRec = new Bytes(true).u32(1).u32(0).u32(4).u32(100).raw([1, 2, 3, 4]).build();
  const v23 = readPcap(concat(hdr(3), plainRec));
  assert.equal(v23.records[0]!.len, 100);
  assert.equal(v23.records[0]!.data.length, 4);
  const v22 = readPcap(concat(hdr(2), plainRec));
  // caplen becomes 100: only 4 bytes follow.
  assert.equal(v22.records.length, 0);
  assert.equal(v22.error?.message, 'truncated dump file; tried to read 100 captured bytes, only got 4');
  // 2.4 never swaps: caplen 100 with 4 bytes present is truncated.
  const v24 = readPcap(concat(hdr(4), swappedRec));
  assert.equal(v24.error?.message, 'truncated dump file; tried to read 100 captured bytes, only got 4');
});

test('unsupported and archaic versions', () => {
  const v = (major: number, minor: number) => readPcap(pcapHeader({ le: false, magic: USEC, major, minor, linktype: 1 }));
  assert.deepEqual(v(2, 5).error, { record: 0, offset: 0, message: 'unsupported pcap savefile version 2.5' });
  assert.deepEqual(v(3, 0).error, { record: 0, offset: 0, message: 'unsupported pcap savefile version 3.0' });
  assert.deepEqual(v(1, 0).error, { record: 0, offset: 0, message: 'archaic pcap savefile format' });
});

test('the Kuznetzov magic has 24-byte record headers', () => {
  const rec = new Bytes(true).u32(5).u32(6).u32(3).u32(3).u32(2).u16(0x0800).u8(0, 0).raw([9, 8, 7]).build();
  const f = readPcap(concat(pcapHeader({ le: true, magic: 0xa1b2cd34, linktype: 1 }), rec));
  assert.equal(f.error, undefined);
  assert.equal(f.records.length, 1);
  assert.equal(f.records[0]!.tsSec, 5);
  assert.equal(f.records[0]!.tsNsec, 6000);
  assert.deepEqual([...f.records[0]!.data], [9, 8, 7]);
  const cut = readPcap(concat(pcapHeader({ le: true, magic: 0xa1b2cd34, linktype: 1 }), rec.subarray(0, 20)));
  assert.equal(cut.error?.message, 'truncated dump file; tried to read 24 header bytes, only got 20');
});

test('a file that is not a capture gives no records and an error at 0', () => {
  const text = new TextEncoder().encode('GET / HTTP/1.1\r\nHost: example\r\n\r\n');
  const f = readCapture(text);
  assert.deepEqual(f.records, []);
  assert.deepEqual(f.error, { record: 0, offset: 0, message: 'unknown file format' });
  const empty = readCapture(new Uint8Array(0));
  assert.deepEqual(empty.records, []);
  assert.deepEqual(empty.error, { record: 0, offset: 0, message: 'truncated dump file; tried to read 4 file header bytes, only got 0' });
});

test('truncated at every byte offset: the good records, then the error', () => {
  for (const le of [true, false]) {
    const sizes = [40, 1, 0, 17];
    const recs = sizes.map((n, i) => pcapRecord(le, 1000 + i, i, pattern(n, i)));
    const file = concat(pcapHeader({ le, magic: NSEC, linktype: 1 }), ...recs);
    // Record k starts at starts[k]; the file ends at starts[sizes.length].
    const starts = [24];
    for (const n of sizes) starts.push(starts[starts.length - 1]! + 16 + n);
    assert.equal(file.length, starts[sizes.length]);

    for (let cut = 0; cut <= file.length; cut++) {
      const f = readPcap(file.subarray(0, cut));
      const at = `${le ? 'LE' : 'BE'} cut ${cut}`;
      if (cut < 4) {
        assert.equal(f.error?.message, `truncated dump file; tried to read 4 file header bytes, only got ${cut}`, at);
        continue;
      }
      if (cut < 24) {
        assert.equal(f.error?.message, `truncated dump file; tried to read 20 file header bytes, only got ${cut - 4}`, at);
        assert.equal(f.records.length, 0, at);
        continue;
      }
      let whole = 0;
      while (whole < sizes.length && starts[whole + 1]! <= cut) whole++;
      assert.equal(f.records.length, whole, at);
      for (let i = 0; i < whole; i++) {
        assert.equal(f.records[i]!.tsSec, 1000 + i, at);
        assert.deepEqual([...f.records[i]!.data], [...pattern(sizes[i]!, i)], at);
      }
      if (cut === starts[whole]) {
        assert.equal(f.error, undefined, at);
        continue;
      }
      const into = cut - starts[whole]!;
      const message =
        into < 16
          ? `truncated dump file; tried to read 16 header bytes, only got ${into}`
          : `truncated dump file; tried to read ${sizes[whole]} captured bytes, only got ${into - 16}`;
      assert.deepEqual(f.error, { record: whole, offset: starts[whole], message }, at);
    }
  }
});

test('truncated inside the skipped part of an over-snaplen record', () => {
  const file = concat(pcapHeader({ le: true, magic: USEC, snaplen: 10, linktype: 1 }), pcapRecord(true, 1, 0, pattern(30)));
  // 5 of the 10 kept bytes present: libpcap asks for snaplen bytes.
  assert.equal(readPcap(file.subarray(0, 24 + 16 + 5)).error?.message, 'truncated dump file; tried to read 10 captured bytes, only got 5');
  // 20 of 30 present: the kept part is whole, the discarded part is short.
  assert.equal(readPcap(file.subarray(0, 24 + 16 + 20)).error?.message, 'truncated dump file; tried to read 30 captured bytes, only got 20');
});

test('writePcap writes a little-endian 2.4 header with thiszone and sigfigs 0', () => {
  const out = writePcap([], { linktype: 1 });
  assert.deepEqual([...out], [0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x04, 0x00, 1, 0, 0, 0]);
  const nano = writePcap([], { linktype: 276, snaplen: 65535, nano: true });
  assert.deepEqual([...nano], [0x4d, 0x3c, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0x00, 0x00, 0x14, 0x01, 0, 0]);
});

test('writePcap records: µs files keep floor(tsNsec/1000), snaplen cuts data, len defaults to data length', () => {
  const out = writePcap(
    [
      { tsSec: 1700000000, tsNsec: 123456789, data: Uint8Array.from([0x45, 0, 0, 20]) },
      { tsSec: 5, tsNsec: 999, data: pattern(6), len: 1500 },
    ],
    { linktype: 101, snaplen: 5 },
  );
  const expected = concat(
    pcapHeader({ le: true, magic: USEC, snaplen: 5, linktype: 101 }),
    pcapRecord(true, 1700000000, 123456, Uint8Array.from([0x45, 0, 0, 20])),
    pcapRecord(true, 5, 0, pattern(5), 1500),
  );
  assert.deepEqual([...out], [...expected]);
});

test('writePcap → readPcap round trip, µs and ns', () => {
  const recs = [
    { tsSec: 0, tsNsec: 0, data: new Uint8Array(0), len: 0 },
    { tsSec: 1700000000, tsNsec: 999999999, data: pattern(100), len: 100 },
    { tsSec: -5, tsNsec: 1000, data: pattern(3, 250), len: 9000 },
  ];
  for (const nano of [false, true]) {
    const f = readPcap(writePcap(recs, { linktype: 113, nano }));
    assert.equal(f.error, undefined);
    assert.equal(f.linktype, 113);
    assert.equal(f.nanoPrecision, nano);
    assert.equal(f.records.length, recs.length);
    f.records.forEach((r, i) => {
      const w = recs[i]!;
      assert.equal(r.tsSec, w.tsSec);
      assert.equal(r.tsNsec, nano ? w.tsNsec : Math.floor(w.tsNsec / 1000) * 1000);
      assert.equal(r.len, w.len);
      assert.deepEqual([...r.data], [...w.data]);
    });
  }
});

test('PcapWriter streams the same bytes as writePcap', () => {
  const recs = [
    { tsSec: 10, tsNsec: 20_000, data: pattern(7) },
    { tsSec: 11, tsNsec: 0, data: pattern(2), len: 80 },
  ];
  const w = new PcapWriter({ linktype: 228, nano: true });
  const streamed = concat(w.header(), ...recs.map((r) => w.record(r.tsSec, r.tsNsec, r.data, r.len)));
  assert.deepEqual([...streamed], [...writePcap(recs, { linktype: 228, nano: true })]);
});

test('PcapWriter copies the data (a later change to the caller buffer does not leak in)', () => {
  const w = new PcapWriter({ linktype: 101 });
  const buf = pattern(4);
  const rec = w.record(1, 0, buf);
  buf.fill(0xee);
  assert.deepEqual([...rec.subarray(16)], [0, 1, 2, 3]);
});

test('PcapWriter refuses values the format cannot hold', () => {
  assert.throws(() => new PcapWriter({ linktype: -1 }), RangeError);
  assert.throws(() => new PcapWriter({ linktype: 1, snaplen: 0 }), RangeError);
  const w = new PcapWriter({ linktype: 1 });
  assert.throws(() => w.record(2 ** 32, 0, new Uint8Array(1)), RangeError);
  assert.throws(() => w.record(1.5, 0, new Uint8Array(1)), RangeError);
  assert.throws(() => w.record(1, -1, new Uint8Array(1)), RangeError);
});
