// A TCP socket shaped like Node's net.Socket: a stream.Duplex over one
// connection of a synack Stack. Back-pressure runs both ways: write()
// returns false while the TCP send buffer is full (and 'drain' follows
// once it empties), and a paused reader stops reading from the TCP receive
// buffer, which closes the window the peer sees.

import { Buffer } from 'node:buffer';
import { Duplex } from 'node:stream';
import type { Stack } from '../stack/stack.js';
import type { AddressInfo, TcpEndpoint } from '../stack/tcp-endpoint.js';
import type { TimerHandle } from '../stack/clock.js';
import type { TcpConfig } from '../tcp/config.js';
import type { ConnEvent, TcpErrorCode, TcpState } from '../tcp/types.js';
import { isStackError } from '../stack/errors.js';
import { resolveHost, isIP } from './address.js';
import {
  errBadPort,
  errInvalidArgType,
  errInvalidIp,
  errNotFound,
  errOutOfRange,
  errSocketBufferSize,
  errSocketClosed,
  systemError,
} from './errors.js';

/** Most bytes one 'data' chunk carries. */
const READ_CHUNK = 65_536;

export interface SocketOptions {
  /** The stack the socket lives on. */
  stack: Stack;
  /** Keep the writable side open after the peer's FIN (default false, as in Node). */
  allowHalfOpen?: boolean;
  readableHighWaterMark?: number;
  writableHighWaterMark?: number;
  /** An accepted connection to wrap (the Server does this). */
  endpoint?: TcpEndpoint;
}

export interface SocketConnectOptions {
  port: number | string;
  /** An IP address or 'localhost' (default). The stack has no resolver. */
  host?: string;
  localAddress?: string;
  localPort?: number;
  /** 4 or 6: which loopback 'localhost' means (default 4). */
  family?: number;
  noDelay?: boolean;
  keepAlive?: boolean;
  /** Milliseconds. */
  keepAliveInitialDelay?: number;
  /** Milliseconds of inactivity before 'timeout' (socket.setTimeout). */
  timeout?: number;
  /** TCP configuration overrides for this connection. */
  tcp?: Partial<TcpConfig>;
}

export type ReadyState = 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed';

type WriteCallback = (error?: Error | null) => void;

/** States in which the core still takes data to send. */
function canQueue(state: TcpState): boolean {
  return state === 'SYN_SENT' || state === 'SYN_RECEIVED' || state === 'ESTABLISHED' || state === 'CLOSE_WAIT';
}

export class Socket extends Duplex {
  readonly stack: Stack;
  /** True between connect() and the end of the handshake. */
  connecting = false;
  /** The server that accepted this socket, if any. */
  server: object | null = null;

  private ep: TcpEndpoint | null = null;
  /** Set once the core said 'closed'. */
  private tcpClosed = false;
  /** The peer's FIN arrived. */
  private eof = false;
  private endPushed = false;
  private wantData = false;
  private pulling = false;
  private bytesReadCount = 0;
  private bytesSentCount = 0;
  private pendingChunk: Buffer | null = null;
  private pendingCb: WriteCallback | null = null;
  private finalCb: WriteCallback | null = null;
  private resetOnDestroy = false;
  private noDelayWanted: boolean | undefined;
  private keepAliveWanted: { enable: boolean; idle: number | undefined } | undefined;
  private local: AddressInfo | undefined;
  private remote: AddressInfo | undefined;

  private timeoutMs = 0;
  private timeoutTimer: TimerHandle | null = null;
  private lastActivity = 0;

  constructor(opts: SocketOptions) {
    const dopts: ConstructorParameters<typeof Duplex>[0] = {
      allowHalfOpen: opts.allowHalfOpen ?? false,
      // 'close' is ours to emit, with hadError, after 'error' (as net.Socket does).
      emitClose: false,
      autoDestroy: true,
      decodeStrings: true,
    };
    if (opts.readableHighWaterMark !== undefined) dopts.readableHighWaterMark = opts.readableHighWaterMark;
    if (opts.writableHighWaterMark !== undefined) dopts.writableHighWaterMark = opts.writableHighWaterMark;
    super(dopts);
    this.stack = opts.stack;
    this.lastActivity = this.stack.now();
    if (opts.endpoint !== undefined) this.attach(opts.endpoint);
  }

  // ------------------------------------------------------------- connect

  /**
   * Open a connection: `connect(options[, listener])` or
   * `connect(port[, host][, listener])`. Bad arguments throw Node's ERR_*
   * errors; failures of the connection itself arrive as 'error' with a
   * system error (ECONNREFUSED, ETIMEDOUT, EADDRINUSE, ENETUNREACH...).
   */
  connect(options: SocketConnectOptions, connectListener?: () => void): this;
  connect(port: number | string, host?: string, connectListener?: () => void): this;
  connect(port: number | string, connectListener?: () => void): this;
  connect(a: SocketConnectOptions | number | string, b?: string | (() => void), c?: () => void): this {
    let opts: SocketConnectOptions;
    let cb: (() => void) | undefined;
    if (typeof a === 'object' && a !== null) {
      opts = a;
      cb = typeof b === 'function' ? b : undefined;
    } else {
      opts = { port: a };
      if (typeof b === 'string') opts.host = b;
      cb = typeof b === 'function' ? b : c;
    }
    if (this.ep !== null || this.connecting) throw systemError('EISCONN', 'connect');
    if (this.destroyed) throw systemError('EBADF', 'connect');

    const port = checkPort(opts.port, 'Port');
    const host = opts.host ?? 'localhost';
    if (typeof host !== 'string') throw errInvalidArgType('options.host', 'of type string', host);
    let localAddr: Uint8Array | undefined;
    if (opts.localAddress !== undefined) {
      if (typeof opts.localAddress !== 'string' || isIP(opts.localAddress) === 0) throw errInvalidIp(String(opts.localAddress));
      localAddr = resolveHost(opts.localAddress);
    }
    if (opts.localPort !== undefined && (typeof opts.localPort !== 'number' || !Number.isInteger(opts.localPort) || opts.localPort < 0 || opts.localPort > 65535)) {
      throw errInvalidArgType('options.localPort', 'of type number', opts.localPort);
    }
    if (opts.timeout !== undefined) this.setTimeout(opts.timeout);
    if (opts.noDelay) this.noDelayWanted = true;
    if (opts.keepAlive) this.keepAliveWanted = { enable: true, idle: msToIdle(opts.keepAliveInitialDelay) };
    if (cb !== undefined) this.once('connect', cb);

    this.connecting = true;
    const remote = resolveHost(host, opts.family);
    if (remote === undefined) {
      const err = errNotFound(host);
      queueMicrotask(() => this.destroy(err));
      return this;
    }
    let ep: TcpEndpoint;
    try {
      const connectOpts: Parameters<Stack['tcpConnect']>[0] = { remoteAddr: remote, remotePort: port };
      if (localAddr !== undefined) connectOpts.localAddr = localAddr;
      if (opts.localPort !== undefined) connectOpts.localPort = opts.localPort;
      if (opts.tcp !== undefined) connectOpts.config = opts.tcp;
      ep = this.stack.tcpConnect(connectOpts);
    } catch (e) {
      if (!isStackError(e)) throw e;
      // Node reports connect failures asynchronously, as 'error'.
      queueMicrotask(() => {
        this.connecting = false;
        this.destroy(e);
      });
      return this;
    }
    this.attach(ep);
    return this;
  }

  private attach(ep: TcpEndpoint): void {
    this.ep = ep;
    this.local = ep.address();
    this.remote = { address: ep.remoteAddress, family: ep.family, port: ep.remotePort };
    if (this.noDelayWanted !== undefined) ep.setNoDelay(this.noDelayWanted);
    if (this.keepAliveWanted !== undefined) ep.setKeepAlive(this.keepAliveWanted.enable, this.keepAliveWanted.idle);
    ep.setHandler((ev) => this.onTcpEvent(ev));
  }

  private onTcpEvent(ev: ConnEvent): void {
    switch (ev.type) {
      case 'established':
        if (this.connecting) {
          this.connecting = false;
          this.touch();
          this.emit('connect');
          this.emit('ready');
        }
        return;
      case 'readable':
        this.pull();
        return;
      case 'eof':
        this.eof = true;
        this.pull();
        return;
      case 'writable':
        this.flushPending();
        return;
      case 'error':
        this.tcpError(ev.code);
        return;
      case 'closed':
        this.tcpClosed = true;
        this.tcpGone();
        return;
      case 'state':
        return;
    }
  }

  private tcpError(code: TcpErrorCode): void {
    const wasConnecting = this.connecting;
    this.connecting = false;
    let err;
    if (wasConnecting) {
      err = systemError(code, 'connect', this.remote?.address, this.remote?.port);
    } else if (code === 'ECONNRESET' && this.eof && this.writableEnded) {
      // A RST in LAST-ACK or CLOSING, after both FINs: nothing was left to
      // send and the peer had said it would send no more. Node's socket
      // would read its EOF and close without an error; so does this one
      // (the 'closed' that follows ends it).
      return;
    } else if (code === 'ECONNRESET' && this.eof) {
      // A RST after the peer's FIN (CLOSE_WAIT): Linux reports EPIPE, so
      // Node's next write fails with "write EPIPE".
      err = systemError('EPIPE', 'write');
    } else {
      err = systemError(code, code === 'EPIPE' ? 'write' : 'read');
    }
    this.destroy(err);
  }

  /** The connection reached CLOSED without an error. */
  private tcpGone(): void {
    if (this.destroyed) return;
    // Whatever is still buffered can be read; a stream that expected more
    // (the connection was aborted under it) ends here.
    if (!this.eof) {
      this.destroy();
      return;
    }
    this.pull();
  }

  // ---------------------------------------------------------------- read

  override _read(): void {
    this.wantData = true;
    this.pull();
  }

  private pull(): void {
    const ep = this.ep;
    if (ep === null || this.pulling) return;
    this.pulling = true;
    try {
      while (this.wantData && !this.destroyed) {
        // At most 64 KiB a chunk, as Node's sockets read: an auto-tuned
        // buffer may hold megabytes, and one buffer that size costs more
        // (fresh pages) than several of 64 KiB.
        const data = ep.read(READ_CHUNK);
        if (data === null) break;
        // A Buffer over what the endpoint hands out, no copy: a fresh copy,
        // or a large payload as it arrived (RecvBuffer: adopted).
        const d = Buffer.from(data.buffer, data.byteOffset, data.length);
        const n = d.length;
        this.bytesReadCount += n;
        this.touch();
        if (!this.push(d)) this.wantData = false;
      }
      if (this.eof && !this.endPushed && !this.destroyed && ep.readableLength === 0) {
        this.endPushed = true;
        this.push(null);
        // As net.Socket does: with nothing buffered, 'end' follows even
        // if nobody reads.
        this.read(0);
      }
    } finally {
      this.pulling = false;
    }
  }

  // --------------------------------------------------------------- write

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: WriteCallback): void {
    this.writeChunk(chunk, cb);
  }

  override _writev(chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>, cb: WriteCallback): void {
    const buf = chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk));
    this.writeChunk(buf, cb);
  }

  private writeChunk(buf: Buffer, cb: WriteCallback): void {
    const ep = this.ep;
    if (ep === null) {
      // Not connected (yet): hold the bytes until connect() attaches.
      if (this.connecting) {
        this.pendingChunk = buf;
        this.pendingCb = cb;
        return;
      }
      cb(errSocketClosed());
      return;
    }
    const n = buf.length === 0 ? 0 : ep.send(buf);
    this.bytesSentCount += n;
    if (n > 0) this.touch();
    if (n === buf.length) {
      cb();
      return;
    }
    if (n === 0 && (this.tcpClosed || !canQueue(ep.state))) {
      cb(systemError('EPIPE', 'write'));
      return;
    }
    // The send buffer is full: the rest waits for 'writable', and the
    // stream buffers what comes after it (write() returns false).
    this.pendingChunk = buf.subarray(n);
    this.pendingCb = cb;
  }

  private flushPending(): void {
    const buf = this.pendingChunk;
    const cb = this.pendingCb;
    if (buf === null || cb === null) return;
    this.pendingChunk = null;
    this.pendingCb = null;
    this.writeChunk(buf, (err) => {
      cb(err);
      if (this.pendingChunk === null && this.finalCb !== null) {
        const f = this.finalCb;
        this.finalCb = null;
        this._final(f);
      }
    });
  }

  override _final(cb: WriteCallback): void {
    if (this.pendingChunk !== null) {
      this.finalCb = cb;
      return;
    }
    // Half-close: FIN after what is queued (RFC 9293 §3.10.4).
    this.ep?.shutdown();
    cb();
  }

  // ------------------------------------------------------------- destroy

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.connecting = false;
    this.clearTimeoutTimer();
    const ep = this.ep;
    if (ep !== null) {
      if (!this.tcpClosed) {
        if (this.resetOnDestroy) ep.abort();
        else ep.close(); // FIN, or RST if data is left unread (RFC 1122 §4.2.2.13)
      }
      ep.detach();
      this.ep = null;
    }
    const pending = this.pendingCb;
    this.pendingChunk = null;
    this.pendingCb = null;
    if (pending !== null) pending(err ?? systemError('ECANCELED', 'write'));
    const hadError = err !== null && err !== undefined;
    cb(err);
    // Like net.Socket's 'close' (hadError): after the 'error' that destroy()
    // schedules, on a later turn of the stack's clock (Node emits it when
    // the handle has closed, on a later turn of its loop).
    this.stack.clock.setTimer(this.stack.now(), () => this.emit('close', hadError));
  }

  /** Close at once with a RST instead of a FIN (RFC 9293 §3.10.5 ABORT). */
  resetAndDestroy(): this {
    if (this.ep !== null && !this.tcpClosed) this.resetOnDestroy = true;
    this.destroy();
    return this;
  }

  /** End the writable side, then destroy once it has finished (net.Socket.destroySoon). */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  // ------------------------------------------------------------- options

  setNoDelay(noDelay = true): this {
    this.noDelayWanted = noDelay;
    this.ep?.setNoDelay(noDelay);
    return this;
  }

  /**
   * SO_RCVBUF / SO_SNDBUF on the open connection, named as dgram.Socket
   * names them (net.Socket has none): the buffer's new size in bytes, never
   * below what it holds; a receive buffer also keeps room for the window
   * already offered, and reaches a smaller size as the application reads.
   * Auto-tuning (HOST_PROFILE) may grow it later.
   * Throws ERR_SOCKET_BUFFER_SIZE before the connection exists.
   */
  setRecvBufferSize(size: number): void {
    this.bufferEndpoint(size).setBufferSize('rcv', size);
  }

  setSendBufferSize(size: number): void {
    this.bufferEndpoint(size).setBufferSize('snd', size);
  }

  getRecvBufferSize(): number {
    return this.bufferEndpoint().conn.rcvBufSize;
  }

  getSendBufferSize(): number {
    return this.bufferEndpoint().conn.sndBufSize;
  }

  private bufferEndpoint(size?: number): TcpEndpoint {
    if (size !== undefined && (!Number.isSafeInteger(size) || size < 1)) throw errOutOfRange('size', '>= 1 and a safe integer', size);
    if (this.ep === null) throw errSocketBufferSize();
    return this.ep;
  }

  /** `initialDelay` in milliseconds (0: the profile's idle time). */
  setKeepAlive(enable = false, initialDelay = 0): this {
    this.keepAliveWanted = { enable, idle: msToIdle(initialDelay) };
    this.ep?.setKeepAlive(enable, msToIdle(initialDelay));
    return this;
  }

  /**
   * Emit 'timeout' after `msecs` ms without reads or writes (0 disables),
   * measured on the stack's clock. Nothing is closed: that is the listener's
   * call, as in Node.
   */
  setTimeout(msecs: number, callback?: () => void): this {
    if (typeof msecs !== 'number') throw errInvalidArgType('msecs', 'of type number', msecs);
    if (!Number.isFinite(msecs) || msecs < 0) throw errOutOfRange('msecs', 'a non-negative finite number', msecs);
    this.timeoutMs = msecs;
    this.clearTimeoutTimer();
    if (msecs === 0) {
      if (callback !== undefined) this.removeListener('timeout', callback);
      return this;
    }
    if (callback !== undefined) this.once('timeout', callback);
    this.lastActivity = this.stack.now();
    this.armTimeout();
    return this;
  }

  /** The idle timeout set with setTimeout, in ms (undefined when none). */
  get timeout(): number | undefined {
    return this.timeoutMs > 0 ? this.timeoutMs : undefined;
  }

  private touch(): void {
    this.lastActivity = this.stack.now();
    if (this.timeoutMs > 0 && this.timeoutTimer === null) this.armTimeout();
  }

  private armTimeout(): void {
    if (this.destroyed) return;
    this.timeoutTimer = this.stack.clock.setTimer(this.lastActivity + this.timeoutMs * 1000, this.onTimeoutTimer);
  }

  private readonly onTimeoutTimer = (): void => {
    this.timeoutTimer = null;
    if (this.timeoutMs <= 0 || this.destroyed) return;
    const due = this.lastActivity + this.timeoutMs * 1000;
    if (this.stack.now() < due) {
      this.timeoutTimer = this.stack.clock.setTimer(due, this.onTimeoutTimer);
      return;
    }
    // Fires once per idle period: the next activity re-arms it.
    this.emit('timeout');
  };

  private clearTimeoutTimer(): void {
    this.timeoutTimer?.cancel();
    this.timeoutTimer = null;
  }

  /** For API compatibility: the stack's timers do not hold a process open by themselves. */
  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  // ---------------------------------------------------------- properties

  /** { address, family, port } of the local end, or {} before connect(). */
  address(): AddressInfo | Record<string, never> {
    return this.local !== undefined ? { ...this.local } : {};
  }

  get localAddress(): string | undefined {
    return this.local?.address;
  }

  get localPort(): number | undefined {
    return this.local?.port;
  }

  get localFamily(): string | undefined {
    return this.local?.family;
  }

  get remoteAddress(): string | undefined {
    return this.remote?.address;
  }

  get remotePort(): number | undefined {
    return this.remote?.port;
  }

  get remoteFamily(): string | undefined {
    return this.remote?.family;
  }

  get bytesRead(): number {
    return this.bytesReadCount;
  }

  /** Bytes handed to write(), whether or not TCP has taken them yet (as Node counts). */
  get bytesWritten(): number {
    return this.bytesSentCount + this.writableLength + (this.pendingChunk?.length ?? 0);
  }

  /** Deprecated in Node, kept for old callers: bytes waiting to be written. */
  get bufferSize(): number {
    return this.writableLength;
  }

  /** True until the connection is established (or if it never was). */
  get pending(): boolean {
    return this.ep === null || this.connecting;
  }

  get readyState(): ReadyState {
    if (this.connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable && !this.writable) return 'readOnly';
    if (!this.readable && this.writable) return 'writeOnly';
    return 'closed';
  }

  /** The TCP state of the connection underneath ('CLOSED' once detached). */
  get tcpState(): TcpState {
    return this.ep?.state ?? 'CLOSED';
  }
}

/** Node's port validation: integers 0..65535, as numbers or numeric strings. */
export function checkPort(value: unknown, name: string): number {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && value.trim() !== '' && /^\d+$/.test(value.trim())) n = Number(value);
  else if (typeof value === 'string') throw errBadPort(name, value);
  else throw errInvalidArgType('options.port', 'one of type number or string', value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw errBadPort(name, value);
  return n;
}

function msToIdle(ms: number | undefined): number | undefined {
  return ms !== undefined && ms > 0 ? ms * 1000 : undefined;
}
