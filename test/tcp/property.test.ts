// Open → a few KB each way → close, over a network that loses, duplicates
// and reorders segments: every byte arrives exactly once and in order, both
// ends close cleanly. 500 seeded runs; fast-check prints the seed and the
// shrunk parameters of a failing run.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Net, Host, MS, S, pattern, rng, dump } from './harness.js';
import { profile } from '../../src/tcp/config.js';
import type { TcpConnection } from '../../src/tcp/connection.js';

export interface Params {
  seed: number;
  loss: number;
  dup: number;
  reorder: number;
  aBytes: number;
  bBytes: number;
  bsd: boolean;
  timestamps: boolean;
  sack: boolean;
  nagle: boolean;
  delayedAck: boolean;
  rcvBufA: number;
  rcvBufB: number;
  sndBuf: number;
  mssA: number;
  mssB: number;
  chunk: number;
}

export const params: fc.Arbitrary<Params> = fc.record({
  seed: fc.integer({ min: 0, max: 0x7fffffff }),
  loss: fc.double({ min: 0, max: 0.15, noNaN: true }),
  dup: fc.double({ min: 0, max: 0.1, noNaN: true }),
  reorder: fc.double({ min: 0, max: 0.3, noNaN: true }),
  aBytes: fc.integer({ min: 0, max: 8000 }),
  bBytes: fc.integer({ min: 0, max: 8000 }),
  bsd: fc.boolean(),
  timestamps: fc.boolean(),
  sack: fc.boolean(),
  nagle: fc.boolean(),
  delayedAck: fc.boolean(),
  rcvBufA: fc.integer({ min: 1000, max: 70000 }),
  rcvBufB: fc.integer({ min: 1000, max: 70000 }),
  sndBuf: fc.integer({ min: 1000, max: 20000 }),
  mssA: fc.integer({ min: 100, max: 1460 }),
  mssB: fc.integer({ min: 100, max: 1460 }),
  chunk: fc.integer({ min: 1, max: 3000 }),
});

/** Feed `data` in `chunk`-sized writes as buffer space allows; shutdown once all is queued; close after EOF. */
function app(h: Host, net: Net, data: Uint8Array, chunk: number): void {
  let off = 0;
  let shut = false;
  const pump = (c: TcpConnection) => {
    while (off < data.length) {
      const n = c.send(data.subarray(off, Math.min(data.length, off + chunk)), net.now);
      if (n === 0) break;
      off += n;
    }
    if (off === data.length && !shut) {
      shut = true;
      c.shutdown(net.now);
    }
  };
  h.onEvent = (ev, host) => {
    const c = host.conn!;
    if (ev.type === 'established' || ev.type === 'writable') pump(c);
    if (ev.type === 'eof' && shut) c.close(net.now);
  };
}

export function runOnce(p: Params): void {
  const base = profile(p.bsd ? 'bsd' : 'linux', {
    timestamps: p.timestamps,
    sack: p.sack,
    nagle: p.nagle,
    delayedAck: p.delayedAck ? (p.bsd ? 200 * MS : 40 * MS) : 0,
    sndBuf: p.sndBuf,
  });
  const cfgA = { ...base, rcvBuf: p.rcvBufA };
  const cfgB = { ...base, rcvBuf: p.rcvBufB };
  const net = new Net();
  const r = rng(p.seed);
  net.fate = () => {
    if (r() < p.loss) return { drop: true };
    const delay = r() < p.reorder ? Math.floor(r() * 30 * MS) : 0;
    return r() < p.dup ? { delay, duplicateAfter: Math.floor(r() * 20 * MS) } : { delay };
  };
  const dataA = pattern(p.aBytes, p.seed + 1);
  const dataB = pattern(p.bBytes, p.seed + 2);
  net.b.listen = { config: cfgB, mss: p.mssB, iss: (p.seed * 7919) >>> 0 };
  app(net.a, net, dataA, p.chunk);
  app(net.b, net, dataB, p.chunk);
  const a = net.connect(cfgA, { iss: (p.seed * 104729 + 0xfffff000) >>> 0, mss: p.mssA });
  net.run(4 * 3600 * S);
  const ctx = () => `${JSON.stringify(p)}\nA: ${net.a.eventTypes().join(' ')}\nB: ${net.b.eventTypes().join(' ')}\n${dump(net).split('\n').slice(-40).join('\n')}`;
  assert.equal(net.b.history.length, 1, ctx());
  const b = net.b.history[0]!;
  for (const h of [net.a, net.b]) {
    const types = h.events.map((e) => e.ev.type);
    assert.ok(!types.includes('error'), ctx());
    assert.ok(types.includes('eof'), ctx());
    assert.equal(types.filter((t) => t === 'closed').length, 1, ctx());
    assert.equal(types.at(-1), 'closed', ctx());
  }
  assert.equal(a.state, 'CLOSED');
  assert.equal(b.state, 'CLOSED');
  assert.deepEqual(net.b.receivedBytes(), dataA, ctx());
  assert.deepEqual(net.a.receivedBytes(), dataB, ctx());
}

test('property: lossy, duplicating, reordering network — bytes delivered exactly, both sides closed', () => {
  fc.assert(
    fc.property(params, (p) => {
      runOnce(p);
    }),
    { numRuns: Number(process.env['SYNACK_PROPERTY_RUNS'] ?? 500) },
  );
});
