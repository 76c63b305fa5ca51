import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SendBuffer } from '../../src/tcp/send-buffer.js';
import { ADOPT_MIN, RecvBuffer } from '../../src/tcp/recv-buffer.js';

function bytes(n: number, start = 0): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);
}

test('send buffer: write up to capacity, copy out across the wrap, consume', () => {
  const b = new SendBuffer(10000);
  assert.equal(b.write(bytes(6000)), 6000);
  assert.equal(b.write(bytes(6000, 6000)), 4000);
  assert.equal(b.free, 0);
  assert.deepEqual(b.copyOut(5990, 20), bytes(20, 5990));
  b.consume(7000);
  assert.equal(b.length, 3000);
  assert.equal(b.write(bytes(5000, 10000)), 5000);
  // Bytes 7000..9999 then 10000..14999, wrapping inside the ring.
  assert.deepEqual(b.copyOut(0, 8000), bytes(8000, 7000));
  assert.throws(() => b.copyOut(7999, 2), RangeError);
  assert.throws(() => b.consume(8001), RangeError);
});

test('send buffer: copies never alias the caller or the ring', () => {
  const b = new SendBuffer(100);
  const src = bytes(50);
  b.write(src);
  src.fill(0xee);
  const out = b.copyOut(0, 50);
  assert.deepEqual(out, bytes(50));
  out.fill(0);
  assert.deepEqual(b.copyOut(0, 50), bytes(50));
});

test('receive buffer: in order, out of order, holes filled, capacity respected', () => {
  const r = new RecvBuffer(1000);
  assert.equal(r.write(0, bytes(100)), 100);
  assert.equal(r.readable, 100);
  // 200..299 arrives before 100..199.
  assert.equal(r.write(100, bytes(100, 200)), 0);
  assert.deepEqual(r.outOfOrder(), [{ start: 100, end: 200 }]);
  assert.equal(r.write(0, bytes(100, 100)), 200);
  assert.equal(r.hasOutOfOrder, false);
  assert.deepEqual(r.read(), bytes(300));
  assert.equal(r.read(), null);
  // Beyond the capacity is dropped.
  assert.equal(r.write(0, bytes(1500)), 1000);
  assert.equal(r.free, 0);
  assert.deepEqual(r.read(10), bytes(10));
  assert.equal(r.free, 10);
});

test('receive buffer: overlapping and touching ranges merge', () => {
  const r = new RecvBuffer(10000);
  r.write(1000, bytes(100, 1000));
  r.write(1200, bytes(100, 1200));
  r.write(1100, bytes(100, 1100));
  assert.deepEqual(r.outOfOrder(), [{ start: 1000, end: 1300 }]);
  r.write(500, bytes(200, 500));
  r.write(650, bytes(400, 650));
  assert.deepEqual(r.outOfOrder(), [{ start: 500, end: 1300 }]);
  r.write(0, bytes(500));
  assert.equal(r.readable, 1300);
  assert.deepEqual(r.read(), bytes(1300));
});

test('receive buffer: stored payloads are copies', () => {
  const r = new RecvBuffer(100);
  const seg = bytes(10, 5);
  r.write(5, seg);
  seg.fill(0);
  r.write(0, bytes(5));
  assert.deepEqual(r.read(), bytes(15));
});

test('property: any arrival order (with duplicates and overlaps) reassembles the stream exactly', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 5000 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 700 })), { minLength: 1, maxLength: 60 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 0, max: 2 ** 31 }),
      (total, pieces, readEvery, seed) => {
        const stream = bytes(total, seed & 0xff);
        const cap = 2048;
        const r = new RecvBuffer(cap);
        const got: number[] = [];
        let delivered = 0; // stream offset of the next expected byte
        let k = 0;
        const deliver = (start: number, len: number) => {
          if (start + len <= delivered) return;
          const s = Math.max(start, delivered);
          const e = Math.min(start + len, total);
          if (e <= s) return;
          const adv = r.write(s - delivered, stream.subarray(s, e));
          delivered += adv;
        };
        for (const [p, len] of pieces) {
          deliver(p % total, len);
          if (++k % readEvery === 0) {
            const d = r.read(300);
            if (d) got.push(...d);
          }
        }
        // Then everything in order, as retransmissions would.
        while (delivered < total) {
          deliver(delivered, 500);
          const d = r.read();
          if (d) got.push(...d);
        }
        const d = r.read();
        if (d) got.push(...d);
        assert.deepEqual(Uint8Array.from(got), stream);
        assert.ok(r.readable === 0 && r.free === cap);
      },
    ),
    { numRuns: 300 },
  );
});

test('release(): an empty buffer gives its ring back and makes a new one when written again; one holding bytes keeps them', () => {
  const s = new SendBuffer(1 << 20);
  s.write(bytes(100_000));
  s.release();
  assert.deepEqual(s.copyOut(0, 10), bytes(10), 'held bytes survive release()');
  s.consume(100_000);
  s.release();
  assert.equal(s.write(bytes(300)), 300);
  assert.deepEqual(s.copyOut(0, 300), bytes(300));

  const r = new RecvBuffer(1 << 20);
  r.write(0, bytes(5000));
  r.write(1000, bytes(100, 6000));
  r.release();
  assert.deepEqual(r.read(5000), bytes(5000), 'unread bytes survive release()');
  r.release();
  assert.equal(r.hasOutOfOrder, true, 'out-of-order bytes too');
  assert.equal(r.write(0, bytes(1000, 5000)), 1100);
  assert.deepEqual(r.read(), bytes(1100, 5000));
  r.release();
  assert.equal(r.write(0, bytes(50, 6100)), 50);
  assert.deepEqual(r.read(), bytes(50, 6100));
});

test('property: payloads given away (adopt) are kept as they are, in order with copied ones, whatever the arrival order and the reads', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 200_000 }),
      fc.array(fc.tuple(fc.nat(), fc.oneof(fc.integer({ min: 1, max: 2000 }), fc.integer({ min: ADOPT_MIN - 2, max: 40_000 })), fc.boolean()), { minLength: 1, maxLength: 40 }),
      fc.array(fc.oneof(fc.integer({ min: 1, max: 70_000 }), fc.constant(-1)), { minLength: 1, maxLength: 10 }),
      (total, pieces, reads) => {
        const stream = bytes(total, 7);
        const r = new RecvBuffer(128 * 1024);
        const got: Uint8Array[] = [];
        const adopted = new Set<ArrayBufferLike>();
        let delivered = 0;
        let k = 0;
        const readSome = (): void => {
          const how = reads[k++ % reads.length]!;
          if (how === -1) {
            const d = r.read();
            if (d !== null) got.push(d.slice());
            if (d !== null && d.buffer !== undefined && !adopted.has(d.buffer)) d.fill(0xee); // a copy is the reader's to scribble on
          } else {
            const dst = new Uint8Array(how);
            const n = r.readInto(dst);
            got.push(dst.slice(0, n));
          }
        };
        const deliver = (start: number, len: number, adopt: boolean): void => {
          const s = Math.max(start, delivered);
          const e = Math.min(start + len, total);
          if (e <= s) return;
          // Each arrival in a buffer of its own, as a packet.
          const packet = new Uint8Array(e - s + 40);
          packet.set(stream.subarray(s, e), 40);
          const payload = packet.subarray(40);
          const before = r.readable;
          const adv = r.write(s - delivered, payload, adopt);
          if (adopt) adopted.add(packet.buffer);
          else packet.fill(0xdd); // not given away: later writes to it must not show
          delivered += adv;
          assert.equal(r.readable, before + adv);
        };
        for (const [p, len, adopt] of pieces) {
          deliver(p % total, len, adopt);
          readSome();
        }
        while (delivered < total) {
          deliver(delivered, 30_000, true);
          readSome();
        }
        for (let d = r.read(); d !== null; d = r.read()) got.push(d.slice());
        assert.deepEqual(new Uint8Array(Buffer.concat(got)), stream);
        assert.equal(r.readable, 0);
      },
    ),
    { numRuns: 300 },
  );
});

test('receive buffer: a large in-order payload given away comes back from read() as it is; the bytes after it follow in order', () => {
  const r = new RecvBuffer(1 << 20);
  const a = bytes(ADOPT_MIN, 1);
  const b = bytes(100, 2);
  const c = bytes(ADOPT_MIN + 5, 3);
  assert.equal(r.write(0, a, true), a.length);
  // Small: copied into the ring, after the kept one.
  assert.equal(r.write(0, b, true), b.length);
  // Large, but the ring holds in-order bytes: copied too, to keep the order.
  assert.equal(r.write(0, c, true), c.length);
  assert.equal(r.readable, a.length + b.length + c.length);
  assert.equal(r.read(), a, 'the very payload');
  const rest = r.read()!;
  assert.notEqual(rest.buffer, c.buffer);
  assert.deepEqual(rest, new Uint8Array([...b, ...c]));
  // Not given away: copied.
  const d = bytes(ADOPT_MIN, 4);
  r.write(0, d, false);
  const e = r.read()!;
  assert.notEqual(e.buffer, d.buffer);
  assert.deepEqual(e, d);
  // A read smaller than the kept payload takes its front; the rest stays.
  const f = bytes(ADOPT_MIN, 5);
  r.write(0, f, true);
  const front = r.read(10)!;
  assert.equal(front.buffer, f.buffer);
  assert.deepEqual(front, f.subarray(0, 10));
  assert.equal(r.readable, ADOPT_MIN - 10);
  assert.deepEqual(r.read(), f.subarray(10));
});
