// A minimal UDP socket (RFC 768): bind, connect, send, receive, close.
// Shaped after Node's dgram.Socket, on the stack's own small emitter.

import { Emitter } from './emitter.js';
import { formatAddress, mapV4, parseAddress } from './addr.js';
import { StackError } from './errors.js';

export interface RemoteInfo {
  address: string;
  family: 'IPv4' | 'IPv6';
  port: number;
  /** Payload bytes. */
  size: number;
}

export type UdpSocketEvents = {
  message: [msg: Uint8Array, rinfo: RemoteInfo];
  listening: [];
  connect: [];
  close: [];
  error: [err: StackError];
};

export type UdpType = 'udp4' | 'udp6';

export interface UdpSocketOptions {
  type?: UdpType;
  /** A udp6 socket bound to :: receives IPv4 too unless this is set (Node's `ipv6Only`). */
  ipv6Only?: boolean;
}

/** What a UDP socket needs from the stack. */
export interface UdpHost {
  /** Bind to `addr` (unspecified for any) and `port` (0: an ephemeral one); returns the port. Throws StackError. */
  udpBind(sock: UdpSocket, addr: Uint8Array, port: number): number;
  udpUnbind(sock: UdpSocket): void;
  /** Send one datagram from the socket's binding. Throws StackError. */
  udpSend(sock: UdpSocket, data: Uint8Array, dst: Uint8Array, dstPort: number): void;
}

export class UdpSocket extends Emitter<UdpSocketEvents> {
  readonly type: UdpType;
  readonly ipv6Only: boolean;
  /** Bound address (4 bytes for udp4, 16 for udp6; all zero for any) and port, once bound. */
  boundAddr: Uint8Array | null = null;
  boundPort = 0;
  /** The peer set by connect(): datagrams from anyone else are dropped. */
  remoteAddr: Uint8Array | null = null;
  remotePort = 0;
  private closed = false;
  /** Datagrams received and delivered. */
  messagesIn = 0;
  messagesOut = 0;

  constructor(
    private readonly host: UdpHost,
    opts: UdpSocketOptions = {},
  ) {
    super();
    this.type = opts.type ?? 'udp4';
    this.ipv6Only = opts.ipv6Only ?? false;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Bind to `port` (0 or omitted: ephemeral) on `address` (omitted: any).
   * Throws StackError EADDRINUSE, EADDRNOTAVAIL or EINVAL.
   */
  bind(port = 0, address?: string): this {
    this.checkOpen('bind');
    if (this.boundAddr !== null) throw new StackError('EINVAL', 'bind');
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new StackError('EINVAL', 'bind');
    const addr = this.resolve(address ?? (this.type === 'udp6' ? '::' : '0.0.0.0'), 'bind');
    this.boundPort = this.host.udpBind(this, addr, port);
    this.boundAddr = addr;
    this.emit('listening');
    return this;
  }

  /** Fix the peer: send() needs no address, and only its datagrams are received. */
  connect(port: number, address: string): this {
    this.checkOpen('connect');
    if (this.remoteAddr !== null) throw new StackError('EISCONN', 'connect');
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new StackError('EINVAL', 'connect');
    const addr = this.resolve(address, 'connect');
    if (this.boundAddr === null) this.bind();
    this.remoteAddr = addr;
    this.remotePort = port;
    this.emit('connect');
    return this;
  }

  disconnect(): void {
    if (this.remoteAddr === null) throw new StackError('ENOTCONN', 'disconnect');
    this.remoteAddr = null;
    this.remotePort = 0;
  }

  /**
   * Send one datagram (copied). Without `port`/`address` the socket must be
   * connected. Binds to an ephemeral port first if needed. Throws StackError
   * (EMSGSIZE, ENETUNREACH, EINVAL, EBADF).
   */
  send(data: Uint8Array, port?: number, address?: string): void {
    this.checkOpen('send');
    let dst: Uint8Array;
    let dstPort: number;
    if (port === undefined) {
      if (this.remoteAddr === null) throw new StackError('ENOTCONN', 'send');
      dst = this.remoteAddr;
      dstPort = this.remotePort;
    } else {
      if (this.remoteAddr !== null) throw new StackError('EISCONN', 'send');
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new StackError('EINVAL', 'send');
      dst = this.resolve(address ?? (this.type === 'udp6' ? '::1' : '127.0.0.1'), 'send');
      dstPort = port;
    }
    if (this.boundAddr === null) this.bind();
    this.host.udpSend(this, data, dst, dstPort);
    this.messagesOut++;
  }

  address(): { address: string; family: 'IPv4' | 'IPv6'; port: number } {
    if (this.boundAddr === null) throw new StackError('EBADF', 'getsockname');
    return { address: formatAddress(this.boundAddr), family: this.type === 'udp6' ? 'IPv6' : 'IPv4', port: this.boundPort };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.boundAddr !== null) this.host.udpUnbind(this);
    this.emit('close');
  }

  /** A datagram for this socket arrived (called by the stack). `src` is 4 or 16 bytes. */
  deliver(payload: Uint8Array, src: Uint8Array, srcPort: number): boolean {
    const from = this.type === 'udp6' && src.length === 4 ? mapV4(src) : src;
    if (this.remoteAddr !== null && (this.remotePort !== srcPort || !sameAddr(this.remoteAddr, from))) return false;
    this.messagesIn++;
    this.emit('message', payload.slice(), {
      address: formatAddress(from),
      family: from.length === 16 ? 'IPv6' : 'IPv4',
      port: srcPort,
      size: payload.length,
    });
    return true;
  }

  /** An ICMP error about a datagram this socket sent (called by the stack): reported on connected sockets only, as Linux does. */
  deliverError(err: StackError): boolean {
    if (this.remoteAddr === null || this.listenerCount('error') === 0) return false;
    this.emit('error', err);
    return true;
  }

  private checkOpen(syscall: string): void {
    if (this.closed) throw new StackError('EBADF', syscall);
  }

  /** Address text → bytes of this socket's family (IPv4 on udp6 becomes mapped). */
  private resolve(text: string, syscall: string): Uint8Array {
    const a = parseAddress(text);
    if (a === undefined) throw new StackError('EINVAL', syscall, text);
    if (this.type === 'udp4') {
      if (a.length !== 4) throw new StackError('EINVAL', syscall, text);
      return a;
    }
    return a.length === 4 ? mapV4(a) : a;
  }
}

function sameAddr(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
