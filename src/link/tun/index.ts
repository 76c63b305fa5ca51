// Linux TUN devices for the stack: openTun() creates (or attaches to) a TUN
// interface and returns it as a NetDevice carrying bare IP packets.
//
// Two backends do the work. The native addon (native/tun.c, built at
// install time when a C compiler is present) is preferred: it watches the
// descriptor from the event loop and reads batches of packets into a reused
// buffer. Without it, Node opens /dev/net/tun itself and a python3 child
// that inherits the descriptor issues the ioctl and relays reads (slower,
// but needs nothing compiled).

import { AddonBackend } from './addon-backend.js';
import { loadAddon } from './addon.js';
import type { TunBackend } from './backend.js';
import { DEFAULT_TX_BATCH, TunDevice } from './device.js';
import { tunError } from './errors.js';
import { PythonBackend } from './python-backend.js';

export { TunDevice, DEFAULT_TX_BATCH, type TunDeviceStats } from './device.js';
export { type TunError, tunError } from './errors.js';
export { loadAddon, addonPath } from './addon.js';
export { HELPER_FAILED, pythonCommand } from './python-backend.js';

export interface TunOptions {
  /**
   * Interface name, at most 15 bytes; may hold one `%d` for the kernel to
   * number (default: the kernel's `tun%d`). An existing non-persistent name
   * in use fails with EBUSY unless both sides ask for multiQueue.
   */
  name?: string;
  /** Set the interface MTU (68..65535; IPv6 needs at least 1280). Default: leave the kernel's 1500. */
  mtu?: number;
  /** IFF_MULTI_QUEUE: each openTun() with the same name adds a queue; the kernel spreads flows across them. */
  multiQueue?: boolean;
  /** Set the interface's transmit queue length (the kernel's default 500 drops under load; 5000 does not). */
  txQueueLen?: number;
  /** 'auto' (default): the addon when built, else python3. */
  backend?: 'auto' | 'addon' | 'python';
  /** Most packets read per wake-up and written per batch (default 64). */
  batch?: number;
  /** The clone device (default /dev/net/tun). */
  path?: string;
  /**
   * Checksum offload through virtio headers (IFF_VNET_HDR with TUN_F_CSUM):
   * the kernel and synack leave TCP checksums of packets that never leave
   * the host uncomputed, as over a NIC that offloads them. Default true
   * with the addon (the python3 fallback has none); a kernel that refuses
   * it gets a plain TUN. See TunDevice.checksumOffload.
   */
  offload?: boolean;
  /**
   * Segmentation offload (only with checksum offload), both ways: trains
   * of TCP segments go to the kernel as one super-segment per write, which
   * it cuts as a NIC's TSO does, and the kernel's own super-segments are
   * read whole (TUN_F_TSO4 | TUN_F_TSO6) and cut here. Default true. See
   * TunDevice.gsoMaxSize.
   */
  tso?: boolean;
}

export const TUN_CLONE_DEVICE = '/dev/net/tun';

const IFNAMSIZ = 16;

function checkOptions(opts: TunOptions): void {
  const invalid = (message: string): never => {
    throw tunError('EINVAL', message);
  };
  const name = opts.name ?? '';
  if (Buffer.byteLength(name) >= IFNAMSIZ) invalid(`TUN interface name '${name}' is longer than ${IFNAMSIZ - 1} bytes`);
  if (/[\s/:]/.test(name) || name === '.' || name === '..') invalid(`TUN interface name '${name}' is not a valid interface name`);
  if (opts.mtu !== undefined && (!Number.isInteger(opts.mtu) || opts.mtu < 68 || opts.mtu > 65535)) {
    invalid(`TUN MTU must be a whole number from 68 to 65535, got ${opts.mtu}`);
  }
  if (opts.txQueueLen !== undefined && (!Number.isInteger(opts.txQueueLen) || opts.txQueueLen < 0 || opts.txQueueLen > 0x7fffffff)) {
    invalid(`TUN txQueueLen must be a non-negative whole number, got ${opts.txQueueLen}`);
  }
  if (opts.batch !== undefined && (!Number.isInteger(opts.batch) || opts.batch < 1 || opts.batch > 4096)) {
    invalid(`TUN batch must be a whole number from 1 to 4096, got ${opts.batch}`);
  }
}

/**
 * Create (or attach to) a TUN interface: IFF_TUN | IFF_NO_PI, so each read
 * and write carries exactly one bare IPv4 or IPv6 packet. The interface is
 * not brought up and has no address; configure it with ip(8). It lives as
 * long as the device is open.
 *
 * Rejects with an Error carrying `code`: EPERM/EACCES without root or
 * CAP_NET_ADMIN, ENOENT when /dev/net/tun is missing, EBUSY when the name is
 * taken, EINVAL for bad options, ENOTSUP off Linux.
 */
export async function openTun(opts: TunOptions = {}): Promise<TunDevice> {
  if (process.platform !== 'linux') {
    throw tunError('ENOTSUP', `TUN devices are Linux only; this is ${process.platform}`);
  }
  checkOptions(opts);
  const batch = opts.batch ?? DEFAULT_TX_BATCH;
  const common = {
    path: opts.path ?? TUN_CLONE_DEVICE,
    name: opts.name ?? '',
    multiQueue: opts.multiQueue ?? false,
    mtu: opts.mtu,
    txQueueLen: opts.txQueueLen,
    batch,
    offload: opts.offload ?? true,
    tso: opts.tso ?? true,
  };
  const want = opts.backend ?? 'auto';
  let backend: TunBackend;
  const { addon, reason } = want === 'python' ? { addon: null, reason: 'python backend asked for' } : loadAddon();
  if (addon !== null) {
    backend = AddonBackend.open(addon, common);
  } else if (want === 'addon') {
    throw tunError('ENOTSUP', `the TUN addon is not available: ${reason}`);
  } else {
    backend = await PythonBackend.open(common);
  }
  return new TunDevice(backend, batch, opts.tso ?? true);
}
