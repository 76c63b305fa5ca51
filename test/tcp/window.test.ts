// The receive window a scaled connection offers stays within its buffer.
//
// With a window shift, the window field counts units of 2^shift bytes. Data
// arrives in amounts that are not whole units, and never moving the right
// edge back (RFC 9293 §3.8.6.2.2) means rounding the rest of the offered
// window up; done on every ACK, that moves the right edge a little further
// each time, beyond what the buffer can hold (RFC 7323 Appendix F; Linux
// added net.ipv4.tcp_shrink_window for the same drift). A receiver whose
// application stopped reading then drops data it offered room for, and a
// sender retransmitting it into that full buffer runs out of retries.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Net, MS, S, pattern } from './harness.js';
import { profile, type TcpConfig } from '../../src/tcp/config.js';
import type { TcpConnection } from '../../src/tcp/connection.js';
import { seqAdd, seqLe } from '../../src/tcp/seq.js';
import { SYN } from '../../src/wire/tcp-types.js';

/** A connected to B over 1 ms each way; B's application reads nothing until told to. */
function connectedToNonReader(cfg: TcpConfig): { net: Net; a: TcpConnection; b: TcpConnection } {
  const net = new Net();
  net.delay = 1 * MS;
  net.b.listen = { config: cfg, mss: 1460, iss: 5000, tsOffset: 0 };
  net.b.autoRead = false;
  const a = net.connect(cfg, { tsOffset: 0 });
  net.runFor(10 * MS);
  const b = net.b.conn!;
  assert.equal(b.state, 'ESTABLISHED');
  return { net, a, b };
}

test('property: a receiver that stops reading never offers a right edge beyond its buffer, and takes every byte it offered room for', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 1448 }), { minLength: 20, maxLength: 120 }),
      fc.constantFrom(16_384, 65_536, 100_000),
      (writes, rcvBuf) => {
        // A shift of 7 or more (room to auto-tune to 16 MB), Nagle off: each write is a segment of its own.
        const cfg = profile('linux', { rcvBuf, rcvBufMax: 16 << 20, nagle: false });
        const { net, a, b } = connectedToNonReader(cfg);
        assert.ok(b.negotiated!.rcvWscale >= 7);
        let total = 0;
        for (const w of writes) {
          total += a.send(pattern(w, total), net.now);
          net.runFor(100);
        }
        const scale = 2 ** b.negotiated!.rcvWscale;
        // Long enough for retransmissions to run out, were any byte offered and then refused.
        net.runFor(3600 * S);
        assert.equal(a.state, 'ESTABLISHED', 'the sender never gives up on a receiver that offered the room');
        // What was acknowledged is held; it fills the buffer but for less than one
        // window unit (a window is offered in whole units); the rest waits behind a
        // zero window, probed, not timed out.
        const acked = a.sndUna - 1001;
        assert.equal(b.readableLength, acked);
        assert.ok(acked > Math.min(total, b.rcvBufSize) - scale, `${acked} of ${total} bytes taken into a ${b.rcvBufSize}-byte buffer`);
        assert.ok(a.stats.timeouts <= 2, `${a.stats.timeouts} retransmission timeouts`);
        // Every ACK's right edge lies within the receiver's buffer.
        // A's first byte is 1001 (ISS 1000); B reads nothing, so its buffer ends rcvBufSize later.
        const bufferEnd = seqAdd(1001, b.rcvBufSize);
        for (const s of net.sent('B')) {
          if ((s.seg.flags & SYN) !== 0) continue; // the SYN-ACK's window is not scaled
          assert.ok(seqLe(seqAdd(s.seg.ack, s.seg.window * scale), bufferEnd), `ack ${s.seg.ack} window ${s.seg.window}×${scale} beyond the buffer's end ${bufferEnd}`);
        }
      },
    ),
    { numRuns: 60 },
  );
});

test('a receive buffer made smaller than the window already offered still takes what the window let in; the smaller size holds once the application reads', () => {
  const cfg = profile('linux', { rcvBuf: 65_536 });
  const { net, a, b } = connectedToNonReader(cfg);
  const offered = b.rcvWnd;
  assert.ok(offered >= 60_000, `${offered} bytes offered`);
  // Before any data arrives, the application asks for a 4 KB buffer.
  assert.equal(b.setBufferSize('rcv', 4096, net.now), offered, 'the offered window keeps its room');
  const data = pattern(30_000, 9);
  assert.equal(a.send(data, net.now), 30_000);
  net.runFor(3600 * S);
  assert.equal(a.state, 'ESTABLISHED');
  assert.equal(a.sndUna, 1001 + 30_000, 'every byte sent into the offered window was taken');
  assert.equal(a.stats.timeouts, 0);
  assert.equal(b.readableLength, 30_000);
  // The application reads: the buffer comes down to what it asked for, and the window with it.
  const got = [b.read(undefined, net.now)!];
  assert.deepEqual(Buffer.from(got[0]!), Buffer.from(data));
  assert.equal(b.rcvBufSize, Math.max(4096, b.rcvWnd));
  const more = pattern(50_000, 11);
  a.send(more, net.now);
  net.b.onEvent = (ev) => {
    if (ev.type === 'readable') for (let d = b.read(undefined, net.now); d; d = b.read(undefined, net.now)) got.push(d);
  };
  net.runFor(600 * S);
  assert.deepEqual(Buffer.concat(got.slice(1)), Buffer.from(more));
  assert.equal(b.rcvBufSize, 4096);
  const scale = 2 ** b.negotiated!.rcvWscale;
  const last = net.sent('B').at(-1)!;
  assert.ok(last.seg.window * scale <= 4096, `the last window offered is ${last.seg.window * scale} bytes`);
});
