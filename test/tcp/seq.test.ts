import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { seqAdd, seqSub, seqDiff, seqLt, seqLe, seqGt, seqGe, seqMax, seqMin, seqInWindow } from '../../src/tcp/seq.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
/** A distance that is unambiguous modulo 2^32. */
const dist = fc.integer({ min: 1, max: 0x7fffffff });

test('wrap-around at 2^32', () => {
  assert.equal(seqAdd(0xffffffff, 1), 0);
  assert.equal(seqAdd(0xfffffff0, 0x20), 0x10);
  assert.equal(seqAdd(5, -10), 0xfffffffb);
  assert.equal(seqSub(0, 1), 0xffffffff);
  assert.equal(seqSub(0x10, 0xfffffff0), 0x20);
  assert.equal(seqDiff(0x10, 0xfffffff0), 0x20);
  assert.equal(seqDiff(0xfffffff0, 0x10), -0x20);
  assert.equal(seqLt(0xffffffff, 0), true);
  assert.equal(seqGt(0, 0xffffffff), true);
  assert.equal(seqLt(0, 0xffffffff), false);
  assert.equal(seqLe(7, 7), true);
  assert.equal(seqLt(7, 7), false);
  assert.equal(seqGe(7, 7), true);
  assert.equal(seqMax(0xfffffff0, 3), 3);
  assert.equal(seqMin(0xfffffff0, 3), 0xfffffff0);
});

test('windows: empty, wrapping, full', () => {
  assert.equal(seqInWindow(100, 100, 0), false);
  assert.equal(seqInWindow(100, 100, 1), true);
  assert.equal(seqInWindow(101, 100, 1), false);
  assert.equal(seqInWindow(99, 100, 10), false);
  assert.equal(seqInWindow(2, 0xfffffffe, 5), true);
  assert.equal(seqInWindow(3, 0xfffffffe, 5), false);
  assert.equal(seqInWindow(0xfffffffd, 0xfffffffe, 5), false);
});

test('property: add then subtract gives the distance back', () => {
  fc.assert(
    fc.property(u32, fc.integer({ min: 0, max: 0xffffffff }), (a, n) => {
      const b = seqAdd(a, n);
      assert.ok(b >= 0 && b <= 0xffffffff && Number.isInteger(b));
      assert.equal(seqSub(b, a), n);
    }),
  );
});

test('property: a point ahead by less than 2^31 compares greater, and the order is strict', () => {
  fc.assert(
    fc.property(u32, dist, (a, d) => {
      const b = seqAdd(a, d);
      assert.equal(seqLt(a, b), true);
      assert.equal(seqLe(a, b), true);
      assert.equal(seqGt(b, a), true);
      assert.equal(seqGe(b, a), true);
      assert.equal(seqLt(b, a), false);
      assert.equal(seqGt(a, b), false);
      assert.equal(seqLe(b, a), false);
      assert.equal(seqDiff(b, a), d);
      assert.equal(seqMax(a, b), b);
      assert.equal(seqMin(a, b), a);
    }),
  );
});

test('property: comparisons are invariant under a common shift', () => {
  fc.assert(
    fc.property(u32, u32, u32, (a, b, k) => {
      assert.equal(seqLt(seqAdd(a, k), seqAdd(b, k)), seqLt(a, b));
      assert.equal(seqLe(seqAdd(a, k), seqAdd(b, k)), seqLe(a, b));
    }),
  );
});

test('property: transitivity within a half-space', () => {
  fc.assert(
    fc.property(u32, fc.integer({ min: 1, max: 0x3fffffff }), fc.integer({ min: 1, max: 0x3fffffff }), (a, d1, d2) => {
      const b = seqAdd(a, d1);
      const c = seqAdd(b, d2);
      assert.equal(seqLt(a, c), true);
    }),
  );
});

test('property: seqInWindow(start + k, start, len) iff k < len', () => {
  fc.assert(
    fc.property(u32, u32, fc.integer({ min: 0, max: 0x7fffffff }), (start, k, len) => {
      assert.equal(seqInWindow(seqAdd(start, k), start, len), k < len);
    }),
  );
});
