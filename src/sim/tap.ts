// A capture tap on a simulated link or device: what tcpdump would have seen
// on that wire, stamped with virtual time.

import { LINKTYPE_RAW } from '../trace/capture.js';
import { writePcap } from '../trace/pcap.js';
import type { SimDevice } from './device.js';
import type { Link, LinkEvent } from './link.js';

/** Where on a link a tap looks. */
export type TapPoint =
  /** Packets as the sender puts them on the link (including ones the link later loses). */
  | 'send'
  /** Packets as the receiver takes them off the link (after loss, duplication, corruption). */
  | 'deliver';

export interface TapOptions {
  /**
   * Microseconds since the Unix epoch added to virtual time in the records,
   * so that a capture shows a plausible date (default 0: virtual time as is).
   */
  epochUs?: number;
  /** For a link tap: the end of the link to watch (default 'send'). */
  at?: TapPoint;
}

export interface TapRecord {
  /** Seconds since the epoch (virtual time + epochUs). */
  tsSec: number;
  /** Nanoseconds within the second. */
  tsNsec: number;
  /** Bytes on the wire. */
  len: number;
  /** A copy of the packet, taken when it was seen. */
  data: Uint8Array;
  /** Virtual time in µs when the packet was seen. */
  time: number;
  /** For a device tap: whether the device sent ('out') or received ('in') the packet; a link tap says 'out' at 'send' and 'in' at 'deliver'. */
  direction: 'out' | 'in';
}

const US_PER_SEC = 1_000_000;

export class Tap {
  private readonly recs: TapRecord[] = [];
  private readonly stops: Array<() => void> = [];
  private readonly epochUs: number;

  private constructor(opts: TapOptions) {
    const epochUs = opts.epochUs ?? 0;
    if (!Number.isSafeInteger(epochUs)) throw new RangeError(`Tap: epochUs must be a whole number of µs, got ${epochUs}`);
    this.epochUs = epochUs;
  }

  /** Record the packets at one end of `link`. */
  static onLink(link: Link, opts: TapOptions = {}): Tap {
    const tap = new Tap(opts);
    const kind = opts.at ?? 'send';
    tap.stops.push(
      // A tap records copies, so it keeps no packet it is shown.
      link.watch(
        (e) => {
          if (e.kind === kind) tap.add(e, kind === 'send' ? 'out' : 'in');
        },
        { keepsPackets: false },
      ),
    );
    return tap;
  }

  /**
   * Record what a device sends and what it receives, in the order they
   * happen, like tcpdump on that interface: outgoing packets when the device
   * puts them on its link, incoming ones when its link delivers them.
   */
  static onDevice(dev: SimDevice, opts: Omit<TapOptions, 'at'> = {}): Tap {
    const tap = new Tap(opts);
    tap.stops.push(
      dev.tx.watch(
        (e) => {
          if (e.kind === 'send') tap.add(e, 'out');
        },
        { keepsPackets: false },
      ),
      dev.rx.watch(
        (e) => {
          if (e.kind === 'deliver') tap.add(e, 'in');
        },
        { keepsPackets: false },
      ),
    );
    return tap;
  }

  /** The packets recorded so far, oldest first. */
  records(): readonly TapRecord[] {
    return this.recs.slice();
  }

  /** Stop recording (the records stay). */
  detach(): void {
    for (const stop of this.stops.splice(0)) stop();
  }

  /** Forget the records so far. */
  clear(): void {
    this.recs.length = 0;
  }

  /**
   * The records as a classic pcap file. Virtual time has microsecond
   * resolution, so the file uses microsecond timestamps unless `nano` is set.
   */
  toPcap(linktype = LINKTYPE_RAW, opts: { snaplen?: number; nano?: boolean } = {}): Uint8Array {
    return writePcap(this.recs, { linktype, ...opts });
  }

  private add(e: LinkEvent, direction: 'out' | 'in'): void {
    const total = e.time + this.epochUs;
    const tsSec = Math.floor(total / US_PER_SEC);
    // Virtual time is normally whole µs; round anything finer to the ns.
    const tsNsec = Math.min(999_999_999, Math.round((total - tsSec * US_PER_SEC) * 1000));
    this.recs.push({ tsSec, tsNsec, len: e.packet.length, data: e.packet.slice(), time: e.time, direction });
  }
}
