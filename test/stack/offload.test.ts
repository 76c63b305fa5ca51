// Checksum offload between the stack and a device (what a TUN with virtio
// headers gives): TCP segments go out with only the pseudo-header sum in
// their checksum and a send() flag saying so; packets the device vouches
// for are not verified (their checksum may be partial); everything else
// still is.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { B4 } from './helpers.js';
import { VirtualClock } from '../../src/sim/virtual-clock.js';
import { Rng } from '../../src/sim/rng.js';
import { createLinkPair } from '../../src/sim/device.js';
import { Stack } from '../../src/stack/stack.js';
import { parseAddress } from '../../src/stack/addr.js';
import type { NetDevice } from '../../src/link/device.js';
import type { SimDevice } from '../../src/sim/device.js';
import { fillTransportChecksum } from '../../src/wire/offload.js';
import { onesComplementSum, pseudoHeaderSum } from '../../src/wire/checksum.js';

/** A device offering offload in front of a simulated one: it completes checksums on the way out, and on the way in leaves only the pseudo-header sum, vouching for the packet. */
class OffloadDevice implements NetDevice {
  readonly checksumOffload = true;
  onReceive: ((packet: Uint8Array, checksumValid?: boolean) => void) | null = null;
  partialOut = 0;
  fullOut = 0;
  /** Whether to vouch for the packets it hands over with pseudo-header-only checksums. */
  vouch = true;

  constructor(private readonly inner: SimDevice) {
    inner.onReceive = (p) => {
      if (p[9] === 6) {
        // As the kernel hands over a local segment: the pseudo-header sum in the field.
        const l3 = (p[0]! & 0x0f) * 4;
        const ps = pseudoHeaderSum(p.subarray(12, 16), p.subarray(16, 20), 6, p.length - l3);
        p[l3 + 16] = ps >>> 8;
        p[l3 + 17] = ps & 0xff;
        if (this.vouch) this.onReceive?.(p, true);
        else this.onReceive?.(p);
      } else this.onReceive?.(p);
    };
  }

  get mtu(): number {
    return this.inner.mtu;
  }

  send(packet: Uint8Array, partialChecksum?: boolean): void {
    if (packet[9] === 6) {
      const l3 = (packet[0]! & 0x0f) * 4;
      if (partialChecksum === true) {
        this.partialOut++;
        const ps = pseudoHeaderSum(packet.subarray(12, 16), packet.subarray(16, 20), 6, packet.length - l3);
        assert.equal((packet[l3 + 16]! << 8) | packet[l3 + 17]!, ps, 'a partial checksum is the pseudo-header sum');
        assert.equal(fillTransportChecksum(packet), true);
      } else this.fullOut++;
      // Whatever was sent, a complete checksum leaves the device.
      assert.equal(onesComplementSum(packet, l3, packet.length, pseudoHeaderSum(packet.subarray(12, 16), packet.subarray(16, 20), 6, packet.length - l3)), 0xffff);
    }
    this.inner.send(packet);
  }

  close(): void {
    this.inner.close();
  }
}

test('checksum offload: segments leave with partial checksums for the device to complete; vouched-for packets are taken unverified', () => {
  const clock = new VirtualClock();
  const rng = new Rng(5);
  const link = createLinkPair(clock, rng.fork('link'), { ab: { delay: 1000 }, ba: { delay: 1000 } });
  const a = new Stack({ clock, random: rng.fork('a') });
  const b = new Stack({ clock, random: rng.fork('b') });
  // Stack a's interface goes through the offloading device.
  const dev = new OffloadDevice(link.a);
  a.addInterface({ device: dev, addresses: '10.0.0.1/24' });
  b.addInterface({ device: link.b, addresses: `${B4}/24` });
  const l = b.tcpListen({ port: 9 });
  let got = 0;
  l.onConnection = (ep) => {
    ep.handler = (ev) => {
      if (ev.type === 'readable') for (let d = ep.read(); d !== null; d = ep.read()) got += d.length;
    };
  };
  const c = a.tcpConnect({ remoteAddr: parseAddress(B4)!, remotePort: 9 });
  const data = new Uint8Array(200_000).fill(3);
  let sent = 0;
  c.handler = (ev) => {
    if (ev.type === 'established' || ev.type === 'writable') sent += c.send(data.subarray(sent));
  };
  clock.runFor(2_000_000);
  assert.equal(got, data.length);
  assert.ok(dev.partialOut > 100, `partial segments: ${dev.partialOut}`);
  assert.equal(dev.fullOut, 0, 'every TCP segment through the device had a partial checksum');
  assert.ok(a.stats.tcpOutCut > 50, `segments cut from trains: ${a.stats.tcpOutCut}`);
  // b's segments arrived with only the pseudo-header sum, vouched for: none was dropped as bad.
  assert.equal(a.stats.drops.badChecksum, 0);
  assert.ok(a.stats.tcpIn > 50);

  // Not vouched for, the same pseudo-header-only checksums are bad:
  // verification is skipped only on the device's word.
  dev.vouch = false;
  const before = got;
  c.send(new Uint8Array(10_000));
  clock.runFor(500_000);
  assert.ok(a.stats.drops.badChecksum > 0, 'unvouched partial checksums are dropped');
  // Nothing from b gets through now (its ACKs are dropped), so a keeps retransmitting; b did get the data.
  assert.equal(got, before + 10_000);
  assert.ok(c.conn.stats.retransmits > 0);
});
