// Receive batches (NetDevice.receiveBatches): a stack reading a burst as one
// batch acknowledges it once, as a kernel does for a GRO-merged burst, but
// still answers each out-of-order segment with its own duplicate ACK
// (RFC 5681 §4.2), and loses nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePair, B4 } from './helpers.js';
import { LINUX_PROFILE } from '../../src/tcp/config.js';
import { parseAddress } from '../../src/stack/addr.js';
import { parseIpv4 } from '../../src/wire/ipv4.js';
import { parseTcp } from '../../src/wire/tcp.js';
import type { LinkOptions } from '../../src/sim/link.js';
import type { Pair } from './helpers.js';

interface Ack {
  ack: number;
  len: number;
  sack: boolean;
}

/** Sends `bytes` patterned bytes from a to b; returns what b got, b's segments, and a's segment count. */
function transfer(link: LinkOptions, bytes: number, script?: (p: Pair) => void) {
  const p = makePair({ ab: link, ba: link, stack: { tcp: { ...LINUX_PROFILE, rcvBuf: 1 << 20, sndBuf: 1 << 20 } } });
  script?.(p);
  const fromB: Ack[] = [];
  p.link.b.tx.watch((e) => {
    if (e.kind !== 'send') return;
    const ip = parseIpv4(e.packet);
    assert.ok(ip.ok);
    const t = parseTcp(ip.value.payload);
    assert.ok(t.ok);
    fromB.push({ ack: t.value.ack, len: t.value.payload.length, sack: t.value.options.some((o) => o.kind === 'sack') });
  });
  const l = p.b.tcpListen({ port: 9 });
  const chunks: Uint8Array[] = [];
  l.onConnection = (ep) => {
    ep.handler = (ev) => {
      if (ev.type === 'readable') for (let d = ep.read(); d !== null; d = ep.read()) chunks.push(d.slice());
    };
  };
  const data = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) data[i] = (i * 7 + (i >>> 11)) & 0xff;
  let sent = 0;
  const c = p.a.tcpConnect({ remoteAddr: parseAddress(B4)!, remotePort: 9 });
  const pump = (): void => {
    while (sent < bytes) {
      const n = c.send(data.subarray(sent, Math.min(bytes, sent + 65536)));
      if (n === 0) break;
      sent += n;
    }
  };
  c.handler = (ev) => {
    if (ev.type === 'established' || ev.type === 'writable') pump();
  };
  let got = 0;
  for (let i = 0; i < 10_000 && got < bytes; i++) {
    p.clock.runUntil(p.clock.now() + 1000);
    pump();
    got = chunks.reduce((s, x) => s + x.length, 0);
  }
  const all = new Uint8Array(got);
  let o = 0;
  for (const x of chunks) {
    all.set(x, o);
    o += x.length;
  }
  return { p, received: all, data, fromB, aSegments: p.a.stats.tcpOut, timeUs: p.clock.now() };
}

test('a burst read as one batch is acknowledged once, not every second segment', () => {
  const bytes = 2 << 20;
  const batched = transfer({ delay: 500, batch: true }, bytes);
  assert.deepEqual(batched.received, batched.data);
  const single = transfer({ delay: 500 }, bytes);
  assert.deepEqual(single.received, single.data);
  // Every second full segment, packet by packet...
  assert.ok(single.fromB.length >= single.aSegments / 2 - 20, `${single.fromB.length} ACKs for ${single.aSegments} segments`);
  // ...and about one ACK per batch of up to 64 when the burst is read at once.
  assert.ok(batched.fromB.length <= batched.aSegments / 16, `${batched.fromB.length} ACKs for ${batched.aSegments} segments`);
  assert.ok(batched.fromB.length > 0);
});

test('in a batch, each out-of-order segment still gets its own duplicate ACK, and the hole is repaired by fast retransmit', () => {
  const bytes = 1 << 20;
  // The 40th packet from a (well into a burst) is lost.
  const r = transfer({ delay: 500, batch: true }, bytes, (p) => p.link.a.tx.drop(40));
  assert.deepEqual(r.received, r.data);
  // The longest run of pure ACKs carrying the same acknowledgment number
  // with SACK blocks: the duplicate ACKs for the segments after the hole.
  let run = 0;
  let best = 0;
  for (let i = 1; i < r.fromB.length; i++) {
    const cur = r.fromB[i]!;
    run = cur.len === 0 && cur.sack && cur.ack === r.fromB[i - 1]!.ack ? run + 1 : 0;
    best = Math.max(best, run);
  }
  assert.ok(best >= 3, `longest run of duplicate ACKs: ${best}`);
  // Repaired within a few round trips, long before a retransmission timeout (≥ 200 ms).
  assert.ok(r.timeUs < 100_000, `finished at ${r.timeUs} µs`);
});
