// Recycled packets (Slab.take / Slab.recycle): a receiver that held the
// only reference to a packet gives it back once its payload is copied, and
// the stack's next packets reuse it. Reuse must be invisible: the same
// transfers, run with recycling on and off, put the same packets on the
// wire and deliver the same bytes; and a packet that anyone else was shown
// (a watcher that keeps packets, a dropWhere predicate) is never reused.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { makePair, B4, B6 } from './helpers.js';
import { LINUX_PROFILE } from '../../src/tcp/config.js';
import { parseAddress } from '../../src/stack/addr.js';
import type { LinkOptions } from '../../src/sim/link.js';
import type { TcpEndpoint } from '../../src/stack/tcp-endpoint.js';
import { Slab, SPARE_MAX, packetSlab } from '../../src/wire/slab.js';
import { pattern } from '../tcp/harness.js';

test('Slab.take hands out a recycled buffer of its length, and fresh zeroed ones otherwise', () => {
  const slab = new Slab(1 << 16, 16_384);
  const a = slab.take(1500);
  assert.equal(a.length, 1500);
  assert.ok(a.every((x) => x === 0));
  a.fill(0xee);
  slab.recycle(a);
  assert.equal(slab.spareCount, 1);
  const other = slab.take(1400);
  assert.notEqual(other, a);
  assert.ok(other.every((x) => x === 0), 'a buffer of another length is a fresh one');
  assert.equal(slab.take(1500), a, 'the spare of that length comes back');
  assert.equal(slab.spareCount, 0);
  // alloc never hands out a spare: its buffers stay zeroed.
  slab.recycle(a);
  const z = slab.alloc(1500);
  assert.notEqual(z, a);
  assert.ok(z.every((x) => x === 0));
});

test('Slab.recycle keeps one length at a time, at most SPARE_MAX buffers, none beyond its limit, nothing when switched off', () => {
  const slab = new Slab(1 << 16, 16_384);
  const first = slab.alloc(100);
  slab.recycle(first);
  slab.recycle(slab.alloc(200));
  assert.equal(slab.spareCount, 1, 'another length is not kept while spares of the first are');
  assert.equal(slab.take(100), first);
  const second = slab.alloc(200);
  slab.recycle(second);
  assert.equal(slab.take(200), second, 'once the spares are gone, another length may take their place');
  for (let i = 0; i < 300; i++) slab.recycle(slab.alloc(64));
  assert.equal(slab.spareCount, SPARE_MAX);
  const big = new Slab(1 << 16, 1000);
  big.recycle(new Uint8Array(1001));
  big.recycle(new Uint8Array(0));
  assert.equal(big.spareCount, 0);
  big.recycling = false;
  big.recycle(big.alloc(10));
  assert.equal(big.spareCount, 0);
});

interface Case {
  name: string;
  link: LinkOptions;
  mtu?: number;
  v6?: boolean;
  bytes: number;
}

const cases: Case[] = [
  { name: 'clean, MTU 1500', link: {}, bytes: 1 << 20 },
  { name: 'loss 2%, reordering 2%', link: { loss: 0.02, reorder: 0.02, reorderDelay: 300 }, bytes: 1 << 20 },
  { name: 'duplication 10%', link: { duplicate: 0.1 }, bytes: 1 << 20 },
  { name: 'corruption 2%', link: { corrupt: 0.02 }, bytes: 512 << 10 },
  { name: 'IPv6', link: { loss: 0.01 }, v6: true, bytes: 1 << 20 },
  { name: 'MTU 9000', link: { loss: 0.01 }, mtu: 9000, bytes: 2 << 20 },
  { name: 'MTU 65535 (payloads adopted, nothing recycled)', link: {}, mtu: 65535, bytes: 4 << 20 },
];

interface Run {
  wire: string;
  packets: number;
  recycled: number;
  coalesced: number;
  toB: string;
  toA: string;
  end: number;
}

/**
 * A transfer both ways over batch links with `c`'s impairments. `keep`:
 * the wire is watched by a watcher that may keep packets; otherwise by
 * one that only hashes them.
 */
function transfer(c: Case, recycling: boolean, keep: 'none' | 'watcher' | 'dropWhere' = 'none'): Run & { kept: Array<[Uint8Array, Uint8Array]> } {
  const saved = packetSlab.recycling;
  packetSlab.recycling = recycling;
  try {
    const link: LinkOptions = { batch: true, delay: 500, ...c.link };
    const p = makePair({ seed: 9, mtu: c.mtu ?? 1500, ab: link, ba: link, stack: { tcp: { ...LINUX_PROFILE, rcvBuf: 1 << 20, sndBuf: 1 << 20 } } });
    const wire = createHash('sha256');
    let packets = 0;
    const kept: Array<[Uint8Array, Uint8Array]> = [];
    for (const [dir, l] of [['ab', p.link.ab], ['ba', p.link.ba]] as const) {
      l.watch(
        (e) => {
          if (e.kind !== 'send' && e.kind !== 'deliver') return;
          if (e.kind === 'send') packets++;
          wire.update(`${dir} ${e.kind} ${e.time} ${e.index} ${e.packet.length}\n`);
          wire.update(e.packet);
          if (keep === 'watcher') kept.push([e.packet, e.packet.slice()]);
        },
        { keepsPackets: keep === 'watcher' },
      );
      if (keep === 'dropWhere') {
        l.dropWhere((packet) => {
          kept.push([packet, packet.slice()]);
          return false;
        });
      }
    }
    const dataToB = pattern(c.bytes, 1);
    const dataToA = pattern(c.bytes >> 1, 2);
    const hashB = createHash('sha256');
    const hashA = createHash('sha256');
    const pump = (ep: TcpEndpoint, data: Uint8Array, sent: { n: number; done: boolean }): void => {
      while (sent.n < data.length) {
        const n = ep.send(data.subarray(sent.n));
        if (n === 0) break;
        sent.n += n;
      }
      if (sent.n === data.length && !sent.done) {
        sent.done = true;
        ep.shutdown();
      }
    };
    const sentB = { n: 0, done: false };
    p.b.tcpListen({ port: 9 }).onConnection = (ep) => {
      ep.handler = (ev) => {
        if (ev.type === 'readable') for (let d = ep.read(); d !== null; d = ep.read()) hashB.update(d);
        if (ev.type === 'writable') pump(ep, dataToA, sentB);
      };
      pump(ep, dataToA, sentB);
    };
    const a = p.a.tcpConnect({ remoteAddr: parseAddress(c.v6 === true ? B6 : B4)!, remotePort: 9 });
    const sentA = { n: 0, done: false };
    a.handler = (ev) => {
      if (ev.type === 'readable') for (let d = a.read(); d !== null; d = a.read()) hashA.update(d);
      if (ev.type === 'established' || ev.type === 'writable') pump(a, dataToB, sentA);
    };
    p.clock.runUntil(600e6);
    return {
      wire: wire.digest('hex'),
      packets,
      recycled: p.a.stats.tcpInRecycled + p.b.stats.tcpInRecycled,
      coalesced: p.a.stats.tcpInCoalesced + p.b.stats.tcpInCoalesced,
      toB: hashB.digest('hex'),
      toA: hashA.digest('hex'),
      end: p.clock.now(),
      kept,
    };
  } finally {
    packetSlab.recycling = saved;
  }
}

const digest = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

for (const c of cases) {
  test(`recycled packets change nothing on the wire or in the streams: ${c.name}`, () => {
    const on = transfer(c, true);
    const off = transfer(c, false);
    assert.equal(on.toB, digest(pattern(c.bytes, 1)), 'A → B stream intact');
    assert.equal(on.toA, digest(pattern(c.bytes >> 1, 2)), 'B → A stream intact');
    assert.equal(off.toB, on.toB);
    assert.equal(off.toA, on.toA);
    assert.equal(on.wire, off.wire, 'the same packets, at the same instants');
    assert.equal(on.packets, off.packets);
    assert.equal(off.recycled, 0);
    if ((c.mtu ?? 1500) > 16_384) assert.equal(on.recycled, 0, 'packets above the slab limit are not recycled');
    else assert.ok(on.recycled > 0 && on.recycled <= on.coalesced, `recycled ${on.recycled} of ${on.coalesced} coalesced`);
  });
}

for (const keep of ['watcher', 'dropWhere'] as const) {
  test(`a packet a ${keep === 'watcher' ? 'watcher that keeps packets' : 'dropWhere predicate'} was shown is never reused`, () => {
    const c: Case = { name: keep, link: { loss: 0.01, duplicate: 0.02 }, bytes: 1 << 20 };
    const r = transfer(c, true, keep);
    assert.equal(r.toB, digest(pattern(c.bytes, 1)));
    assert.ok(r.kept.length > 1000, `${r.kept.length} packets kept`);
    assert.equal(r.recycled, 0);
    let changed = 0;
    for (const [packet, copy] of r.kept) if (digest(packet) !== digest(copy)) changed++;
    assert.equal(changed, 0, `${changed} kept packets were overwritten`);
    // The same transfer without the keeper recycles (the test could see it).
    assert.ok(transfer(c, true).recycled > 0);
  });
}
