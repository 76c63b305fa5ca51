// Loading the native helper (native/tun.c, built by node-gyp into
// build/Release/synack_tun.node). It is optional: `loadAddon()` returns null
// when it was not built, and the device falls back to a python3 child.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The functions native/tun.c exports. */
export interface TunAddon {
  /**
   * Opens the clone device and attaches it (IFF_TUN | IFF_NO_PI, and with
   * `vnetHdr` IFF_VNET_HDR with checksum offload, TUN_F_CSUM, and with
   * `tso` TCP super-segments from the kernel too, TUN_F_TSO4 | TUN_F_TSO6);
   * returns [fd, interface name, whether the kernel took `tso`].
   */
  open(path: string, name: string, multiQueue: boolean, vnetHdr: boolean, tso: boolean): [number, string, boolean];
  /** Sets the MTU when `set` > 0; returns the MTU in force. */
  mtu(name: string, set: number): number;
  txQueueLen(name: string, len: number): void;
  close(fd: number): void;
  /**
   * 0, or the errno of the failed write. `mode`: see WRITE_PLAIN, WRITE_VNET,
   * WRITE_VNET_PARTIAL; `gsoSize` > 0 (WRITE_VNET_PARTIAL only): a TCP
   * super-segment the kernel cuts into segments of that many payload bytes.
   */
  write(fd: number, packet: Uint8Array, mode: number, gsoSize: number): number;
  /**
   * Writes packets[0..count), packet i in modes[i] (null: all WRITE_PLAIN)
   * with GSO size gso[i] (null: none); status receives [failed writes, last
   * errno, bytes written]; returns packets written.
   */
  writeBatch(fd: number, packets: readonly Uint8Array[], count: number, status: Int32Array, modes: Uint8Array | null, gso: Uint16Array | null): number;
  /**
   * Watches `fd` from the event loop; each time it is readable, reads up to
   * lengths.length packets back to back into `buf` (each read offered
   * `maxPacket` bytes) and calls `onBatch(count, errno)`.
   */
  startReader(fd: number, buf: ArrayBuffer, lengths: Uint32Array, maxPacket: number, onBatch: (count: number, errno: number) => void): ReaderHandle;
  stopReader(handle: ReaderHandle): void;
  refReader(handle: ReaderHandle, ref: boolean): void;
}

/** A write to a device without virtio headers. */
export const WRITE_PLAIN = 0;
/** A write behind a virtio_net_hdr without flags (the packet's checksums are complete). */
export const WRITE_VNET = 1;
/** A write behind a virtio_net_hdr; a TCP segment's checksum is partial (VIRTIO_NET_HDR_F_NEEDS_CSUM). */
export const WRITE_VNET_PARTIAL = 2;

/** Opaque handle to a native reader. */
export interface ReaderHandle {
  readonly __brand: 'ReaderHandle';
}

const ADDON_FILE = join('build', 'Release', 'synack_tun.node');

let cached: { addon: TunAddon | null; reason: string } | undefined;

/** Where the addon would be: the first build/Release/synack_tun.node above this module. */
export function addonPath(): string | null {
  const override = process.env['SYNACK_TUN_ADDON_PATH'];
  if (override !== undefined && override !== '') return override;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, ADDON_FILE);
    if (existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/**
 * The addon, or null with the reason it is unavailable. Setting
 * SYNACK_TUN_ADDON=0 in the environment disables it (the python3 fallback
 * is then used).
 */
export function loadAddon(): { addon: TunAddon | null; reason: string } {
  if (cached !== undefined) return cached;
  if (process.env['SYNACK_TUN_ADDON'] === '0') {
    cached = { addon: null, reason: 'disabled by SYNACK_TUN_ADDON=0' };
  } else if (process.platform !== 'linux') {
    cached = { addon: null, reason: `TUN devices are Linux only, this is ${process.platform}` };
  } else {
    const path = addonPath();
    if (path === null) {
      cached = { addon: null, reason: `${ADDON_FILE} not built (npm install builds it when a C compiler is present)` };
    } else {
      try {
        const require = createRequire(import.meta.url);
        cached = { addon: require(path) as TunAddon, reason: 'loaded' };
      } catch (e) {
        cached = { addon: null, reason: `${path} failed to load: ${e instanceof Error ? e.message : String(e)}` };
      }
    }
  }
  return cached;
}
