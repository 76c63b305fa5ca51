// The contract between the sans-IO TCP core and whoever drives it (the stack,
// the simulator, tests). DESIGN rule 1: no clock, no I/O in src/tcp.

import type { Segment } from '../wire/tcp-types.js';

/** RFC 9293 §3.3.2 states. */
export type TcpState =
  | 'CLOSED'
  | 'LISTEN'
  | 'SYN_SENT'
  | 'SYN_RECEIVED'
  | 'ESTABLISHED'
  | 'FIN_WAIT_1'
  | 'FIN_WAIT_2'
  | 'CLOSE_WAIT'
  | 'CLOSING'
  | 'LAST_ACK'
  | 'TIME_WAIT';

/** Node-style error codes a connection can fail with. */
export type TcpErrorCode = 'ECONNREFUSED' | 'ECONNRESET' | 'ETIMEDOUT' | 'EPIPE' | 'EHOSTUNREACH' | 'ENETUNREACH';

/** What the core tells its driver, drained with `pollEvent()`. */
export type ConnEvent =
  | { type: 'state'; from: TcpState; to: TcpState; at: number }
  | { type: 'established' }
  /**
   * New in-order bytes can be read with `read()`. Several arrivals with no
   * other event between them give one 'readable': read until `read()`
   * returns null.
   */
  | { type: 'readable' }
  /** The peer's FIN was received and every byte before it has been queued for reading. */
  | { type: 'eof' }
  /** Send buffer space became available after `send()` returned less than asked. */
  | { type: 'writable' }
  /**
   * The connection failed; it is now CLOSED. Comes just before the
   * 'state' → CLOSED and 'closed' events. Not emitted once the application
   * has called close() or abort() (it is no longer listening), nor for a
   * passive open that never completed (see 'closed').
   */
  | { type: 'error'; code: TcpErrorCode }
  /**
   * The connection reached CLOSED and can be forgotten (after TIME_WAIT,
   * reset, or abort). Emitted exactly once, as the last event.
   *
   * A passive connection that ends in SYN_RECEIVED — reset by the peer (an
   * old duplicate SYN, RFC 9293 §3.5 figure 9) or dropped after
   * `synAckRetries` unanswered SYN-ACKs (lost third ACK) — emits 'closed'
   * with no 'error': it was never accepted, and for RFC 9293 it returns to
   * LISTEN, so the listener simply stays. An active open reset in SYN_SENT
   * (or in SYN_RECEIVED after a simultaneous open) emits error
   * ECONNREFUSED; one whose SYNs go unanswered emits ETIMEDOUT.
   */
  | { type: 'closed' };

/**
 * A segment the core wants transmitted. `seg.srcPort`/`dstPort` are filled in
 * by the core from its 4-tuple; the driver adds the IP header.
 */
export type Outgoing = Segment;

/** The connection's 4-tuple; addresses are 4 (IPv4) or 16 (IPv6) bytes. */
export interface FourTuple {
  readonly localAddr: Uint8Array;
  readonly localPort: number;
  readonly remoteAddr: Uint8Array;
  readonly remotePort: number;
}

/** ICMP errors the stack hands to a connection (RFC 9293 §3.9.4, RFC 1122 §4.2.3.9, RFC 1191/8201). */
export type IcmpSignal =
  | { kind: 'hard'; code: 'ECONNREFUSED' | 'EHOSTUNREACH' | 'ENETUNREACH' }
  | { kind: 'soft'; code: 'EHOSTUNREACH' | 'ENETUNREACH' }
  | { kind: 'mtu'; mtu: number };

/**
 * One TCP connection, sans-IO. Every entry point that can change state takes
 * `now` (µs). After any call the driver drains `pollTransmit()` and
 * `pollEvent()` and re-arms its timer at `nextDeadline()`.
 *
 * Created by `TcpConnection.openActive(...)` (connect: SYN_SENT, a SYN queued)
 * or `TcpConnection.openPassive(...)` (a LISTEN socket accepted a SYN:
 * SYN_RECEIVED, a SYN-ACK queued).
 */
export interface Connection {
  readonly tuple: FourTuple;
  readonly state: TcpState;
  /** A segment for this connection arrived (already demultiplexed and checksum-verified). */
  onSegment(seg: Segment, now: number): void;
  /** The driver's timer fired; handles every deadline at or before `now`. */
  onTimer(now: number): void;
  /** The earliest time the connection needs `onTimer` (µs), or Infinity. */
  nextDeadline(): number;
  /**
   * The next segment to transmit, or undefined. Its payload may be a view
   * of the send buffer (no copy per segment): it is good until the next
   * call into the connection, so a driver writes it into a packet at once
   * or copies it.
   */
  pollTransmit(): Segment | undefined;
  /** The next event for the application, or undefined. */
  pollEvent(): ConnEvent | undefined;
  /** Queue bytes (copied). Returns how many were accepted (send-buffer space). */
  send(data: Uint8Array, now: number): number;
  /** Bytes waiting to be read. */
  readonly readableLength: number;
  /** Take up to `max` in-order bytes, or null if none are waiting. */
  read(max?: number): Uint8Array | null;
  /** Move up to dst.length in-order bytes into `dst`; returns how many. */
  readInto(dst: Uint8Array, now?: number): number;
  /** Free send-buffer space. */
  readonly writableLength: number;
  /** Half-close: send FIN once queued data is sent (RFC 9293 §3.10.4 CLOSE). */
  shutdown(now: number): void;
  /** Full close by the application: shutdown, and unread or later data draws RST (RFC 1122 §4.2.2.13). */
  close(now: number): void;
  /** Abortive close: send RST, go to CLOSED (RFC 9293 §3.10.5 ABORT). */
  abort(now: number): void;
  setNoDelay(noDelay: boolean): void;
  /** SO_RCVBUF / SO_SNDBUF on an open connection; never below the bytes held. Returns the size in force. */
  setBufferSize(which: 'rcv' | 'snd', bytes: number, now: number): number;
  /** Enable/disable keepalive; `idle` overrides the profile's idle time (µs). */
  setKeepAlive(enable: boolean, idle?: number, now?: number): void;
  onIcmp(signal: IcmpSignal, now: number): void;
}
