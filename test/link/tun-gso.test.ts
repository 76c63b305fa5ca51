// TunDevice's segmentation offload, against a backend that records what it
// is asked to write (the kernel's side is in test/interop/bulk.test.ts,
// where synack sends to nc and socat through super-segments).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TunDevice } from '../../src/link/tun/device.js';
import type { BackendSink, TunBackend, WriteResult } from '../../src/link/tun/backend.js';

interface Written {
  packet: Uint8Array;
  partial: boolean;
  gso: number;
}

function recordingBackend(checksumOffload: boolean): TunBackend & { written: Written[] } {
  const written: Written[] = [];
  return {
    kind: 'addon',
    fd: -1,
    name: 'tunfake',
    mtu: 1500,
    checksumOffload,
    receivesSuperSegments: checksumOffload,
    written,
    start(_sink: BackendSink): void {},
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
