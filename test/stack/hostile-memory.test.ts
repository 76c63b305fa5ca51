// Bounded memory under hostile peers: handshakes that never complete are
// held to the SYN queue (and with cookies, to nothing more), and tiny
// out-of-order segments are held to the receive buffer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePair, B4 } from './helpers.js';
import { rawHandshake, rawTcp, seg } from './hostile-raw.js';
import { LINUX_PROFILE } from '../../src/tcp/config.js';
import { ACK, SYN } from '../../src/wire/tcp-types.js';

for (const synCookies of ['off', 'on-overflow'] as const) {
  test(`10,000 handshakes that never complete hold at most the SYN queue, and all go away after the SYN-ACK retries (cookies ${synCookies})`, () => {
    const { clock, b, link } = makePair({ stack: { tcp: { ...LINUX_PROFILE, synCookies }, maxSynQueue: 128 } });
    const l = b.tcpListen({ port: 80, backlog: 16 });
    let peak = 0;
    for (let i = 0; i < 10_000; i++) {
      const src = `10.0.0.${3 + (i % 250)}`;
      link.a.send(rawTcp(src, B4, seg({ srcPort: 1024 + i, dstPort: 80, seq: i * 7919, flags: SYN })));
      if (i % 100 === 0) {
        clock.runFor(1000);
        peak = Math.max(peak, b.connectionCount);
      }
    }
    clock.runFor(1000);
    peak = Math.max(peak, b.connectionCount, l.synQueue.size);
    assert.equal(peak, 128, 'half-open connections never exceed the SYN queue');
    if (synCookies === 'off') assert.ok(b.stats.drops.listenOverflow >= 10_000 - 128);
    else assert.equal(b.stats.synCookiesSent, 10_000 - 128, 'the rest were answered with cookies, keeping nothing');
    // SYN-ACK retries 5: 0, 1, 3, 7, 15, 31 s, given up at 63 s.
    clock.runFor(64_000_000);
    assert.equal(b.connectionCount, 0);
    assert.equal(l.synQueue.size, 0);
  });
}

test('tiny out-of-order segments are held to the receive buffer: ranges at most half the window, nothing beyond it, and the stream is intact once the holes fill', () => {
  const rcvBuf = 8192;
  // The range count limit (maxOutOfOrder, see limits.test.ts) is lifted here: this is the byte bound alone.
  const pair = makePair({ stack: { tcp: { ...LINUX_PROFILE, rcvBuf, windowScaling: false, timestamps: false, maxOutOfOrder: 1 << 20 } } });
  const { clock } = pair;
  const { server: s, send, iss } = rawHandshake(pair);
  const wnd = s.conn.rcvWnd;
  assert.equal(wnd, rcvBuf);
  // One byte at every other offset, leaving the first byte a hole; then
  // three times as many beyond the window.
  for (let off = 1; off < 4 * wnd; off += 2) {
    send({ seq: 101 + off, ack: (iss + 1) >>> 0, flags: ACK, payload: Uint8Array.of(off & 0xff) });
  }
  clock.runFor(1000);
  const ranges = (s.conn as unknown as { rcvBuf: { outOfOrder(): unknown[] } }).rcvBuf.outOfOrder().length;
  assert.ok(ranges <= wnd / 2, `${ranges} out-of-order ranges for a ${wnd}-byte window`);
  assert.equal(s.readableLength, 0);
  // Fill every hole in order: the stream reads back exactly.
  for (let off = 0; off < wnd; off += 2) send({ seq: 101 + off, ack: (iss + 1) >>> 0, flags: ACK, payload: Uint8Array.of(off & 0xff) });
  clock.runFor(1000);
  const data = s.read()!;
  assert.equal(data.length, wnd, 'exactly the window, nothing beyond');
  for (let i = 0; i < data.length; i++) assert.equal(data[i], i & 0xff);
});
