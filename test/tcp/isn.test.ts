import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { IsnGenerator } from '../../src/tcp/isn.js';
import type { FourTuple } from '../../src/tcp/types.js';

const tuple: FourTuple = {
  localAddr: Uint8Array.of(10, 0, 0, 1),
  localPort: 80,
  remoteAddr: Uint8Array.of(10, 0, 0, 2),
  remotePort: 40000,
};
const secret = new TextEncoder().encode('a secret of the stack');

test('F is the first 32 bits of HMAC-SHA-256 over addresses and ports', () => {
  const g = new IsnGenerator(secret);
  const h = createHmac('sha256', secret)
    .update(Uint8Array.of(10, 0, 0, 1, 0, 80, 10, 0, 0, 2, 0x9c, 0x40))
    .digest();
  assert.equal(g.hash(tuple), h.readUInt32BE(0));
  assert.equal(g.isn(tuple, 0), h.readUInt32BE(0));
});

test('M advances by one every 4 µs and wraps at 2^32', () => {
  const g = new IsnGenerator(secret);
  const f = g.hash(tuple);
  assert.equal(g.isn(tuple, 3), f);
  assert.equal(g.isn(tuple, 4), (f + 1) >>> 0);
  assert.equal(g.isn(tuple, 4_000_000), (f + 1_000_000) >>> 0);
  assert.equal(g.isn(tuple, 4 * 2 ** 32), f);
  assert.equal(g.isn(tuple, 4 * (2 ** 32 + 5)), (f + 5) >>> 0);
});

test('different tuples and different secrets give unrelated ISNs', () => {
  const g = new IsnGenerator(secret);
  const other = { ...tuple, remotePort: 40001 };
  assert.notEqual(g.isn(tuple, 1000), g.isn(other, 1000));
  const g2 = new IsnGenerator(new TextEncoder().encode('another secret'));
  assert.notEqual(g.isn(tuple, 1000), g2.isn(tuple, 1000));
  // Swapping the ends is a different connection identifier.
  const swapped: FourTuple = { localAddr: tuple.remoteAddr, localPort: tuple.remotePort, remoteAddr: tuple.localAddr, remotePort: tuple.localPort };
  assert.notEqual(g.isn(tuple, 0), g.isn(swapped, 0));
});

test('the secret is copied', () => {
  const s = Uint8Array.from(secret);
  const g = new IsnGenerator(s);
  const before = g.isn(tuple, 0);
  s[0] = s[0]! ^ 0xff;
  assert.equal(g.isn(tuple, 0), before);
  assert.throws(() => new IsnGenerator(new Uint8Array(0)), RangeError);
});
