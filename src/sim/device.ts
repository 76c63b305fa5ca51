// Simulated network devices: the two ends of a point-to-point path made of
// two one-way Links, seen by a stack as ordinary NetDevices.

import type { NetDevice } from '../link/device.js';
import type { Clock } from '../stack/clock.js';
import { Link, type LinkOptions } from './link.js';
import type { Rng } from './rng.js';

/** MTU of a link pair when none is given (Ethernet's). */
export const DEFAULT_SIM_MTU = 1500;

export interface SimDeviceStats {
  /** Packets handed to `send()` while open, and their bytes. */
  txPackets: number;
  txBytes: number;
  /** Packets handed to `onReceive`, and their bytes. */
  rxPackets: number;
  rxBytes: number;
  /** Packets `send()` refused because the device was closed. */
  txAfterClose: number;
  /** Packets that arrived while nobody had set `onReceive`. */
  rxUnclaimed: number;
}

export class SimDevice implements NetDevice {
  onReceive: ((packet: Uint8Array, checksumValid?: boolean, exclusive?: boolean) => void) | null = null;
  /** The link's batches (each packet alone unless its options say `batch`) end with `onReceiveBatchEnd`. */
  readonly receiveBatches = true;
  onReceiveBatchEnd: (() => void) | null = null;
  readonly stats: SimDeviceStats = { txPackets: 0, txBytes: 0, rxPackets: 0, rxBytes: 0, txAfterClose: 0, rxUnclaimed: 0 };
  private closed = false;

  /**
   * @param tx the link this device transmits on
   * @param rx the link whose packets this device receives (the device
   *           becomes that link's receiver)
   */
  constructor(
    readonly tx: Link,
    readonly rx: Link,
    readonly mtu: number = DEFAULT_SIM_MTU,
    readonly name = 'sim',
  ) {
    rx.receiver = (packet, exclusive) => this.receive(packet, exclusive);
    rx.batchEnd = () => this.onReceiveBatchEnd?.();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Transmit one IP packet. Ownership of `packet` passes to the device (and
   * the link): the caller must not modify it afterwards. The peer receives
   * this same buffer, except that the extra copy of a duplicated packet and
   * a corrupted packet are fresh buffers: whatever the receiving stack does
   * to one delivery cannot change another one, nor the sender's bytes. A packet longer than the path MTU is dropped and counted by
   * the link (`tx.stats.dropped.mtu`), as a real interface would refuse it.
   */
  send(packet: Uint8Array): void {
    if (this.closed) {
      this.stats.txAfterClose++;
      return;
    }
    this.stats.txPackets++;
    this.stats.txBytes += packet.length;
    this.tx.send(packet);
  }

  /**
   * Stop sending and receiving. Packets still in flight towards this device
   * are dropped on arrival (the link counts them as 'noReceiver').
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onReceive = null;
    this.onReceiveBatchEnd = null;
    this.rx.receiver = null;
    this.rx.batchEnd = null;
  }

  /** `exclusive`: the link showed the packet to nobody (Link.receiver). */
  private receive(packet: Uint8Array, exclusive: boolean): void {
    const handler = this.onReceive;
    if (handler === null) {
      this.stats.rxUnclaimed++;
      return;
    }
    this.stats.rxPackets++;
    this.stats.rxBytes += packet.length;
    handler(packet, false, exclusive);
  }
}

export interface LinkPairOptions {
  /** Impairments of the a → b direction. */
  ab?: LinkOptions;
  /** Impairments of the b → a direction. */
  ba?: LinkOptions;
  /** MTU of both devices, and of both links unless `ab`/`ba` set their own (default 1500). */
  mtu?: number;
}

export interface LinkPair {
  a: SimDevice;
  b: SimDevice;
  /** The link carrying what `a` sends to `b`. */
  ab: Link;
  /** The link carrying what `b` sends to `a`. */
  ba: Link;
}

/**
 * Two devices joined by a pair of links. Each link draws its randomness
 * from its own fork of `rng` (labelled 'ab' and 'ba'), so the two
 * directions are independent and a run replays from the seed of `rng`.
 */
export function createLinkPair(clock: Clock, rng: Rng, opts: LinkPairOptions = {}): LinkPair {
  const mtu = opts.mtu ?? DEFAULT_SIM_MTU;
  const ab = new Link(clock, rng.fork('ab'), { ...opts.ab, mtu: opts.ab?.mtu ?? mtu });
  const ba = new Link(clock, rng.fork('ba'), { ...opts.ba, mtu: opts.ba?.mtu ?? mtu });
  const a = new SimDevice(ab, ba, mtu, 'a');
  const b = new SimDevice(ba, ab, mtu, 'b');
  return { a, b, ab, ba };
}
