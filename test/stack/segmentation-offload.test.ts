// The stack's fast paths against the slow ones, on the wire.
//
// Segmentation offload: a connection hands runs of full-sized segments to
// the stack as one train (Segment.gsoSize), and the stack cuts it, the
// first segment built as usual and the rest from its headers. Header
// prediction and receive offload: the next in-order segment skips most of
// the segment processing, and in a receive batch the ones after it are not
// even parsed or looked up again (Stack.continueRun).
//
// The packets must be the very ones of the slow ways: each transfer below
// runs three times, as the stack runs it, with every connection limited to
// single segments, and with header prediction (and so receive offload)
// off; all three must put the same bytes on the links at the same
// instants, under loss, reordering, duplication, corruption, ECN marking,
// small MTUs and both IP versions.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { makePair, B4, B6 } from './helpers.js';
import { HOST_PROFILE, LINUX_PROFILE, type TcpConfig } from '../../src/tcp/config.js';
import { parseAddress } from '../../src/stack/addr.js';
import type { LinkOptions } from '../../src/sim/link.js';
import type { TcpEndpoint } from '../../src/stack/tcp-endpoint.js';
import { setHeaderPrediction } from '../../src/tcp/connection.js';
import type { NetDevice } from '../../src/link/device.js';
import type { SimDevice } from '../../src/sim/device.js';
import { cutSuperSegment } from '../../src/wire/gso.js';
import { fillTransportChecksum } from '../../src/wire/offload.js';
import { Slab } from '../../src/wire/slab.js';
import { pattern } from '../tcp/harness.js';

interface Case {
  name: string;
  link: LinkOptions;
  mtu?: number;
  v6?: boolean;
  tcp?: Partial<TcpConfig>;
  /** Bytes from A to B (and back, with `both`), then each side shuts down. */
  bytes: number;
  /** Data both ways at once. */
  both?: boolean;
  /**
   * Request and response instead: A sends `bytes`, B answers with as many
   * once all have arrived, this many times; then both shut down. A message
   * of whole segments ends a train with PSH and no FIN waiting.
   */
  rounds?: number;
  /** B answers this many µs after a request has arrived (default at once). */
  think?: number;
}

// Full-sized segments carry 1448 bytes with timestamps over IPv4 at MTU
// 1500, 1428 over IPv6: transfers of whole segments end a train exactly
// where the data ends, with the FIN waiting.
const cases: Case[] = [
  { name: 'a clean link, batched, whole segments', link: { batch: true }, bytes: 1448 * 1400 },
  { name: 'a clean link, IPv6, whole segments', link: { batch: true }, v6: true, bytes: 1428 * 1400 },
  { name: 'a clean link, a partial last segment', link: { batch: true }, bytes: 1_000_001 },
  { name: 'requests and responses of whole segments', link: { delay: 1000 }, bytes: 1448 * 12, rounds: 40 },
  { name: 'requests and responses after 100 ms of thought', link: { delay: 1000 }, bytes: 1448 * 20, rounds: 20, think: 100_000 },
  { name: 'long requests and responses, batched (trains past one super-segment, ending in PSH)', link: { batch: true, delay: 200 }, tcp: { ...LINUX_PROFILE, rcvBuf: 1 << 20, sndBuf: 1 << 20 }, bytes: 1448 * 90, rounds: 8 },
  { name: 'requests and responses, batched, with loss', link: { batch: true, delay: 200, loss: 0.02 }, bytes: 1448 * 30 + 17, rounds: 30 },
  { name: '1% loss, 10 ms RTT, 100 Mbit/s', link: { loss: 0.01, delay: 5000, bandwidth: 100e6, queueLimit: 100 }, bytes: 1_000_000 },
  { name: 'loss, reordering and duplicates both ways', link: { loss: 0.03, reorder: 0.05, duplicate: 0.02, delay: 2000 }, bytes: 1448 * 1000, both: true },
  { name: 'many duplicates both ways (D-SACK blocks)', link: { batch: true, duplicate: 0.2, delay: 500 }, bytes: 1448 * 2000, both: true },
  { name: 'corruption, MTU 576', link: { corrupt: 0.02, delay: 300 }, mtu: 576, bytes: 300_000 },
  { name: 'ECN marks at a queue, IPv6', link: { delay: 1000, bandwidth: 50e6, ecnThreshold: 5, queueLimit: 50 }, v6: true, tcp: { ...HOST_PROFILE, ecn: 'on' }, bytes: 1_000_000 },
  { name: 'no SACK, no timestamps, MTU 9000', link: { delay: 100, bandwidth: 1e9, loss: 0.005 }, mtu: 9000, tcp: { ...LINUX_PROFILE, sack: false, timestamps: false }, bytes: 2_000_000 },
  { name: 'auto-tuned buffers both ways', link: { batch: true, delay: 500 }, tcp: HOST_PROFILE, bytes: 1_000_000, both: true },
];

/**
 * A simulated device with checksum and segmentation offload: it cuts
 * super-segments (cutSuperSegment, which test/wire/gso.test.ts holds to
 * the checked emitters) and completes partial checksums before the packets
 * go on the link, as a NIC does; what arrives it passes on unvouched.
 */
class TsoDevice implements NetDevice {
  readonly checksumOffload = true;
  readonly receiveBatches = true;
  onReceive: ((packet: Uint8Array, checksumValid?: boolean) => void) | null = null;
  onReceiveBatchEnd: (() => void) | null = null;
  superSegments = 0;
  private readonly slab = new Slab(1 << 16, 16_384);
  constructor(
    private readonly inner: SimDevice,
    readonly gsoMaxSize: number,
  ) {
    inner.onReceive = (packet) => this.onReceive?.(packet, false);
    inner.onReceiveBatchEnd = () => this.onReceiveBatchEnd?.();
  }
  get mtu(): number {
    return this.inner.mtu;
  }
  send(packet: Uint8Array, partialChecksum = false, gsoSize = 0): void {
    if (gsoSize > 0) {
      assert.ok(partialChecksum, 'a super-segment has a partial checksum');
      assert.ok(packet.length <= this.gsoMaxSize);
      this.superSegments++;
      const n = cutSuperSegment(packet, gsoSize, this.slab, (piece) => {
        fillTransportChecksum(piece);
        this.inner.send(piece);
      });
      assert.ok(n > 1, 'a super-segment of several segments');
      return;
    }
    if (partialChecksum) fillTransportChecksum(packet);
    this.inner.send(packet);
  }
  close(): void {
    this.inner.close();
  }
}

interface Run {
  /** Hash of every packet sent on either link, with its time and direction. */
  wire: string;
  packets: number;
  cut: number;
  /** Super-segments the devices cut (segmentation offload in the device). */
  superSegments: number;
  coalesced: number;
  receivedA: Uint8Array;
  receivedB: Uint8Array;
}

/** `tso`: the largest super-segment the devices take (0: no segmentation offload in the devices). */
function run(c: Case, trains: boolean, prediction = true, tso = 0): Run {
  setHeaderPrediction(prediction);
  try {
    return transfer(c, trains, tso);
  } finally {
    setHeaderPrediction(true);
  }
}

function transfer(c: Case, trains: boolean, tso: number): Run {
  const devices: TsoDevice[] = [];
  const wrap = tso > 0 ? { wrap: (dev: SimDevice): NetDevice => devices[devices.push(new TsoDevice(dev, tso)) - 1]! } : {};
  const p = makePair({ seed: 5, mtu: c.mtu ?? 1500, ab: c.link, ba: c.link, ...wrap, ...(c.tcp !== undefined ? { stack: { tcp: { ...LINUX_PROFILE, ...c.tcp } } } : {}) });
  const wire = createHash('sha256');
  let packets = 0;
  for (const [dir, link] of [['ab', p.link.ab], ['ba', p.link.ba]] as const) {
    link.watch((e) => {
      if (e.kind !== 'send') return;
      packets++;
      wire.update(`${dir} ${e.time} ${e.packet.length}\n`);
      wire.update(e.packet);
    });
  }
  const single = (ep: TcpEndpoint): void => {
    if (!trains) ep.conn.segmentationOffload = 1;
  };
  const rounds = c.rounds ?? 1;
  const toB = pattern(c.bytes * rounds, 1);
  const toA = c.both === true || c.rounds !== undefined ? pattern(c.bytes * rounds, 2) : new Uint8Array(0);
  const gotA: Uint8Array[] = [];
  const gotB: Uint8Array[] = [];
  let gotBytesA = 0;
  let gotBytesB = 0;
  // What each side may send so far: all of it, or, in rounds, one message
  // more than it has answered.
  const allowedA = (): number => (c.rounds === undefined ? toB.length : Math.min(toB.length, (Math.floor(gotBytesA / c.bytes) + 1) * c.bytes));
  const allowedB = (): number => (c.rounds === undefined ? toA.length : Math.min(toA.length, Math.floor(gotBytesB / c.bytes) * c.bytes));
  // Each side sends what it may, shuts its sending side (FIN) once all is
  // sent, and goes on reading.
  const pump = (ep: TcpEndpoint, data: Uint8Array, allowed: number, sent: { n: number; done: boolean }): void => {
    while (sent.n < allowed) {
      const n = ep.send(data.subarray(sent.n, allowed));
      if (n === 0) break;
      sent.n += n;
    }
    if (sent.n === data.length && !sent.done) {
      sent.done = true;
      ep.shutdown();
    }
  };
  const l = p.b.tcpListen({ port: 9 });
  const sentB = { n: 0, done: false };
  l.onConnection = (ep) => {
    single(ep);
    ep.handler = (ev) => {
      if (ev.type === 'readable') {
        for (let d = ep.read(); d !== null; d = ep.read()) {
          gotB.push(d.slice());
          gotBytesB += d.length;
        }
      }
      if (ev.type === 'writable' || (ev.type === 'readable' && c.think === undefined)) pump(ep, toA, allowedB(), sentB);
      else if (ev.type === 'readable') p.clock.setTimer(p.clock.now() + c.think!, () => pump(ep, toA, allowedB(), sentB));
    };
    pump(ep, toA, allowedB(), sentB);
  };
  const a = p.a.tcpConnect({ remoteAddr: parseAddress(c.v6 === true ? B6 : B4)!, remotePort: 9 });
  single(a);
  const sentA = { n: 0, done: false };
  a.handler = (ev) => {
    if (ev.type === 'readable') {
      for (let d = a.read(); d !== null; d = a.read()) {
        gotA.push(d.slice());
        gotBytesA += d.length;
      }
    }
    if (ev.type === 'established' || ev.type === 'writable' || ev.type === 'readable') pump(a, toB, allowedA(), sentA);
  };
  p.clock.runUntil(600e6);
  return { wire: wire.digest('hex'), packets, cut: p.a.stats.tcpOutCut + p.b.stats.tcpOutCut, superSegments: devices.reduce((n, d) => n + d.superSegments, 0), coalesced: p.a.stats.tcpInCoalesced + p.b.stats.tcpInCoalesced, receivedA: new Uint8Array(Buffer.concat(gotA)), receivedB: new Uint8Array(Buffer.concat(gotB)) };
}

/** The cases in which devices that take 16 KiB got trains as several super-segments. */
const casesSplit: string[] = [];

for (const c of cases) {
  test(`the stack's fast paths put the same packets on the wire as the slow ones: ${c.name}`, () => {
    const fast = run(c, true);
    const single = run(c, false);
    const slow = run(c, true, false);
    // Devices that take any train whole, and ones that take a quarter of
    // the largest (a train goes as several super-segments).
    const device = run(c, true, true, 65535);
    const smallDevice = run(c, true, true, 16384);
    const total = c.bytes * (c.rounds ?? 1);
    assert.deepEqual(fast.receivedB, pattern(total, 1), 'everything arrived, in order');
    if (c.both === true || c.rounds !== undefined) assert.deepEqual(fast.receivedA, pattern(total, 2), 'everything arrived the other way too');
    assert.equal(single.cut, 0, 'no trains when connections send single segments');
    assert.ok(fast.cut > fast.packets / 10, `trains were cut: ${fast.cut} of ${fast.packets} packets`);
    assert.equal(slow.coalesced, 0, 'no receive offload without header prediction');
    if (c.link.batch === true) assert.ok(fast.coalesced > 0, 'receive offload took segments');
    assert.equal(single.packets, fast.packets);
    assert.equal(single.wire, fast.wire, 'trains: the same bytes at the same instants');
    assert.equal(slow.packets, fast.packets);
    assert.equal(slow.wire, fast.wire, 'header prediction and receive offload: the same bytes at the same instants');
    assert.equal(device.cut, 0, 'a device with segmentation offload cuts the trains itself');
    assert.ok(device.superSegments > 0, 'super-segments went to the devices');
    assert.equal(device.packets, fast.packets);
    assert.equal(device.wire, fast.wire, 'segmentation offload in the device: the same bytes at the same instants');
    if (smallDevice.superSegments > device.superSegments) casesSplit.push(c.name);
    assert.equal(smallDevice.wire, fast.wire, 'segmentation offload in devices that take 16 KiB: the same bytes at the same instants');
  });
}

test('devices that take 16 KiB got trains as several super-segments in the bulk transfers above', () => {
  assert.ok(casesSplit.includes('a clean link, batched, whole segments'), casesSplit.join('; '));
  assert.ok(casesSplit.includes('a clean link, IPv6, whole segments'), casesSplit.join('; '));
});
