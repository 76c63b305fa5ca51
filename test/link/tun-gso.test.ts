// TunDevice's segmentation offload, against a backend that records what it
// is asked to write (the kernel's side is in test/interop/bulk.test.ts,
// where synack sends to nc and socat through super-segments).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TunDevice } from '../../src/link/tun/device.js';
import type { BackendSink, TunBackend, WriteResult } from '../../src/link/tun/backend.js';
import { emitIpv4 } from '../../src/wire/ipv4.js';
import { emitTcp } from '../../src/wire/tcp.js';
import { ACK, PSH } from '../../src/wire/tcp-types.js';

interface Written {
  packet: Uint8Array;
  partial: boolean;
  gso: number;
}

function recordingBackend(checksumOffload: boolean): TunBackend & { written: Written[]; sink: BackendSink | null } {
  const written: Written[] = [];
  const b: TunBackend & { written: Written[]; sink: BackendSink | null } = {
    kind: 'addon',
    fd: -1,
    name: 'tunfake',
    mtu: 1500,
    checksumOffload,
    receivesSuperSegments: checksumOffload,
    written,
    sink: null,
    start(sink: BackendSink): void {
      b.sink = sink;
    },
    write(packet: Uint8Array, partial: boolean, gso: number): string {
      written.push({ packet, partial, gso });
      return '';
    },
    writeBatch(packets: readonly Uint8Array[], count: number, partial: readonly boolean[], gso: readonly number[]): WriteResult {
      let bytes = 0;
      for (let i = 0; i < count; i++) {
        written.push({ packet: packets[i]!, partial: partial[i] === true, gso: gso[i] ?? 0 });
        bytes += packets[i]!.length;
      }
      return { written: count, bytes, failed: 0, lastError: '' };
    },
    setRef(): void {},
    close: async (): Promise<void> => {},
  };
  return b;
}

test('a TUN with checksum offload takes super-segments with their GSO size, one write each, alone or in a batch', () => {
  const b = recordingBackend(true);
  const dev = new TunDevice(b);
  assert.equal(dev.gsoMaxSize, 65535);
  const big = new Uint8Array(30_000);
  dev.send(big, true, 1448);
  dev.flush();
  assert.deepEqual(b.written, [{ packet: big, partial: true, gso: 1448 }]);
  const small = new Uint8Array(60);
  dev.send(small, true);
  dev.send(big, true, 1428);
  dev.send(small, false);
  dev.flush();
  assert.deepEqual(
    b.written.slice(1).map((w) => [w.packet.length, w.partial, w.gso]),
    [
      [60, true, 0],
      [30_000, true, 1428],
      [60, false, 0],
    ],
  );
  assert.equal(dev.stats.txSuperSegments, 2);
  assert.equal(dev.stats.txErrors, 0);
  dev.close();
});

test('a TUN without segmentation offload (tso off, or no checksum offload) refuses super-segments and writes nothing for them', () => {
  for (const dev of [new TunDevice(recordingBackend(true), 64, false), new TunDevice(recordingBackend(false))]) {
    assert.equal(dev.gsoMaxSize, 0);
    dev.send(new Uint8Array(30_000), true, 1448);
    dev.flush();
    assert.equal(dev.stats.txErrors, 1);
    assert.equal(dev.stats.txLastError, 'EINVAL');
    assert.equal(dev.stats.txPackets, 0);
    assert.equal(dev.stats.txSuperSegments, 0);
    dev.close();
  }
  // Nor one without a partial checksum, or larger than an IP packet.
  const dev = new TunDevice(recordingBackend(true));
  dev.send(new Uint8Array(30_000), false, 1448);
  dev.send(new Uint8Array(70_000), true, 1448);
  dev.flush();
  assert.equal(dev.stats.txErrors, 2);
  assert.equal(dev.stats.txPackets, 0);
  dev.close();
});

/** An IPv4 TCP super-segment of `n` payload bytes, its checksum partial, as the kernel hands one over. */
function superSegment(n: number): Uint8Array {
  const src = Uint8Array.of(10, 0, 0, 1);
  const dst = Uint8Array.of(10, 0, 0, 2);
  const out = new Uint8Array(40 + n);
  emitTcp({ srcPort: 5000, dstPort: 80, seq: 1000, ack: 1, flags: ACK | PSH, window: 500, urgent: 0, options: [], payload: new Uint8Array(n).fill(7) }, src, dst, out, 20, true);
  emitIpv4({ identification: 9, flags: { DF: true }, ttl: 64, protocol: 6, src, dst }, 20 + n, out);
  return out;
}

test("the kernel's super-segments go whole to an owner that takes them, and cut into their segments to one that does not", () => {
  for (const whole of [true, false]) {
    const b = recordingBackend(true);
    const dev = new TunDevice(b);
    const got: Array<[number, boolean | undefined]> = [];
    dev.onReceive = (p, valid) => got.push([p.length, valid]);
    dev.takesSuperSegments = whole;
    assert.ok(b.sink !== null);
    b.sink.batch();
    b.sink.packet(superSegment(3 * 1448 + 100), true, 1448);
    b.sink.packet(superSegment(100), true, 0);
    b.sink.batchEnd();
    if (whole) assert.deepEqual(got, [[40 + 3 * 1448 + 100, true], [140, true]]);
    else assert.deepEqual(got, [[1488, true], [1488, true], [1488, true], [140, true], [140, true]]);
    assert.equal(dev.stats.rxSuperSegments, 1);
    assert.equal(dev.stats.rxPackets, got.length);
    dev.close();
  }
});
