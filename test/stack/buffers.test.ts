// Buffer sizes on an open connection: receive-buffer auto-tuning (the
// window grows with what the application reads per round trip, up to the
// cap), send-buffer auto-tuning, and explicit resizing (SO_RCVBUF /
// SO_SNDBUF after connect). Transfers run over a 100 Mbit/s link with a
// 20 ms round trip, where a fixed 64 KB window allows about 26 Mbit/s.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePair, B4 } from './helpers.js';
import { LINUX_PROFILE, type TcpConfig } from '../../src/tcp/config.js';
import { parseAddress } from '../../src/stack/addr.js';
import type { TcpEndpoint } from '../../src/stack/tcp-endpoint.js';
import type { Pair } from './helpers.js';

const MB = 1 << 20;

interface Run {
  /** Simulated seconds the transfer took. */
  seconds: number;
  received: number;
  /** Largest window the receiver offered (scaled, bytes). */
  maxWindow: number;
  receiver: TcpEndpoint;
  sender: TcpEndpoint;
}

function pairWith(tcp: Partial<TcpConfig>): Pair {
  const link = { delay: 10_000, bandwidth: 100e6, queueLimit: 1000 };
  return makePair({ ab: link, ba: link, stack: { tcp: { ...LINUX_PROFILE, ...tcp } } });
}

/** Send `total` bytes from a to b; the receiver reads everything as it arrives. */
function transfer(p: Pair, total: number, onConnected?: (sender: TcpEndpoint, receiver: TcpEndpoint) => void): Run {
  const l = p.b.tcpListen({ port: 5001 });
  let receiver: TcpEndpoint | undefined;
  let received = 0;
  l.onConnection = (ep) => {
    receiver = ep;
    ep.handler = (ev) => {
      if (ev.type === 'readable') for (let d = ep.read(); d !== null; d = ep.read()) received += d.length;
    };
  };
  const sender = p.a.tcpConnect({ remoteAddr: parseAddress(B4)!, remotePort: 5001 });
  const chunk = new Uint8Array(64 * 1024);
  let sent = 0;
  const pump = (): void => {
    while (sent < total) {
      const n = sender.send(chunk.subarray(0, Math.min(chunk.length, total - sent)));
      if (n === 0) return;
      sent += n;
    }
  };
  let maxWindow = 0;
  // The receiver's window as the sender sees it, from every segment b sends.
  p.link.b.tx.watch((e) => {
    if (e.kind !== 'send' || receiver === undefined) return;
    maxWindow = Math.max(maxWindow, sender.conn.sndWnd);
  });
  let told = false;
  sender.handler = (ev) => {
    if (ev.type === 'established' || ev.type === 'writable') pump();
  };
  const start = p.clock.now();
  while (received < total && p.clock.now() - start < 120e6) {
    p.clock.runFor(1000);
    if (!told && receiver !== undefined && onConnected !== undefined) {
      told = true;
      onConnected(sender, receiver);
    }
    pump();
  }
  assert.ok(receiver !== undefined, 'the connection was accepted');
  return { seconds: (p.clock.now() - start) / 1e6, received, maxWindow, receiver, sender };
}

test('receive-buffer auto-tuning: the window grows from 64 KB past the bandwidth-delay product, up to the cap, and the transfer runs more than twice as fast', () => {
  // A send buffer large enough not to be the limit.
  const fixed = transfer(pairWith({ rcvBuf: 64 * 1024, sndBuf: 4 * MB }), 8 * MB);
  const tuned = transfer(pairWith({ rcvBuf: 64 * 1024, rcvBufMax: 4 * MB, sndBuf: 4 * MB }), 8 * MB);
  assert.equal(fixed.received, 8 * MB);
  assert.equal(tuned.received, 8 * MB);
  // Fixed: one 64 KB window per 20 ms round trip, about 26 Mbit/s.
  assert.ok(fixed.maxWindow <= 64 * 1024, `fixed window ${fixed.maxWindow}`);
  const fixedMbps = (8 * MB * 8) / fixed.seconds / 1e6;
  const tunedMbps = (8 * MB * 8) / tuned.seconds / 1e6;
  assert.ok(fixedMbps < 30, `fixed buffer: ${fixedMbps.toFixed(1)} Mbit/s`);
  // Tuned: the window outgrows the bandwidth-delay product (250 KB)...
  assert.ok(tuned.maxWindow > 256 * 1024, `tuned window ${tuned.maxWindow}`);
  assert.ok(tuned.maxWindow <= 4 * MB, `tuned window ${tuned.maxWindow} beyond the cap`);
  assert.ok(tuned.receiver.conn.rcvBufSize <= 4 * MB);
  // ...and the transfer is at least twice as fast as with the fixed buffer.
  assert.ok(tunedMbps > 2 * fixedMbps, `tuned ${tunedMbps.toFixed(1)} Mbit/s against fixed ${fixedMbps.toFixed(1)}`);
});

test('receive-buffer auto-tuning: the SYN offers the window scale of the cap (RFC 7323 §2.2)', () => {
  const p = pairWith({ rcvBuf: 64 * 1024, rcvBufMax: 6 * MB });
  const r = transfer(p, 64 * 1024);
  // 6 MiB needs a shift of 7 (6 MiB / 2^7 = 49,152 <= 65,535); 64 KB alone needs 1.
  assert.equal(r.sender.conn.negotiated.sndWscale, 7);
});

test('receive-buffer auto-tuning: a reader that does not keep up gets no larger buffer', () => {
  const p = pairWith({ rcvBuf: 64 * 1024, rcvBufMax: 4 * MB });
  const l = p.b.tcpListen({ port: 5001 });
  let receiver: TcpEndpoint | undefined;
  l.onConnection = (ep) => {
    receiver = ep;
    ep.handler = () => {};
  };
  const sender = p.a.tcpConnect({ remoteAddr: parseAddress(B4)!, remotePort: 5001 });
  const chunk = new Uint8Array(16 * 1024);
  // The reader takes 4 KB every 100 ms: 40 KB/s, far below the link.
  for (let t = 0; t < 100; t++) {
    while (sender.send(chunk) > 0);
    p.clock.runFor(100_000);
    receiver?.read(4096);
  }
  assert.ok(receiver !== undefined);
  assert.equal(receiver.conn.rcvBufSize, 64 * 1024);
});

test('send-buffer auto-tuning: a blocked writer gets room for twice the congestion window, up to the cap', () => {
  const r = transfer(pairWith({ rcvBuf: 4 * MB, sndBuf: 32 * 1024, sndBufMax: 1 * MB }), 8 * MB);
  assert.equal(r.received, 8 * MB);
  const size = r.sender.conn.sndBufSize;
  assert.ok(size > 32 * 1024 && size <= 1 * MB, `send buffer ${size}`);
  const fixed = transfer(pairWith({ rcvBuf: 4 * MB, sndBuf: 32 * 1024 }), 8 * MB);
  assert.equal(fixed.sender.conn.sndBufSize, 32 * 1024);
  assert.ok(r.seconds < fixed.seconds / 2, `tuned ${r.seconds.toFixed(2)} s against fixed ${fixed.seconds.toFixed(2)} s`);
});

test('setBufferSize: SO_RCVBUF after connect opens the window in an update; SO_SNDBUF lets a blocked writer go on', () => {
  const p = pairWith({ rcvBuf: 64 * 1024, rcvBufMax: undefined });
  const l = p.b.tcpListen({ port: 5001 });
  let receiver: TcpEndpoint | undefined;
  l.onConnection = (ep) => {
    receiver = ep;
    ep.handler = () => {};
  };
  const sender = p.a.tcpConnect({ remoteAddr: parseAddress(B4)!, remotePort: 5001, config: { sndBuf: 16 * 1024 } });
  const events: string[] = [];
  sender.handler = (ev) => events.push(ev.type);
  p.clock.runFor(100_000);
  assert.ok(receiver !== undefined);
  // The receiver reads nothing: its 64 KB fill up and the window closes.
  const chunk = new Uint8Array(8 * 1024);
  for (let i = 0; i < 20; i++) {
    while (sender.send(chunk) > 0);
    p.clock.runFor(50_000);
  }
  assert.equal(receiver.readableLength, 64 * 1024);
  assert.equal(sender.conn.sndWnd, 0, 'the window is closed');
  // SO_RCVBUF: 256 KB. The window reopens without a read.
  assert.equal(receiver.setBufferSize('rcv', 256 * 1024), 256 * 1024);
  p.clock.runFor(100_000);
  assert.ok(sender.conn.sndWnd > 0, 'a window update followed the resize');
  for (let i = 0; i < 40; i++) {
    while (sender.send(chunk) > 0);
    p.clock.runFor(50_000);
  }
  assert.equal(receiver.readableLength, 256 * 1024, 'the larger buffer filled up');
  // It never shrinks below what it holds.
  assert.equal(receiver.setBufferSize('rcv', 1024), 256 * 1024);
  // SO_SNDBUF: the full 16 KB send buffer grows; the blocked writer hears 'writable'.
  assert.equal(sender.writableLength, 0);
  events.length = 0;
  assert.equal(sender.setBufferSize('snd', 64 * 1024), 64 * 1024);
  assert.ok(events.includes('writable'), `events: ${events.join(',')}`);
  assert.equal(sender.writableLength, 48 * 1024);
  assert.throws(() => sender.setBufferSize('snd', 0), RangeError);
});
