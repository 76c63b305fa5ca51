import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PcapTap } from '../../src/link/pcap-tap.js';
import type { NetDevice } from '../../src/link/device.js';
import type { Clock, TimerHandle } from '../../src/stack/clock.js';
import { readPcap } from '../../src/trace/pcap.js';
import { concat, pattern } from './pcap-fixtures.js';

class FakeDevice implements NetDevice {
  readonly mtu = 1280;
  sent: Uint8Array[] = [];
  closed = false;
  onReceive: ((packet: Uint8Array) => void) | null = null;
  send(packet: Uint8Array): void {
    this.sent.push(packet);
  }
  close(): void {
    this.closed = true;
  }
}

class FakeClock implements Clock {
  t = 0;
  now(): number {
    return this.t;
  }
  setTimer(): TimerHandle {
    return { cancel() {} };
  }
}

function setup(opts: { direction?: 'both' | 'in' | 'out'; snaplen?: number; nano?: boolean; epochUs?: number } = {}) {
  const dev = new FakeDevice();
  const clock = new FakeClock();
  const chunks: Uint8Array[] = [];
  const tap = new PcapTap(dev, { clock, write: (c) => chunks.push(c), ...opts });
  return { dev, clock, chunks, tap };
}

test('both directions are recorded in order, as a RAW pcap stamped by the clock', () => {
  const { dev, clock, chunks, tap } = setup({ epochUs: 1_700_000_000_000_000 });
  const got: Uint8Array[] = [];
  tap.onReceive = (p) => got.push(p);
  assert.equal(tap.mtu, 1280);
  assert.equal(chunks.length, 1, 'the file header is written at once');

  clock.t = 1_500_000;
  const out = pattern(40, 0x45);
  tap.send(out);
  clock.t = 2_000_007;
  const inbound = pattern(60, 0x60);
  dev.onReceive!(inbound);

  assert.deepEqual(dev.sent, [out]);
  assert.deepEqual(got, [inbound]);
  const f = readPcap(concat(...chunks));
  assert.equal(f.error, undefined);
  assert.equal(f.linktype, 101);
  assert.equal(f.nanoPrecision, false);
  assert.deepEqual(
    f.records.map((r) => [r.tsSec, r.tsNsec, r.len, [...r.data]]),
    [
      [1_700_000_001, 500_000_000, 40, [...out]],
      [1_700_000_002, 7_000, 60, [...inbound]],
    ],
  );
});

test('the capture is a copy taken before the device owns the packet', () => {
  const { dev, chunks, tap } = setup();
  const buf = pattern(8);
  tap.send(buf);
  dev.sent[0]!.fill(0);
  assert.deepEqual([...readPcap(concat(...chunks)).records[0]!.data], [0, 1, 2, 3, 4, 5, 6, 7]);
});

test('direction filter, snaplen and ns magic', () => {
  const { dev, chunks, tap } = setup({ direction: 'in', snaplen: 4, nano: true });
  tap.send(pattern(10));
  dev.onReceive!(pattern(10, 100));
  const f = readPcap(concat(...chunks));
  assert.equal(f.nanoPrecision, true);
  assert.equal(f.snaplen, 4);
  assert.deepEqual(
    f.records.map((r) => [r.len, [...r.data]]),
    [[10, [100, 101, 102, 103]]],
  );
  assert.equal(dev.sent.length, 1, 'an unrecorded packet is still sent');
});

test('close closes the device and stops recording', () => {
  const { dev, chunks, tap } = setup();
  tap.close();
  assert.equal(dev.closed, true);
  assert.equal(dev.onReceive, null);
  assert.equal(chunks.length, 1);
});

test("a batching device's batches pass through the tap; a device without batches gets no batch hook", () => {
  class BatchingDevice extends FakeDevice {
    readonly receiveBatches = true;
    onReceiveBatchEnd: (() => void) | null = null;
  }
  const dev = new BatchingDevice();
  const tap = new PcapTap(dev, { clock: new FakeClock(), write: () => {} });
  assert.equal(tap.receiveBatches, true);
  const log: string[] = [];
  tap.onReceive = () => log.push('packet');
  tap.onReceiveBatchEnd = () => log.push('end');
  dev.onReceive!(pattern(40, 0x45));
  dev.onReceive!(pattern(40, 0x45));
  dev.onReceiveBatchEnd!();
  assert.deepEqual(log, ['packet', 'packet', 'end']);
  tap.close();
  assert.equal(dev.onReceiveBatchEnd, null);

  const plain = new FakeDevice();
  const plainTap = new PcapTap(plain, { clock: new FakeClock(), write: () => {} });
  assert.equal(plainTap.receiveBatches, false);
  assert.equal('onReceiveBatchEnd' in plain, false);
});
