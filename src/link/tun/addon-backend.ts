// The preferred backend: native/tun.c opens and attaches the device, watches
// it from the event loop (uv_poll) and reads batches into one reused buffer.

import { WRITE_PLAIN, WRITE_VNET, WRITE_VNET_PARTIAL, type ReaderHandle, type TunAddon } from './addon.js';
import { errnoName, type BackendSink, type TunBackend, type WriteResult } from './backend.js';
import { errorCode, openError, tunError } from './errors.js';

/** Room offered to every read: the largest IPv4/IPv6 packet without jumbograms, so none is ever cut short. */
export const MAX_PACKET = 65536;
/** sizeof(struct virtio_net_hdr): what IFF_VNET_HDR puts before every packet. */
export const VNET_HDR = 10;
/** virtio_net_hdr flags (linux/virtio_net.h): the checksum is left to us / was verified by the host. */
const VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
const VIRTIO_NET_HDR_F_DATA_VALID = 2;
/** virtio_net_hdr gso_type: none (a super-segment of TCP over IPv4 or IPv6 otherwise; ECN bit 0x80). */
const VIRTIO_NET_HDR_GSO_NONE = 0;
/** Whether this host is little-endian: a legacy virtio_net_hdr's 16-bit fields are in its order (the kernel's default on TUN). */
const HOST_LE = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

export interface AddonOpenOptions {
  path: string;
  name: string;
  multiQueue: boolean;
  mtu: number | undefined;
  txQueueLen: number | undefined;
  batch: number;
  /** IFF_VNET_HDR with checksum offload (TUN_F_CSUM). */
  offload: boolean;
  /** With offload: TCP super-segments from the kernel too (TUN_F_TSO4 | TUN_F_TSO6). */
  tso: boolean;
}

export class AddonBackend implements TunBackend {
  readonly kind = 'addon';
  private reader: ReaderHandle | null = null;
  private readonly buf: Uint8Array;
  private readonly lengths: Uint32Array;
  private readonly status = new Int32Array(3);
  private sink: BackendSink | null = null;
  private referenced = true;
  private closed = false;

  private constructor(
    private readonly addon: TunAddon,
    readonly fd: number,
    readonly name: string,
    readonly mtu: number,
    batch: number,
    readonly checksumOffload: boolean,
    /** The kernel may hand over TCP super-segments (TUN_F_TSO4 | TUN_F_TSO6 were accepted). */
    readonly receivesSuperSegments: boolean,
  ) {
    // Packets are read back to back; the batch ends when fewer than
    // one read's room remains, so size the buffer for `batch` packets of
    // the MTU plus one read's worth of room.
    this.hdr = checksumOffload ? VNET_HDR : 0;
    this.buf = new Uint8Array(MAX_PACKET + this.hdr + batch * (Math.max(mtu, 1500) + this.hdr));
    this.lengths = new Uint32Array(batch);
    this.modes = checksumOffload ? new Uint8Array(batch) : null;
    this.gsoSizes = new Uint16Array(checksumOffload ? batch : 0);
  }

  /** Bytes before each packet read or written (the virtio_net_hdr, or none). */
  private readonly hdr: number;
  /** Per-packet write modes for writeBatch (null without virtio headers). */
  private modes: Uint8Array | null;
  /** Per-packet GSO sizes for writeBatch (0: one segment). */
  private gsoSizes: Uint16Array;

  static open(addon: TunAddon, opts: AddonOpenOptions): AddonBackend {
    let fd: number;
    let name: string;
    let offload = opts.offload;
    let tso = false;
    try {
      try {
        [fd, name, tso] = addon.open(opts.path, opts.name, opts.multiQueue, offload, offload && opts.tso);
      } catch (e) {
        // A kernel or an existing multi-queue interface without virtio
        // headers: open as a plain TUN.
        if (!offload || errorCode(e) === 'EPERM' || errorCode(e) === 'EACCES' || errorCode(e) === 'ENOENT') throw e;
        offload = false;
        [fd, name, tso] = addon.open(opts.path, opts.name, opts.multiQueue, false, false);
      }
    } catch (e) {
      const syscall = typeof e === 'object' && e !== null && 'syscall' in e ? String((e as { syscall: unknown }).syscall) : '';
      throw openError(e, syscall === 'open' ? 'open' : 'attach', opts.path, opts.name);
    }
    try {
      if (opts.txQueueLen !== undefined) addon.txQueueLen(name, opts.txQueueLen);
      const mtu = addon.mtu(name, opts.mtu ?? 0);
      return new AddonBackend(addon, fd, name, mtu, opts.batch, offload, tso);
    } catch (e) {
      addon.close(fd);
      throw tunError(errorCode(e) ?? 'EUNKNOWN', `TUN interface '${name}': ${e instanceof Error ? e.message : String(e)}`, { syscall: 'ioctl' });
    }
  }

  start(sink: BackendSink): void {
    if (this.closed || this.reader !== null) return;
    this.sink = sink;
    this.reader = this.addon.startReader(this.fd, this.buf.buffer as ArrayBuffer, this.lengths, MAX_PACKET + this.hdr, this.onBatch);
    if (!this.referenced) this.addon.refReader(this.reader, false);
  }

  private readonly onBatch = (count: number, errno: number): void => {
    const sink = this.sink;
    if (sink === null) return;
    const buf = this.buf;
    const lengths = this.lengths;
    if (count > 0) {
      sink.batch();
      try {
        let off = 0;
        for (let i = 0; i < count; i++) {
          const len = lengths[i]!;
          const hdr = this.hdr;
          if (len < hdr) {
            off += len;
            continue;
          }
          // The kernel computed no checksum (NEEDS_CSUM: the packet never left
          // this host) or verified it (DATA_VALID). A TCP super-segment
          // (only where TSO was offered) comes with the size to cut it into.
          const valid = hdr > 0 && (buf[off]! & (VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID)) !== 0;
          const gso = hdr > 0 && buf[off + 1] !== VIRTIO_NET_HDR_GSO_NONE ? (HOST_LE ? buf[off + 4]! | (buf[off + 5]! << 8) : (buf[off + 4]! << 8) | buf[off + 5]!) : 0;
          // A copy: the receiver owns what it is given, and buf is reused by the next batch (DESIGN rule 7).
          if (!sink.packet(buf.slice(off + hdr, off + len), valid, gso)) return;
          off += len;
        }
      } finally {
        sink.batchEnd();
      }
    }
    if (errno !== 0 && !this.closed) {
      this.stopReader();
      const code = errnoName(errno);
      sink.error(tunError(code, `reading TUN interface '${this.name}' failed: ${code}`, { errno: -errno, syscall: 'read' }));
    }
  };

  private mode(partial: boolean): number {
    return this.hdr === 0 ? WRITE_PLAIN : partial ? WRITE_VNET_PARTIAL : WRITE_VNET;
  }

  write(packet: Uint8Array, partial: boolean, gsoSize: number): string {
    const mode = this.mode(partial);
    const errno = this.addon.write(this.fd, packet, mode, mode === WRITE_VNET_PARTIAL ? gsoSize : 0);
    return errno === 0 ? '' : errnoName(errno);
  }

  writeBatch(packets: readonly Uint8Array[], count: number, partial: readonly boolean[], gso: readonly number[]): WriteResult {
    let modes = this.modes;
    let sizes: Uint16Array | null = null;
    if (modes !== null) {
      if (modes.length < count) {
        modes = this.modes = new Uint8Array(count);
        this.gsoSizes = new Uint16Array(count);
      }
      for (let i = 0; i < count; i++) modes[i] = partial[i] === true ? WRITE_VNET_PARTIAL : WRITE_VNET;
      sizes = this.gsoSizes;
      for (let i = 0; i < count; i++) sizes[i] = partial[i] === true ? (gso[i] ?? 0) : 0;
    }
    const written = this.addon.writeBatch(this.fd, packets, count, this.status, modes, sizes);
    const failed = this.status[0]!;
    return { written, bytes: this.status[2]!, failed, lastError: failed === 0 ? '' : errnoName(this.status[1]!) };
  }

  setRef(ref: boolean): void {
    this.referenced = ref;
    if (this.reader !== null) this.addon.refReader(this.reader, ref);
  }

  private stopReader(): void {
    if (this.reader === null) return;
    this.addon.stopReader(this.reader);
    this.reader = null;
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.sink = null;
      // Stop polling before the descriptor goes: epoll must not watch a closed fd.
      this.stopReader();
      this.addon.close(this.fd);
    }
    return Promise.resolve();
  }
}
