// Unit checks of the printer's building blocks against tcpdump's documented
// behaviour (FORMAT.md of the shared corpus).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cksumShouldBe, ipv6String } from '../../src/trace/print/context.js';
import { flagsText } from '../../src/trace/print/tcp.js';
import { TimestampFormatter } from '../../src/trace/print/timestamp.js';

function v6(words: number[]): Uint8Array {
  const b = new Uint8Array(16);
  words.forEach((w, i) => {
    b[2 * i] = w >> 8;
    b[2 * i + 1] = w & 0xff;
  });
  return b;
}

test('IPv6 text: longest zero run compressed, first on a tie, embedded IPv4 forms', () => {
  assert.equal(ipv6String(v6([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1]), 0), '2001:db8::1:0:0:1');
  assert.equal(ipv6String(v6([0x2001, 0, 0, 1, 0, 0, 0, 1]), 0), '2001:0:0:1::1');
  assert.equal(ipv6String(v6([0, 0, 1, 0, 0, 0, 0, 0]), 0), '0:0:1::');
  assert.equal(ipv6String(v6([0xfe80, 0, 0, 0, 0, 0, 0, 1]), 0), 'fe80::1');
  assert.equal(ipv6String(v6([0, 0, 0, 0, 0, 0, 0, 1]), 0), '::1');
  assert.equal(ipv6String(v6([0, 0, 0, 0, 0, 0, 0, 0]), 0), '::');
  assert.equal(ipv6String(v6([0, 0, 0, 0, 0, 0xffff, 0x0a00, 0x0001]), 0), '::ffff:10.0.0.1');
  assert.equal(ipv6String(v6([0, 0, 0, 0, 0, 0, 0x0a01, 0x0203]), 0), '::10.1.2.3');
  assert.equal(ipv6String(v6([1, 0, 2, 3, 4, 5, 6, 7]), 0), '1:0:2:3:4:5:6:7');
});

test('flag letters in the fixed order FSRP.UEW, none for zero', () => {
  assert.equal(flagsText(0x02), 'S');
  assert.equal(flagsText(0x12), 'S.');
  assert.equal(flagsText(0x19), 'FP.');
  assert.equal(flagsText(0xff), 'FSRP.UEW');
  assert.equal(flagsText(0xc2), 'SEW');
  assert.equal(flagsText(0), 'none');
});

test('checksum should-be: field plus verification result with end-around carry', () => {
  // A header whose correct checksum is 0x0c53 but carries 0x1e67: the
  // verification sum is ~(0x0c53 - 0x1e67) in ones-complement terms.
  const field = 0x1e67;
  const correct = 0x0c53;
  // Ones-complement: result = ~(~correct + field) folded.
  let s = (~correct & 0xffff) + field;
  s = (s & 0xffff) + (s >>> 16);
  const result = ~s & 0xffff;
  assert.equal(cksumShouldBe(field, result), correct);
});

test('timestamps: default, epoch, date, deltas with borrow and sign, day wrap, nano', () => {
  const def = new TimestampFormatter({ tflag: 0, nano: false, localTime: false });
  assert.equal(def.format(1418145369, 924505488), '17:16:09.924505 ');
  const tt = new TimestampFormatter({ tflag: 2, nano: true, localTime: false });
  assert.equal(tt.format(1418145369, 924505488), '1418145369.924505488 ');
  const date = new TimestampFormatter({ tflag: 4, nano: false, localTime: false });
  assert.equal(date.format(1418145369, 924505000), '2014-12-09 17:16:09.924505 ');
  const prev = new TimestampFormatter({ tflag: 3, nano: false, localTime: false });
  assert.equal(prev.format(100, 900_000_000), ' 00:00:00.000000 ');
  assert.equal(prev.format(101, 100_000_000), ' 00:00:00.200000 ');
  assert.equal(prev.format(101, 0), '-00:00:00.100000 ');
  const first = new TimestampFormatter({ tflag: 5, nano: false, localTime: false });
  first.format(1000, 0);
  assert.equal(first.format(1000 + 86400, 123_000), ' 00:00:00.000123 ');
  assert.equal(first.format(1000 + 25 * 3600, 0), ' 01:00:00.000000 ');
  const none = new TimestampFormatter({ tflag: 1, nano: false, localTime: false });
  assert.equal(none.format(5, 0), '');
  assert.equal(def.format(0x80000000, 0), '[Error converting time] ');
});

test('the printer never throws: random frames and mutated real packets, every flag set', async () => {
  const fc = (await import('fast-check')).default;
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { REPO_ROOT } = await import('../helpers/paths.js');
  const { readCapture } = await import('../../src/trace/read-capture.js');
  const { TcpdumpPrinter } = await import('../../src/trace/print/printer.js');
  const { defaultPrintOptions } = await import('../../src/trace/print/options.js');
  const real = readCapture(readFileSync(join(REPO_ROOT, 'test/fixtures/kernel/hping-flags.pcap'))).records.map((r) => r.data);
  const optionSets = [{}, { verbose: 1 }, { verbose: 2 }, { quiet: true }, { absoluteSeq: true, Xflag: 1 }, { linkHeader: true, xflag: 2 }, { Aflag: 1 }];
  const frame = fc.oneof(
    fc.uint8Array({ maxLength: 120 }),
    fc.tuple(fc.constantFrom(...real), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat()).map(([pkt, edits, cut]) => {
      const b = Uint8Array.from(pkt);
      for (const [i, v] of edits) b[i % b.length] = v;
      return b.subarray(0, 1 + (cut % b.length));
    }),
  );
  fc.assert(
    fc.property(frame, fc.constantFrom(0, 1, 101, 113, 228, 229, 276, 108), fc.constantFrom(...optionSets), (data, linktype, o) => {
      const p = new TcpdumpPrinter(defaultPrintOptions(o));
      const text = p.print({ tsSec: 1, tsNsec: 0, nanoPrecision: false, linktype, len: data.length, data, interfaceId: 0 });
      return text.endsWith('\n');
    }),
    { numRuns: 3000 },
  );
});
