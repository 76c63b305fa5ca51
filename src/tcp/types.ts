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
  /** New in-order bytes can be read with `read()`. */
  | { type: 'readable' }
  /** The peer's FIN was received and every byte before it has been queued for reading. */
  | { type: 'eof' }
  /** Send buffer space became available after `send()` returned less than asked. */
  | { type: 'writable' }
  /** The connection failed; it is now CLOSED. */
  | { type: 'error'; code: TcpErrorCode }
  /** The connection reached CLOSED and can be forgotten (after TIME_WAIT, reset, or abort). */
  | { type: 'closed' };

/**
 * A segment the core wants transmitted. `seg.srcPort`/`dstPort` are filled in
 * by the core from its 4-tuple; the driver adds the IP header.
 */
export type Outgoing = Segment;
