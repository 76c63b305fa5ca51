// A device wrapper that streams every packet it carries, both ways, into a
// pcap file as it goes (for real devices such as TUN, where the capture
// must be written while the stack runs rather than exported at the end).

import type { Clock } from '../stack/clock.js';
import { LINKTYPE_RAW } from '../trace/capture.js';
import { PcapWriter } from '../trace/pcap.js';
import type { NetDevice } from './device.js';

export interface PcapTapOptions {
  /** Stamps the records; microseconds, like every Clock. */
  clock: Clock;
  /** Receives the file a piece at a time: the 24-byte header first, then one piece per packet. */
  write: (chunk: Uint8Array) => void;
  /** Bytes kept of each packet (default 262144). */
  snaplen?: number;
  /** Write nanosecond-magic files (the fraction is still µs from the clock, times 1000). */
  nano?: boolean;
  /** Microseconds added to clock time (a virtual clock starting at 0 gives 1970 otherwise). */
  epochUs?: number;
  /** Which way to record: 'both' (default), 'out' (sent by the stack) or 'in' (received). */
  direction?: 'both' | 'out' | 'in';
}

const US_PER_SEC = 1_000_000;

/**
 * Wraps `inner`: the stack talks to the tap as it would to the device.
 * Devices carry bare IP packets, so the file's link type is RAW (101).
 */
export class PcapTap implements NetDevice {
  onReceive: ((packet: Uint8Array, checksumValid?: boolean, exclusive?: boolean) => void) | null = null;
  onReceiveBatchEnd: (() => void) | null = null;
  private readonly writer: PcapWriter;
  private readonly clock: Clock;
  private readonly write: (chunk: Uint8Array) => void;
  private readonly epochUs: number;
  private readonly recordOut: boolean;
  private readonly recordIn: boolean;
  private closed = false;

  constructor(
    private readonly inner: NetDevice,
    opts: PcapTapOptions,
  ) {
    const epochUs = opts.epochUs ?? 0;
    if (!Number.isSafeInteger(epochUs)) throw new RangeError(`PcapTap: epochUs must be a whole number of µs, got ${epochUs}`);
    const writerOpts: { linktype: number; snaplen?: number; nano?: boolean } = { linktype: LINKTYPE_RAW };
    if (opts.snaplen !== undefined) writerOpts.snaplen = opts.snaplen;
    if (opts.nano !== undefined) writerOpts.nano = opts.nano;
    this.writer = new PcapWriter(writerOpts);
    this.clock = opts.clock;
    this.write = opts.write;
    this.epochUs = epochUs;
    const direction = opts.direction ?? 'both';
    this.recordOut = direction !== 'in';
    this.recordIn = direction !== 'out';
    this.write(this.writer.header());
    // The writer copies what it records: a packet the device handed over
    // as exclusive stays so.
    inner.onReceive = (packet, checksumValid, exclusive) => {
      if (this.recordIn) this.capture(packet);
      this.onReceive?.(packet, checksumValid, exclusive);
    };
    if (inner.receiveBatches === true) inner.onReceiveBatchEnd = () => this.onReceiveBatchEnd?.();
  }

  /** The wrapped device's batches pass straight through. */
  get receiveBatches(): boolean {
    return this.inner.receiveBatches === true;
  }

  get mtu(): number {
    return this.inner.mtu;
  }

  /** The wrapped device's: with offload, TCP checksums are recorded as partial, as tcpdump on the device sees them. */
  get checksumOffload(): boolean {
    return this.inner.checksumOffload === true;
  }

  /** The wrapped device's: super-segments are recorded whole, as tcpdump on the device sees them. */
  get gsoMaxSize(): number {
    return this.inner.gsoMaxSize ?? 0;
  }

  /** Passed to the wrapped device: whether its owner takes received super-segments whole. */
  get takesSuperSegments(): boolean {
    return this.inner.takesSuperSegments === true;
  }

  set takesSuperSegments(v: boolean) {
    this.inner.takesSuperSegments = v;
  }

  send(packet: Uint8Array, partialChecksum?: boolean, gsoSize?: number): void {
    // Record before handing the packet on: once sent it belongs to the
    // device (DESIGN rule 7). The writer copies the bytes.
    if (this.recordOut) this.capture(packet);
    if (gsoSize !== undefined && gsoSize > 0) this.inner.send(packet, partialChecksum, gsoSize);
    else this.inner.send(packet, partialChecksum);
  }

  close(): void {
    this.closed = true;
    this.inner.onReceive = null;
    if (this.inner.onReceiveBatchEnd !== undefined) this.inner.onReceiveBatchEnd = null;
    this.inner.close();
  }

  private capture(packet: Uint8Array): void {
    if (this.closed) return;
    const us = Math.floor(this.clock.now()) + this.epochUs;
    const frac = ((us % US_PER_SEC) + US_PER_SEC) % US_PER_SEC;
    this.write(this.writer.record((us - frac) / US_PER_SEC, frac * 1000, packet));
  }
}
