// The stack-wide limits of SECURITY.md under adversarial use: the
// connection count (connect() fails with ENOBUFS, SYNs are dropped or
// answered with cookies), the TIME_WAIT count (one more is forgotten at
// once), and the out-of-order ranges a connection holds.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePair, B4 } from './helpers.js';
import { rawHandshake, rawTcp, seg } from './hostile-raw.js';
import { LINUX_PROFILE } from '../../src/tcp/config.js';
import { parseAddress } from '../../src/stack/addr.js';
import { StackError } from '../../src/stack/errors.js';
import { RecvBuffer } from '../../src/tcp/recv-buffer.js';
import type { TcpEndpoint } from '../../src/stack/tcp-endpoint.js';
import { ACK, SYN } from '../../src/wire/tcp-types.js';

test('maxConnections: connect() beyond the limit fails with ENOBUFS, and works again once a connection is gone', () => {
  const { clock, a, b } = makePair({ stack: { maxConnections: 5 } });
  b.tcpListen({ port: 80 });
  const eps: TcpEndpoint[] = [];
  for (let i = 0; i < 5; i++) eps.push(a.tcpConnect({ remoteAddr: parseAddress(B4)!, remotePort: 80 }));
  clock.runFor(100_000);
  assert.throws(
    () => a.tcpConnect({ remoteAddr: parseAddress(B4)!, remotePort: 80 }),
    (e: unknown) => e instanceof StackError && e.code === 'ENOBUFS' && e.errno === -105,
  );
  eps[0]!.abort();
  clock.runFor(100_000);
  assert.equal(a.connectionCount, 4);
  assert.doesNotThrow(() => a.tcpConnect({ remoteAddr: parseAddress(B4)!, remotePort: 80 }));
});

for (const synCookies of ['off', 'on-overflow'] as const) {
  test(`maxConnections: SYNs from 1,000 spoofed sources leave the stack at its limit (cookies ${synCookies})`, () => {
    const { clock, b, link } = makePair({ stack: { tcp: { ...LINUX_PROFILE, synCookies }, maxConnections: 50, maxSynQueue: 1000 } });
    b.tcpListen({ port: 80, backlog: 1000 });
    let peak = 0;
    for (let i = 0; i < 1000; i++) {
      link.a.send(rawTcp(`10.0.0.${3 + (i % 250)}`, B4, seg({ srcPort: 1024 + i, dstPort: 80, seq: i * 7919, flags: SYN })));
      if (i % 50 === 0) {
        clock.runFor(1000);
        peak = Math.max(peak, b.connectionCount);
      }
    }
    clock.runFor(1000);
    peak = Math.max(peak, b.connectionCount);
    // The SYN queue (1000) would have taken them all; the stack's limit did not.
    assert.equal(peak, 50);
    if (synCookies === 'off') assert.equal(b.stats.drops.connectionLimit, 950);
    else assert.equal(b.stats.synCookiesSent, 950, 'answered statelessly once full');
  });
}

test('maxTimeWait: 20 connections closed first by the same side leave at most 4 in TIME_WAIT; the others are forgotten at once', () => {
  const { clock, a, b } = makePair({ stack: { maxTimeWait: 4 } });
  const l = b.tcpListen({ port: 80 });
  l.onConnection = (ep) => {
    ep.handler = (ev) => {
      if (ev.type === 'eof') ep.close();
    };
  };
  for (let i = 0; i < 20; i++) {
    const ep = a.tcpConnect({ remoteAddr: parseAddress(B4)!, remotePort: 80 });
    ep.handler = (ev) => {
      if (ev.type === 'established') ep.close(); // a closes first: a holds the TIME_WAIT
    };
  }
  clock.runFor(1_000_000);
  const inTimeWait = [...a.connections()].filter((ep) => ep.state === 'TIME_WAIT').length;
  assert.equal(inTimeWait, 4);
  assert.equal(a.stats.tcpTimeWait, 4);
  assert.equal(a.stats.tcpTimeWaitOverflow, 16);
  assert.equal(a.connectionCount, 4);
  assert.equal(b.connectionCount, 0, 'the peer saw every close completed');
  // After 2·MSL the remaining four go too, and the count follows.
  clock.runFor(61_000_000);
  assert.equal(a.connectionCount, 0);
  assert.equal(a.stats.tcpTimeWait, 0);
});

test('RecvBuffer: out-of-order ranges stop at maxRanges; segments that merge with a held range are still taken', () => {
  const r = new RecvBuffer(65536, 100);
  for (let off = 1; off < 1000; off += 2) r.write(off, Uint8Array.of(off & 0xff));
  assert.equal(r.outOfOrder().length, 100);
  assert.equal(r.outOfOrderDropped, 400);
  // Next to a held range: it merges, so it costs nothing new.
  r.write(2, Uint8Array.of(2));
  assert.equal(r.outOfOrderDropped, 400);
  assert.equal(r.outOfOrder().length, 99);
  // Filling the head still delivers the held bytes.
  assert.equal(r.write(0, Uint8Array.of(0)), 4);
});

test('tiny out-of-order segments from a raw peer: the connection holds maxOutOfOrder ranges and counts the rest', () => {
  const pair = makePair({ stack: { tcp: { ...LINUX_PROFILE, maxOutOfOrder: 64, windowScaling: false, timestamps: false } } });
  const { clock } = pair;
  const { server: s, send, iss } = rawHandshake(pair);
  for (let off = 1; off < 2000; off += 2) send({ seq: 101 + off, ack: (iss + 1) >>> 0, flags: ACK, payload: Uint8Array.of(7) });
  clock.runFor(1000);
  assert.equal(s.conn.stats.outOfOrderIn, 1000);
  assert.equal(s.conn.stats.outOfOrderDropped, 1000 - 64);
});
