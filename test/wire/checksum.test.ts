// The shared checksum helpers against the test's own reference sum.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SIMD_FROM, fold, incrementalUpdate, internetChecksum, onesComplementSum, pieceSums, pseudoHeaderSum, sum20, wordSum } from '../../src/wire/checksum.js';
import { simdSum } from '../../src/wire/checksum-simd.js';
import { bytes, hex, pseudoV4, pseudoV6, refChecksum, refSum } from './ref.js';

test('RFC 1071 §3 example: the sum of 0001 f203 f4f5 f6f7 is 0xddf2', () => {
  const b = hex('0001 f203 f4f5 f6f7');
  assert.equal(onesComplementSum(b), 0xddf2);
  assert.equal(internetChecksum(b), 0x220d);
});

test('an odd trailing byte is padded with zero', () => {
  assert.equal(onesComplementSum(bytes(0x12, 0x34, 0x56)), 0x1234 + 0x5600);
});

test('property: sums over any range agree with the reference', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 0xffff }), (b, x, y, initial) => {
      const start = b.length === 0 ? 0 : x % (b.length + 1);
      const end = start + (b.length - start === 0 ? 0 : y % (b.length - start + 1));
      const expected = refSum(bytes(initial >> 8, initial & 0xff), b.subarray(start, end));
      // 0 and 0xffff are the same one's-complement value; the reference can only produce 0 for all-zero input.
      const got = onesComplementSum(b, start, end, initial);
      assert.equal(got % 0xffff, expected % 0xffff);
    }),
    { numRuns: 2000 },
  );
});

test('the SIMD kernel instantiates on this Node (WebAssembly with SIMD)', () => {
  assert.equal(typeof simdSum, 'function');
  // 0xffff words sum to 0xffff in one's complement; 4096 of them fill every lane of a chunk.
  assert.equal(simdSum!(new Uint8Array(65536).fill(0xff), 0, 65536), 0xffff);
});

test('property: each path alone (32-bit word loop, SIMD kernel) agrees with the reference', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 140000 }), fc.nat(3), fc.nat(), (raw, shift, x) => {
      const big = new Uint8Array(raw.length + 8);
      big.set(raw, 2 * shift); // even offsets: the word loop's precondition
      const b = big.subarray(2 * shift, 2 * shift + raw.length);
      const start = 2 * (x % 4);
      const expected = refSum(b.subarray(start)) % 0xffff;
      assert.equal(wordSum(b, start, b.length, 0) % 0xffff, expected);
      const n = (b.length - start) & ~15;
      const le = simdSum!(b, start, n);
      assert.equal((((le & 0xff) << 8) | (le >>> 8)) % 0xffff, refSum(b.subarray(start, start + n)) % 0xffff);
    }),
    { numRuns: 200 },
  );
});

test('property: ranges around SIMD_FROM at odd and even offsets agree with the reference', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: SIMD_FROM - 40, maxLength: SIMD_FROM + 40 }), fc.nat(31), fc.integer({ min: 0, max: 0xffff }), (b, start, initial) => {
      const expected = refSum(bytes(initial >> 8, initial & 0xff), b.subarray(start));
      assert.equal(onesComplementSum(b, start, b.length, initial) % 0xffff, expected % 0xffff);
    }),
    { numRuns: 1000 },
  );
});

test('property: long ranges at any alignment, in views into larger buffers, agree with the reference (the 32-bit and SIMD paths)', () => {
  const other = new Uint8Array(4096).fill(0xa5);
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 128, maxLength: 70000 }), fc.nat(7), fc.nat(), fc.nat(), (raw, shift, x, y) => {
      const big = new Uint8Array(raw.length + 8);
      big.set(raw, shift);
      const b = big.subarray(shift, shift + raw.length);
      const start = x % 8;
      const end = b.length - (y % 8);
      const expected = refSum(b.subarray(start, end));
      assert.equal(onesComplementSum(b, start, end) % 0xffff, expected % 0xffff);
      // Another buffer in between must not be read through a stale view.
      assert.equal(onesComplementSum(other, 4, 4000) % 0xffff, refSum(other.subarray(4, 4000)) % 0xffff);
      assert.equal(onesComplementSum(b, start, end) % 0xffff, expected % 0xffff);
    }),
    { numRuns: 300 },
  );
});

test('property: pseudo-header sums match explicit IPv4 and IPv6 pseudo-headers', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 4, maxLength: 4 }),
      fc.uint8Array({ minLength: 4, maxLength: 4 }),
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 0xffff }),
      (s, d, proto, len) => {
        assert.equal(pseudoHeaderSum(s, d, proto, len) % 0xffff, refSum(pseudoV4(s, d, proto, len)) % 0xffff);
      },
    ),
  );
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 0xffffffff }),
      (s, d, nh, len) => {
        assert.equal(pseudoHeaderSum(s, d, nh, len) % 0xffff, refSum(pseudoV6(s, d, nh, len)) % 0xffff);
      },
    ),
  );
});

test('property: the incremental update equals recomputing (RFC 1624)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 2, maxLength: 60 }), fc.nat(), fc.integer({ min: 0, max: 0xffff }), (b0, at, word) => {
      const b = b0.length % 2 === 0 ? b0 : b0.subarray(0, b0.length - 1);
      const i = 2 * (at % (b.length / 2));
      const before = refChecksum(b);
      const old = (b[i]! << 8) | b[i + 1]!;
      const after = b.slice();
      after[i] = word >> 8;
      after[i + 1] = word & 0xff;
      // Compared as one's-complement values: 0x0000 and 0xffff both stand for zero.
      assert.equal(incrementalUpdate(before, old, word) % 0xffff, refChecksum(after) % 0xffff);
    }),
    { numRuns: 2000 },
  );
  assert.equal(fold(0x1ffff), 1);
});

test('property: pieceSums gives each piece the sum the reference gives it alone', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 0, maxLength: 140_000, size: 'max' }),
      fc.nat(),
      fc.nat(),
      fc.oneof(fc.constantFrom(1, 2, 15, 16, 17, SIMD_FROM - 1, SIMD_FROM, 1448, 1449, 9000, 1 << 16), fc.integer({ min: 1, max: 70_000 })),
      (data, a, b, size) => {
        const start = data.length === 0 ? 0 : a % (data.length + 1);
        const end = start + (data.length === 0 ? 0 : b % (data.length - start + 1));
        const out: number[] = [];
        pieceSums(data, start, end, size, out);
        const expected: number[] = [];
        for (let p = start; p < end; p += size) expected.push(refSum(data.subarray(p, Math.min(p + size, end))));
        // Folded sums compared as one's-complement values (0 and 0xffff are one).
        assert.deepEqual(out.slice(0, expected.length).map((x) => x % 0xffff), expected.map((x) => x % 0xffff));
      },
    ),
    { numRuns: 100 },
  );
});

test('property: sum20 is the sum of the 20 bytes at its offset', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 20, maxLength: 80 }), fc.nat(), (data, at) => {
      const i = at % (data.length - 19);
      assert.equal(sum20(data, i) % 0xffff, refSum(data.subarray(i, i + 20)) % 0xffff);
    }),
    { numRuns: 1000 },
  );
});
