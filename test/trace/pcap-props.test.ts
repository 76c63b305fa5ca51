// Properties of the capture readers: they never throw, whatever the bytes,
// and a damaged file still yields the good records that come before the
// damage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { SHARED } from '../helpers/paths.js';
import { readCapture, type CaptureFile } from '../../src/trace/read-capture.js';
import { readPcap, writePcap } from '../../src/trace/pcap.js';
import { readPcapng } from '../../src/trace/pcapng.js';
import { concat, endOfOptions, epb, idb, option, pattern, pcapHeader, shb, spb, block } from './pcap-fixtures.js';

function sane(f: CaptureFile, input: Uint8Array): void {
  assert.ok(Array.isArray(f.records));
  if (f.error) {
    assert.equal(f.error.record, f.records.length);
    assert.ok(f.error.offset >= 0 && f.error.offset <= input.length);
    assert.ok(f.error.message.length > 0);
  }
  for (const r of f.records) {
    assert.ok(r.data.length <= 262144);
    assert.ok(Number.isFinite(r.tsSec) && Number.isFinite(r.tsNsec));
  }
}

function samePrefix(part: CaptureFile, whole: CaptureFile): void {
  assert.ok(part.records.length <= whole.records.length);
  part.records.forEach((r, i) => {
    const w = whole.records[i]!;
    assert.deepEqual([r.tsSec, r.tsNsec, r.len, r.linktype, r.interfaceId], [w.tsSec, w.tsNsec, w.len, w.linktype, w.interfaceId]);
    assert.deepEqual([...r.data], [...w.data]);
  });
}

const corpusFile = readFileSync(join(SHARED, 'conformance/tcpdump/pcap/synth-mini-sll.pcap'));

const le = true;
const ngFile = concat(
  shb(le),
  idb(le, 1, 0, concat(option(le, 9, [6]), endOfOptions(le))),
  idb(le, 101, 64, concat(option(le, 9, [9]), endOfOptions(le))),
  epb(le, 0, 1700000000_000001n, pattern(60)),
  block(le, 4, pattern(8)),
  epb(le, 1, 1700000000_000000001n, pattern(90, 0x45)),
  spb(le, 20, pattern(20)),
  shb(false),
  idb(false, 113, 0, concat(option(false, 9, [0x94]), endOfOptions(false))),
  epb(false, 0, 12345678n, pattern(33)),
);

test('random bytes never make a reader throw', () => {
  const prefixes = [
    new Uint8Array(0),
    pcapHeader({ le: true, magic: 0xa1b2c3d4, linktype: 1 }).subarray(0, 4),
    pcapHeader({ le: false, magic: 0xa1b23c4d, linktype: 1 }),
    pcapHeader({ le: true, magic: 0xa1b2cd34, linktype: 1, minor: 3 }),
    shb(true),
    shb(false).subarray(0, 12),
    concat(shb(true), idb(true, 1, 0)),
  ];
  fc.assert(
    fc.property(fc.constantFrom(...prefixes), fc.uint8Array({ maxLength: 300 }), (prefix, tail) => {
      const bytes = concat(prefix, tail);
      sane(readCapture(bytes), bytes);
      sane(readPcap(bytes), bytes);
      sane(readPcapng(bytes), bytes);
    }),
    { numRuns: 3000 },
  );
});

test('random truncations of valid files: a prefix of the records, then an error unless cut at a boundary', () => {
  const wholes = [corpusFile, ngFile].map((b) => ({ bytes: b, file: readCapture(b) }));
  for (const w of wholes) assert.equal(w.file.error, undefined);
  fc.assert(
    fc.property(fc.constantFrom(0, 1), fc.double({ min: 0, max: 1, noNaN: true }), (which, frac) => {
      const w = wholes[which]!;
      const cut = Math.floor(frac * w.bytes.length);
      const part = readCapture(w.bytes.subarray(0, cut));
      sane(part, w.bytes.subarray(0, cut));
      samePrefix(part, w.file);
      if (part.error === undefined) {
        assert.equal(part.format, w.file.format);
        if (part.format === 'pcap') {
          // No error: the cut fell exactly after a record (24-byte file header, 16 per record).
          assert.equal(cut, part.records.reduce((n, r) => n + 16 + r.data.length, 24));
        }
      }
    }),
    { numRuns: 2000 },
  );
});

test('random byte changes in valid files never make a reader throw, and records before the change survive', () => {
  const sources = [corpusFile, ngFile];
  const whole = sources.map((b) => readCapture(b));
  fc.assert(
    fc.property(
      fc.constantFrom(0, 1),
      fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 4,
      }),
      (which, edits) => {
        const bytes = Uint8Array.from(sources[which]!);
        for (const [pos, v] of edits) bytes[Math.floor(pos * bytes.length)] = v;
        const f = readCapture(bytes);
        sane(f, bytes);
        // Records that lie wholly before the first changed byte are read as before.
        const first = Math.min(...edits.map(([pos]) => Math.floor(pos * bytes.length)));
        const before = readCapture(sources[which]!.subarray(0, first));
        samePrefix(before, f);
      },
    ),
    { numRuns: 2000 },
  );
});

test('writePcap → readPcap keeps every record (µs precision truncates, snaplen cuts)', () => {
  const rec = fc.record({
    tsSec: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
    tsNsec: fc.integer({ min: 0, max: 999_999_999 }),
    data: fc.uint8Array({ maxLength: 200 }),
    extra: fc.nat({ max: 10000 }),
  });
  fc.assert(
    fc.property(fc.array(rec, { maxLength: 20 }), fc.boolean(), fc.integer({ min: 1, max: 300 }), fc.nat({ max: 300 }), (recs, nano, snaplen, linktype) => {
      const input = recs.map((r) => ({ tsSec: r.tsSec, tsNsec: r.tsNsec, data: r.data, len: r.data.length + r.extra }));
      const f = readPcap(writePcap(input, { linktype, snaplen, nano }));
      assert.equal(f.error, undefined);
      assert.deepEqual([f.linktype, f.snaplen, f.nanoPrecision], [linktype, snaplen, nano]);
      assert.equal(f.records.length, recs.length);
      f.records.forEach((r, i) => {
        const w = input[i]!;
        assert.equal(r.tsSec, w.tsSec);
        assert.equal(r.tsNsec, nano ? w.tsNsec : w.tsNsec - (w.tsNsec % 1000));
        assert.equal(r.len, w.len);
        assert.deepEqual([...r.data], [...w.data.subarray(0, snaplen)]);
      });
    }),
    { numRuns: 500 },
  );
});
