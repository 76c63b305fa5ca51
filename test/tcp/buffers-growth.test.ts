import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SendBuffer } from '../../src/tcp/send-buffer.js';
import { RecvBuffer } from '../../src/tcp/recv-buffer.js';

// The rings start small and grow while holding wrapped data: every byte must
// keep its place in the stream across each growth.

test('send buffer: bytes survive ring growth while wrapped (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 3000 })), { minLength: 1, maxLength: 40 }), (steps) => {
      const b = new SendBuffer(20000);
      let written = 0;
      let consumed = 0;
      for (const [w, c] of steps) {
        const chunk = Uint8Array.from({ length: w }, (_, i) => (written + i) % 251);
        written += b.write(chunk);
        const n = Math.min(c, b.length);
        b.consume(n);
        consumed += n;
        const out = b.copyOut(0, b.length);
        for (let i = 0; i < out.length; i++) if (out[i] !== (consumed + i) % 251) return false;
      }
      return true;
    }),
    { numRuns: 200 },
  );
});

test('receive buffer: bytes survive ring growth while wrapped, out of order included (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2500 }), fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 0, max: 3000 })), { minLength: 1, maxLength: 40 }), (steps) => {
      const r = new RecvBuffer(16384);
      let end = 0; // stream offset of the next expected byte
      let readPos = 0;
      for (const [len, gap, rd] of steps) {
        // An out-of-order piece `gap` bytes ahead, then the in-order piece before it.
        const ooo = Uint8Array.from({ length: Math.min(len, 500) }, (_, i) => (end + gap + i) % 253);
        r.write(gap, ooo);
        const inOrder = Uint8Array.from({ length: len }, (_, i) => (end + i) % 253);
        end += r.write(0, inOrder);
        const got = r.read(rd);
        if (got !== null) {
          for (let i = 0; i < got.length; i++) if (got[i] !== (readPos + i) % 253) return false;
          readPos += got.length;
        }
        if (r.end !== end) return false;
      }
      const rest = r.read();
      if (rest !== null) for (let i = 0; i < rest.length; i++) if (rest[i] !== (readPos + i) % 253) return false;
      return true;
    }),
    { numRuns: 200 },
  );
});

// Small rings (64 bytes, kept on V8's heap) are copied byte by byte instead
// of through views (copyBytes); the bytes must be the same either way, at
// every offset, wrapped or not, and below and above the 64-byte boundary.
test('send and receive buffers: small writes, peeks, copies and reads across the 64-byte ring and its growth (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 80 }), fc.integer({ min: 0, max: 80 }), fc.integer({ min: 0, max: 80 })), { minLength: 1, maxLength: 60 }), (steps) => {
      const s = new SendBuffer(4096);
      const r = new RecvBuffer(4096);
      let written = 0;
      let consumed = 0;
      let received = 0;
      let readPos = 0;
      for (const [w, c, k] of steps) {
        written += s.write(Uint8Array.from({ length: w }, (_, i) => (written + i) % 251));
        const off = Math.min(k, s.length);
        const len = Math.min(w, s.length - off);
        const view = s.peek(off, len);
        const copy = s.copyOut(off, len);
        for (let i = 0; i < len; i++) if (view[i] !== (consumed + off + i) % 251 || copy[i] !== (consumed + off + i) % 251) return false;
        const n = Math.min(c, s.length);
        s.consume(n);
        consumed += n;
        received += r.write(0, Uint8Array.from({ length: w }, (_, i) => (received + i) % 241));
        const got = r.read(k);
        if (got !== null) {
          for (let i = 0; i < got.length; i++) if (got[i] !== (readPos + i) % 241) return false;
          readPos += got.length;
        }
      }
      return true;
    }),
    { numRuns: 300 },
  );
});
