// What a TunDevice needs from the code that actually moves packets: the
// native addon (preferred) or the python3-assisted fallback.

import { constants } from 'node:os';

/** Receives what a backend reads. */
export interface BackendSink {
  /** A wake-up of the reader: the packets that follow, up to batchEnd(), were read together. */
  batch(): void;
  /** The end of a batch begun by batch(); always called, even when the batch stopped early. */
  batchEnd(): void;
  /**
   * One packet, in a buffer the receiver now owns; `checksumValid`: the
   * kernel vouches for its TCP/UDP checksum (it may hold only the
   * pseudo-header sum); `gsoSize` > 0: a TCP super-segment to be cut into
   * segments of that many payload bytes. Returns false to stop the current
   * batch (the device closed).
   */
  packet(packet: Uint8Array, checksumValid: boolean, gsoSize: number): boolean;
  /** A read failed for good; the backend has stopped reading. */
  error(err: Error): void;
}

export interface WriteResult {
  written: number;
  /** Bytes of the packets written. */
  bytes: number;
  failed: number;
  /** errno name of the last failure ('' when none failed). */
  lastError: string;
}

export interface TunBackend {
  readonly kind: 'addon' | 'python';
  /** The descriptor attached to the interface. */
  readonly fd: number;
  /** The interface name the kernel gave. */
  readonly name: string;
  /** MTU of the interface when it was opened. */
  readonly mtu: number;
  /** Virtio headers with checksum offload are in use (see TunDevice.checksumOffload). */
  readonly checksumOffload: boolean;
  /** The kernel may hand over TCP super-segments (see TunDevice.gsoMaxSize). */
  readonly receivesSuperSegments: boolean;
  start(sink: BackendSink): void;
  /**
   * Writes one packet: '' on success, else the errno name. `partial`: its
   * TCP checksum is the pseudo-header sum only (offload only); `gsoSize` >
   * 0 (with `partial`): a TCP super-segment for the kernel to cut into
   * segments of that many payload bytes.
   */
  write(packet: Uint8Array, partial: boolean, gsoSize: number): string;
  /** Writes packets[0..count), one write each (a TUN write is one packet); partial[i] and gso[i] as write()'s. */
  writeBatch(packets: readonly Uint8Array[], count: number, partial: readonly boolean[], gso: readonly number[]): WriteResult;
  /** Whether the open device keeps the event loop alive. */
  setRef(ref: boolean): void;
  /** Stops reading and releases the descriptor; resolves when every holder has let it go. */
  close(): Promise<void>;
}

const errnoNames = new Map<number, string>();
for (const [name, value] of Object.entries(constants.errno)) {
  if (!errnoNames.has(value)) errnoNames.set(value, name);
}

/** 'EIO' for 5, and so on (positive errno numbers, as C reports them). */
export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `errno ${errno}`;
}
