// TunDevice: a Linux TUN interface (IFF_TUN | IFF_NO_PI) seen as a NetDevice.
// Every read returns exactly one IP packet and every write sends exactly one.

import type { NetDevice } from '../device.js';
import { cutSuperSegment } from '../../wire/gso.js';
import { fillTransportChecksum } from '../../wire/offload.js';
import { packetSlab } from '../../wire/slab.js';
import type { BackendSink, TunBackend } from './backend.js';
import { tunError } from './errors.js';

export interface TunDeviceStats {
  /** Packets handed to `onReceive`, and their bytes. */
  rxPackets: number;
  rxBytes: number;
  /** Read wake-ups that delivered packets (rxPackets / rxBatches is the mean batch). */
  rxBatches: number;
  /** Packets read while nobody had set `onReceive` (dropped). */
  rxUnclaimed: number;
  /** TCP super-segments the kernel handed over (whole, or cut into the segments counted in rxPackets: see takesSuperSegments). */
  rxSuperSegments: number;
  /** Packets the kernel accepted, and their bytes. */
  txPackets: number;
  txBytes: number;
  /** TCP super-segments handed to the kernel with a GSO size (see gsoMaxSize); refused ones count in txErrors too. */
  txSuperSegments: number;
  /** Writes that went out together in one call to the backend. */
  txBatches: number;
  /** Writes the kernel refused (EINVAL for a packet that is neither IPv4 nor IPv6, EIO while the link is down, ...). */
  txErrors: number;
  /** errno name of the last refused write ('' if none). */
  txLastError: string;
  /** Packets given to `send()` after `close()` (dropped). */
  txAfterClose: number;
}

/** sendBatch()'s packets: complete checksums, one segment each. */
const NONE_PARTIAL: readonly boolean[] = [];
const NONE_GSO: readonly number[] = [];

/** The largest super-segment sent with a GSO size: an IP packet's most (Linux's GSO_MAX_SIZE is 65536). */
const GSO_MAX_SIZE = 65535;

/** Most packets queued by `send()` before they are written without waiting for the end of the tick. */
export const DEFAULT_TX_BATCH = 64;

export class TunDevice implements NetDevice {
  onReceive: ((packet: Uint8Array, checksumValid?: boolean) => void) | null = null;
  /** What one read wake-up brought is one batch, ended by `onReceiveBatchEnd`. */
  readonly receiveBatches = true;
  onReceiveBatchEnd: (() => void) | null = null;
  /** The owner takes the kernel's super-segments whole (NetDevice.takesSuperSegments); otherwise they are cut here. */
  takesSuperSegments = false;
  /**
   * Called when reading stops for good (the interface was deleted under us,
   * the fallback reader died). When null, the error becomes a process warning.
   */
  onError: ((err: Error) => void) | null = null;
  readonly stats: TunDeviceStats = {
    rxPackets: 0,
    rxBytes: 0,
    rxBatches: 0,
    rxUnclaimed: 0,
    rxSuperSegments: 0,
    txPackets: 0,
    txBytes: 0,
    txSuperSegments: 0,
    txBatches: 0,
    txErrors: 0,
    txLastError: '',
    txAfterClose: 0,
  };
  /** Resolves once the descriptor is released everywhere (the fallback's helper has exited). */
  readonly closed: Promise<void>;
  private resolveClosed: () => void = () => {};
  private isClosed = false;
  private readonly queue: Uint8Array[] = [];
  /** queuePartial[i]: queue[i] is a TCP segment with a partial checksum. */
  private readonly queuePartial: boolean[] = [];
  /** queueGso[i]: queue[i] is a super-segment of segments of this many payload bytes (0: one segment). */
  private readonly queueGso: number[] = [];
  private flushScheduled = false;
  private readonly txBatch: number;

  /** @internal use openTun() */
  constructor(
    private readonly backend: TunBackend,
    txBatch = DEFAULT_TX_BATCH,
    segmentationOffload = true,
  ) {
    this.txBatch = txBatch;
    this.gsoMaxSize = segmentationOffload && backend.checksumOffload ? GSO_MAX_SIZE : 0;
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    backend.start(this.sink);
  }

  /** The interface name (`tun0`, or the name asked for). */
  get name(): string {
    return this.backend.name;
  }

  /** The interface MTU when the device was opened. */
  get mtu(): number {
    return this.backend.mtu;
  }

  /** The descriptor attached to the interface. */
  get fd(): number {
    return this.backend.fd;
  }

  /**
   * Checksum offload through virtio headers (IFF_VNET_HDR, TUN_F_CSUM; the
   * addon backend, unless `offload: false`): TCP segments may be sent with
   * only the pseudo-header sum in their checksum (`send(packet, true)`),
   * and received TCP/UDP packets the kernel vouches for arrive with
   * `checksumValid` (their checksum may be partial). Neither side then
   * sums the data, as with a NIC that offloads checksums.
   */
  get checksumOffload(): boolean {
    return this.backend.checksumOffload;
  }

  /**
   * Segmentation offload through virtio headers (VIRTIO_NET_HDR_GSO_TCPV4
   * and TCPV6; only with checksum offload, unless `tso: false`): a TCP
   * super-segment of up to this many bytes, its checksum partial, may be
   * sent with a GSO size (`send(packet, true, gsoSize)`), and the kernel
   * cuts it into segments of that many payload bytes if it leaves the host
   * (a local socket takes it whole), as a NIC's TSO does: one write for a
   * train of segments. 0: none.
   */
  readonly gsoMaxSize: number;

  /**
   * The kernel may hand over its TCP super-segments (it took TUN_F_TSO4 |
   * TUN_F_TSO6; the addon backend with `tso`): whole to an owner that
   * takes them (takesSuperSegments), cut into the segments they stand for
   * for others (stats.rxSuperSegments).
   */
  get readsSuperSegments(): boolean {
    return this.backend.receivesSuperSegments;
  }

  /** Which backend moves the packets: the native addon or the python3-assisted fallback. */
  get backendKind(): 'addon' | 'python' {
    return this.backend.kind;
  }

  get isOpen(): boolean {
    return !this.isClosed;
  }

  private readonly sink: BackendSink = {
    batch: (): void => {
      this.stats.rxBatches++;
    },
    batchEnd: (): void => {
      this.onReceiveBatchEnd?.();
    },
    packet: (packet: Uint8Array, checksumValid: boolean, gsoSize: number): boolean => {
      if (this.isClosed) return false;
      const handler = this.onReceive;
      if (handler === null) {
        this.stats.rxUnclaimed++;
        return true;
      }
      // A TCP super-segment from the kernel (it was offered TSO) goes on
      // whole to an owner that takes them; for others it is cut into the
      // segments it stands for, taken as if read one by one (one that
      // cannot be cut goes on whole).
      if (gsoSize > 0) {
        this.stats.rxSuperSegments++;
        if (!this.takesSuperSegments && cutSuperSegment(packet, gsoSize, packetSlab, (segment) => this.deliver(handler, segment, checksumValid)) > 0) return !this.isClosed;
      }
      this.deliver(handler, packet, checksumValid);
      return !this.isClosed;
    },
    error: (err: Error): void => {
      if (this.isClosed) return;
      if (this.onError !== null) this.onError(err);
      else process.emitWarning(err);
    },
  };

  private deliver(handler: (packet: Uint8Array, checksumValid?: boolean) => void, packet: Uint8Array, checksumValid: boolean): void {
    if (this.isClosed) return;
    this.stats.rxPackets++;
    this.stats.rxBytes += packet.length;
    handler(packet, checksumValid);
  }

  /**
   * Transmit one IP packet; ownership passes to the device (the caller must
   * not write to it afterwards). Packets sent in one tick are written
   * together at its end (or as soon as a batch is full): one call into the
   * backend, one write(2) per packet. Never throws: refused packets are
   * counted in `stats.txErrors`. `partialChecksum`: a TCP segment whose
   * checksum field holds only the pseudo-header sum; the kernel completes
   * it if the packet leaves the host (on a device without offload it is
   * completed here). `gsoSize` > 0: a TCP super-segment (see gsoMaxSize),
   * with a partial checksum; refused (txErrors, EINVAL) where the device
   * has no segmentation offload.
   */
  send(packet: Uint8Array, partialChecksum = false, gsoSize = 0): void {
    if (this.isClosed) {
      this.stats.txAfterClose++;
      return;
    }
    if (gsoSize > 0 && (this.gsoMaxSize === 0 || !partialChecksum || packet.length > this.gsoMaxSize)) {
      // Not the device's to cut (NetDevice.gsoMaxSize): refused as the kernel would refuse it.
      this.stats.txErrors++;
      this.stats.txLastError = 'EINVAL';
      return;
    }
    if (partialChecksum && !this.backend.checksumOffload) {
      fillTransportChecksum(packet);
      partialChecksum = false;
    }
    this.queue.push(packet);
    this.queuePartial.push(partialChecksum);
    this.queueGso.push(gsoSize);
    if (this.queue.length >= this.txBatch) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flushTask);
    }
  }

  /** Transmit several packets now, after anything already queued; ownership passes as with send(). */
  sendBatch(packets: readonly Uint8Array[]): void {
    if (this.isClosed) {
      this.stats.txAfterClose += packets.length;
      return;
    }
    this.flush();
    if (packets.length === 0) return;
    this.account(packets, packets.length, NONE_PARTIAL, NONE_GSO);
  }

  /** Write whatever send() has queued, now. */
  flush(): void {
    const n = this.queue.length;
    if (n === 0 || this.isClosed) return;
    this.account(this.queue, n, this.queuePartial, this.queueGso);
    this.queue.length = 0;
    this.queuePartial.length = 0;
    this.queueGso.length = 0;
  }

  private readonly flushTask = (): void => {
    this.flushScheduled = false;
    this.flush();
  };

  private account(packets: readonly Uint8Array[], n: number, partial: readonly boolean[], gso: readonly number[]): void {
    const stats = this.stats;
    stats.txBatches++;
    if (n === 1) {
      const p = packets[0]!;
      const err = this.backend.write(p, partial[0] === true, gso[0] ?? 0);
      if (err === '') {
        stats.txPackets++;
        stats.txBytes += p.length;
        if ((gso[0] ?? 0) > 0) stats.txSuperSegments++;
      } else {
        stats.txErrors++;
        stats.txLastError = err;
      }
      return;
    }
    for (let i = 0; i < n; i++) if ((gso[i] ?? 0) > 0) stats.txSuperSegments++;
    const r = this.backend.writeBatch(packets, n, partial, gso);
    stats.txPackets += r.written;
    stats.txBytes += r.bytes;
    if (r.failed !== 0) {
      stats.txErrors += r.failed;
      stats.txLastError = r.lastError;
    }
  }

  /** Let the process exit while the device is open (like net.Socket#unref). */
  unref(): this {
    this.backend.setRef(false);
    return this;
  }

  /** Undo unref(): an open device keeps the process alive (the default). */
  ref(): this {
    this.backend.setRef(true);
    return this;
  }

  /**
   * Write what is queued, stop reading and release the descriptor. A
   * non-persistent interface disappears with its last descriptor; await
   * `closed` to know that has happened.
   */
  close(): void {
    if (this.isClosed) return;
    this.flush();
    this.isClosed = true;
    this.onReceive = null;
    this.onReceiveBatchEnd = null;
    this.queue.length = 0;
    this.queuePartial.length = 0;
    this.queueGso.length = 0;
    this.backend.close().then(this.resolveClosed, (e: unknown) => {
      process.emitWarning(tunError('EIO', `closing TUN interface '${this.name}': ${e instanceof Error ? e.message : String(e)}`));
      this.resolveClosed();
    });
  }
}
