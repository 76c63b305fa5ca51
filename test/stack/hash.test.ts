import { test } from 'node:test';
import assert from 'node:assert/strict';
import { halfSipHash, hashKeyFromBytes, HashInput } from '../../src/stack/hash.js';

// The published HalfSipHash-2-4 32-bit test vectors: key 00 01 .. 07,
// message 00 01 .. (n-1) for n = 0, 1, 2...; outputs read little-endian.
const VECTORS = [
  0x5b9f35a9, 0xb85a4727, 0x03a662fa, 0x04e7fe8a, 0x89466e2a, 0x69b6fac5, 0x23fc6358, 0xc563cf8b, 0x8f84b8d0, 0x79e706f8, 0x3479b094,
  0x50300808,
];

test('HalfSipHash-2-4 matches the reference vectors for messages of 0 to 11 bytes', () => {
  const key = hashKeyFromBytes(Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7]));
  const msg = Uint8Array.from({ length: 64 }, (_, i) => i);
  for (let n = 0; n < VECTORS.length; n++) {
    assert.equal(halfSipHash(key, msg, 0, n).toString(16), VECTORS[n]!.toString(16), `message of ${n} bytes`);
  }
});

test('a sub-range hashes like the same bytes on their own', () => {
  const key = hashKeyFromBytes(Uint8Array.from([9, 8, 7, 6, 5, 4, 3, 2]));
  const buf = Uint8Array.from([0xaa, 0xbb, 1, 2, 3, 4, 5, 0xcc]);
  assert.equal(halfSipHash(key, buf, 2, 7), halfSipHash(key, Uint8Array.from([1, 2, 3, 4, 5])));
});

test('HashInput writes fields big-endian and hashes them', () => {
  const key = hashKeyFromBytes(new Uint8Array(8));
  const viaInput = new HashInput().bytes(Uint8Array.of(10, 0, 0, 1)).u16(0x1234).u32(0xdeadbeef).hash(key);
  const direct = halfSipHash(key, Uint8Array.of(10, 0, 0, 1, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef));
  assert.equal(viaInput, direct);
  // reset() starts over.
  const h = new HashInput();
  h.u16(1);
  assert.equal(h.reset().u16(2).hash(key), halfSipHash(key, Uint8Array.of(0, 2)));
});

test('a key must be 8 bytes', () => {
  assert.throws(() => hashKeyFromBytes(new Uint8Array(7)), RangeError);
});
