// What a TunDevice needs from the code that actually moves packets: the
// native addon (preferred) or the python3-assisted fallback.

import { constants } from 'node:os';

/** Receives what a backend reads. */
export interface BackendSink {
  /** A wake-up of the reader: the packets that follow, up to the next batch(), were read together. */
  batch(): void;
  /** One packet, in a buffer the receiver now owns. Returns false to stop the current batch (the device closed). */
  packet(packet: Uint8Array): boolean;
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
  start(sink: BackendSink): void;
  /** Writes one packet: '' on success, else the errno name. */
  write(packet: Uint8Array): string;
  /** Writes packets[0..count), one write each (a TUN write is one packet). */
  writeBatch(packets: readonly Uint8Array[], count: number): WriteResult;
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
