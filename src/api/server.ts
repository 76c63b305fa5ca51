// A TCP server shaped like Node's net.Server, over a synack Stack listener.

import { EventEmitter } from 'node:events';
import type { Stack } from '../stack/stack.js';
import { DEFAULT_BACKLOG } from '../stack/stack.js';
import type { AddressInfo, TcpEndpoint, TcpListener } from '../stack/tcp-endpoint.js';
import { isStackError } from '../stack/errors.js';
import { resolveHost } from './address.js';
import { errInvalidArgType, errNotFound, errServerAlreadyListen, errServerNotRunning } from './errors.js';
import { checkPort, Socket } from './socket.js';

export interface ServerOptions {
  /** Keep accepted sockets' writable side open after the peer's FIN (default false). */
  allowHalfOpen?: boolean;
  /** Accepted sockets start paused (default false). */
  pauseOnConnect?: boolean;
  /** setNoDelay(true) on accepted sockets. */
  noDelay?: boolean;
  /** setKeepAlive(true, keepAliveInitialDelay) on accepted sockets. */
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  highWaterMark?: number;
}

export interface ListenOptions {
  port?: number | string;
  /** An IP address, 'localhost', or omitted for :: (dual stack). */
  host?: string;
  backlog?: number;
  /** On '::' take IPv6 only. */
  ipv6Only?: boolean;
}

export interface DropInfo {
  localAddress: string;
  localPort: number;
  localFamily: string;
  remoteAddress: string;
  remotePort: number;
  remoteFamily: string;
}

export class Server extends EventEmitter {
  readonly stack: Stack;
  /** Refuse (close) connections beyond this many, emitting 'drop' (undefined: no limit). */
  maxConnections: number | undefined;
  private readonly opts: ServerOptions;
  private listener: TcpListener | null = null;
  /**
   * Accepted sockets not yet closed. A count, as Node's server keeps: a
   * Set of sockets under churn would leave old hash tables behind that keep
   * closed sockets alive through young-generation collections (see
   * tuple-table.ts).
   */
  private open = 0;
  private starting = false;

  constructor(stack: Stack, options: ServerOptions = {}, connectionListener?: (socket: Socket) => void) {
    super();
    this.stack = stack;
    this.opts = options;
    if (connectionListener !== undefined) this.on('connection', connectionListener);
  }

  get listening(): boolean {
    return this.listener !== null;
  }

  /**
   * listen([port[, host[, backlog]]][, cb]) or listen(options[, cb]).
   * Bad ports throw ERR_SOCKET_BAD_PORT; a port in use is an 'error' event
   * with EADDRINUSE, as in Node.
   */
  listen(port?: number | string, host?: string, backlog?: number, listeningListener?: () => void): this;
  listen(port?: number | string, host?: string, listeningListener?: () => void): this;
  listen(port?: number | string, listeningListener?: () => void): this;
  listen(options: ListenOptions, listeningListener?: () => void): this;
  listen(listeningListener?: () => void): this;
  listen(...args: unknown[]): this {
    let opts: ListenOptions = {};
    let cb: (() => void) | undefined;
    const last = args[args.length - 1];
    if (typeof last === 'function') {
      cb = last as () => void;
      args = args.slice(0, -1);
    }
    const first = args[0];
    if (typeof first === 'object' && first !== null) {
      opts = first as ListenOptions;
    } else {
      if (first !== undefined && first !== null) opts.port = first as number | string;
      if (typeof args[1] === 'string') opts.host = args[1];
      else if (typeof args[1] === 'number') opts.backlog = args[1];
      if (typeof args[2] === 'number') opts.backlog = args[2];
    }
    if (this.listener !== null || this.starting) throw errServerAlreadyListen();
    const port = opts.port === undefined ? 0 : checkPort(opts.port, 'options.port');
    if (opts.backlog !== undefined && (typeof opts.backlog !== 'number' || !Number.isFinite(opts.backlog))) {
      throw errInvalidArgType('backlog', 'of type number', opts.backlog);
    }
    if (opts.host !== undefined && typeof opts.host !== 'string') throw errInvalidArgType('options.host', 'of type string', opts.host);
    if (cb !== undefined) this.once('listening', cb);

    const hostText = opts.host ?? '::';
    const addr = resolveHost(hostText);
    this.starting = true;
    if (addr === undefined) {
      const err = errNotFound(hostText);
      queueMicrotask(() => {
        this.starting = false;
        this.emit('error', err);
      });
      return this;
    }
    try {
      const listenOpts: Parameters<Stack['tcpListen']>[0] = { addr, port, backlog: opts.backlog ?? DEFAULT_BACKLOG };
      if (opts.ipv6Only !== undefined) listenOpts.ipv6Only = opts.ipv6Only;
      this.listener = this.stack.tcpListen(listenOpts);
    } catch (e) {
      if (!isStackError(e)) throw e;
      queueMicrotask(() => {
        this.starting = false;
        this.emit('error', e);
      });
      return this;
    }
    this.listener.onConnection = (ep) => this.accepted(ep);
    queueMicrotask(() => {
      this.starting = false;
      if (this.listener !== null) this.emit('listening');
    });
    return this;
  }

  private accepted(ep: TcpEndpoint): void {
    if (this.maxConnections !== undefined && this.open >= this.maxConnections) {
      const drop: DropInfo = {
        localAddress: ep.localAddress,
        localPort: ep.localPort,
        localFamily: ep.family,
        remoteAddress: ep.remoteAddress,
        remotePort: ep.remotePort,
        remoteFamily: ep.family,
      };
      ep.detach();
      ep.close();
      this.emit('drop', drop);
      return;
    }
    const sockOpts: ConstructorParameters<typeof Socket>[0] = { stack: this.stack, endpoint: ep, allowHalfOpen: this.opts.allowHalfOpen ?? false };
    if (this.opts.highWaterMark !== undefined) {
      sockOpts.readableHighWaterMark = this.opts.highWaterMark;
      sockOpts.writableHighWaterMark = this.opts.highWaterMark;
    }
    const socket = new Socket(sockOpts);
    socket.server = this;
    if (this.opts.noDelay) socket.setNoDelay(true);
    if (this.opts.keepAlive) socket.setKeepAlive(true, this.opts.keepAliveInitialDelay ?? 0);
    if (this.opts.pauseOnConnect) socket.pause();
    this.open++;
    socket.once('close', () => {
      this.open--;
      this.emitCloseIfDrained();
    });
    this.emit('connection', socket);
  }

  /** { address, family, port } while listening, else null. */
  address(): AddressInfo | null {
    return this.listener?.address() ?? null;
  }

  /**
   * Stop accepting. 'close' follows once every accepted connection has
   * closed; `cb` gets ERR_SERVER_NOT_RUNNING if the server was not listening.
   */
  close(cb?: (err?: Error) => void): this {
    if (cb !== undefined) {
      if (this.listener === null) this.once('close', () => cb(errServerNotRunning()));
      else this.once('close', () => cb());
    }
    if (this.listener !== null) {
      this.listener.close();
      this.listener = null;
    }
    this.emitCloseIfDrained();
    return this;
  }

  private emitCloseIfDrained(): void {
    if (this.listener !== null || this.open > 0) return;
    queueMicrotask(() => {
      if (this.listener === null && this.open === 0) this.emit('close');
    });
  }

  getConnections(cb: (err: Error | null, count: number) => void): this {
    const n = this.open;
    queueMicrotask(() => cb(null, n));
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }
}
