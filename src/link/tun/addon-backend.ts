// The preferred backend: native/tun.c opens and attaches the device, watches
// it from the event loop (uv_poll) and reads batches into one reused buffer.

import type { ReaderHandle, TunAddon } from './addon.js';
import { errnoName, type BackendSink, type TunBackend, type WriteResult } from './backend.js';
import { errorCode, openError, tunError } from './errors.js';

/** Room offered to every read: the largest IPv4/IPv6 packet without jumbograms, so none is ever cut short. */
export const MAX_PACKET = 65536;

export interface AddonOpenOptions {
  path: string;
  name: string;
  multiQueue: boolean;
  mtu: number | undefined;
  txQueueLen: number | undefined;
  batch: number;
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
  ) {
    // Packets are read back to back; the batch ends when fewer than
    // MAX_PACKET bytes remain, so size the buffer for `batch` packets of
    // the MTU plus one read's worth of room.
    this.buf = new Uint8Array(MAX_PACKET + batch * Math.max(mtu, 1500));
    this.lengths = new Uint32Array(batch);
  }

  static open(addon: TunAddon, opts: AddonOpenOptions): AddonBackend {
    let fd: number;
    let name: string;
    try {
      [fd, name] = addon.open(opts.path, opts.name, opts.multiQueue);
    } catch (e) {
      const syscall = typeof e === 'object' && e !== null && 'syscall' in e ? String((e as { syscall: unknown }).syscall) : '';
      throw openError(e, syscall === 'open' ? 'open' : 'attach', opts.path, opts.name);
    }
    try {
      if (opts.txQueueLen !== undefined) addon.txQueueLen(name, opts.txQueueLen);
      const mtu = addon.mtu(name, opts.mtu ?? 0);
      return new AddonBackend(addon, fd, name, mtu, opts.batch);
    } catch (e) {
      addon.close(fd);
      throw tunError(errorCode(e) ?? 'EUNKNOWN', `TUN interface '${name}': ${e instanceof Error ? e.message : String(e)}`, { syscall: 'ioctl' });
    }
  }

  start(sink: BackendSink): void {
    if (this.closed || this.reader !== null) return;
    this.sink = sink;
    this.reader = this.addon.startReader(this.fd, this.buf.buffer as ArrayBuffer, this.lengths, MAX_PACKET, this.onBatch);
    if (!this.referenced) this.addon.refReader(this.reader, false);
  }

  private readonly onBatch = (count: number, errno: number): void => {
    const sink = this.sink;
    if (sink === null) return;
    const buf = this.buf;
    const lengths = this.lengths;
    if (count > 0) sink.batch();
    let off = 0;
    for (let i = 0; i < count; i++) {
      const len = lengths[i]!;
      // A copy: the receiver owns what it is given, and buf is reused by the next batch (DESIGN rule 7).
      if (!sink.packet(buf.slice(off, off + len))) return;
      off += len;
    }
    if (errno !== 0 && !this.closed) {
      this.stopReader();
      const code = errnoName(errno);
      sink.error(tunError(code, `reading TUN interface '${this.name}' failed: ${code}`, { errno: -errno, syscall: 'read' }));
    }
  };

  write(packet: Uint8Array): string {
    const errno = this.addon.write(this.fd, packet);
    return errno === 0 ? '' : errnoName(errno);
  }

  writeBatch(packets: readonly Uint8Array[], count: number): WriteResult {
    const written = this.addon.writeBatch(this.fd, packets, count, this.status);
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
