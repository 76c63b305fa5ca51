// Counters of a Stack (DESIGN rule 5: what is dropped is counted, by reason).

import type { WireError, WireLayer } from '../wire/errors.js';

/** Why the stack dropped a packet. */
export type DropReason =
  /** IP header, TCP, UDP, ICMP or ICMPv6 checksum did not verify. */
  | 'badChecksum'
  /** The bytes do not parse (see `malformed` for the layer and `recentMalformed` for the reason). */
  | 'malformed'
  /** IP destination is none of our addresses. */
  | 'notForUs'
  /** A fragment: the stack does not reassemble. */
  | 'fragment'
  /** An IP protocol / next header the stack does not speak. */
  | 'unknownProtocol'
  /** A TCP segment for no connection and no listener (answered with RST unless it was one). */
  | 'noListener'
  /** A UDP datagram for a port nobody has bound (answered with ICMP port unreachable). */
  | 'noPort'
  /** A SYN for a listener whose SYN queue or accept queue is full. */
  | 'listenOverflow'
  /** The ACK completing a handshake while the accept queue is full (the peer will retry). */
  | 'acceptQueueFull'
  /** A SYN (or a returning cookie) while the stack holds maxConnections connections. */
  | 'connectionLimit'
  /** No route to the destination of an outgoing packet. */
  | 'noRoute'
  /** An outgoing packet larger than the interface MTU. */
  | 'tooBig'
  /** An ICMP error the stack could not match to a connection or socket. */
  | 'icmpUnmatched'
  /** A UDP socket's receive queue is full. */
  | 'udpQueueFull'
  /** A packet arrived with a source address that cannot be one (multicast, our own...). */
  | 'badSource';

export const DROP_REASONS: readonly DropReason[] = [
  'badChecksum',
  'malformed',
  'notForUs',
  'fragment',
  'unknownProtocol',
  'noListener',
  'noPort',
  'listenOverflow',
  'acceptQueueFull',
  'connectionLimit',
  'noRoute',
  'tooBig',
  'icmpUnmatched',
  'udpQueueFull',
  'badSource',
];

export interface StackStats {
  /** IP packets handed to the stack by its devices, and sent by it. */
  ipIn: number;
  ipOut: number;
  /** TCP segments received (checksum-verified) and sent. */
  tcpIn: number;
  tcpOut: number;
  /**
   * Of tcpOut, the segments cut from a connection's trains after the first
   * of each (segmentation offload: they reuse its headers).
   */
  tcpOutCut: number;
  /**
   * Super-segments handed to devices with segmentation offload, each
   * counted in tcpOut as the segments the device cuts it into
   * (NetDevice.gsoMaxSize).
   */
  tcpOutSuper: number;
  /**
   * Of tcpIn, the segments a connection took as the continuation of a run
   * in a receive batch, without parsing or looking them up again (receive
   * offload: see Stack.continueRun).
   */
  tcpInCoalesced: number;
  /**
   * Of tcpInCoalesced, the packets the packet slab took back once their
   * payload was copied, for the next packets sent to reuse (only those a
   * device delivered as exclusive: see NetDevice.onReceive; Slab.recycle).
   */
  tcpInRecycled: number;
  /** TCP segments sent again, summed over every connection (up to date after each event the stack handles). */
  tcpRetransmits: number;
  /** RST segments sent (by connections and for segments that matched none) and received. */
  tcpResetsOut: number;
  tcpResetsIn: number;
  /** Connections opened by connect() (active) and by listeners (passive). */
  tcpActiveOpens: number;
  tcpPassiveOpens: number;
  /** Connections that ended with an error, by code. */
  tcpErrors: Record<string, number>;
  udpIn: number;
  udpOut: number;
  icmpIn: number;
  icmpOut: number;
  /** Echo requests answered. */
  echoReplies: number;
  /** ICMP errors handed to TCP connections or UDP sockets. */
  icmpErrorsDelivered: number;
  /** ICMP errors not sent because of the rate limit (RFC 1812 §4.3.2.8, RFC 4443 §2.4 (f)). */
  icmpRateLimited: number;
  /** SYN cookies (RFC 4987 §3.6): SYN-ACKs sent with a cookie, ACKs that returned a valid one, and ACKs checked as cookies that failed. */
  synCookiesSent: number;
  synCookiesValidated: number;
  synCookiesFailed: number;
  /** Connections in TIME_WAIT now, and those closed at once on entering it because maxTimeWait were already there (Linux's tcp_max_tw_buckets overflow). */
  tcpTimeWait: number;
  tcpTimeWaitOverflow: number;
  /** Packets dropped, by reason. */
  drops: Record<DropReason, number>;
  /** Malformed packets by the layer that refused them. */
  malformed: Record<WireLayer, number>;
}

export function newStats(): StackStats {
  const drops = {} as Record<DropReason, number>;
  for (const r of DROP_REASONS) drops[r] = 0;
  return {
    ipIn: 0,
    ipOut: 0,
    tcpIn: 0,
    tcpOut: 0,
    tcpOutCut: 0,
    tcpOutSuper: 0,
    tcpInCoalesced: 0,
    tcpInRecycled: 0,
    tcpRetransmits: 0,
    tcpResetsOut: 0,
    tcpResetsIn: 0,
    tcpActiveOpens: 0,
    tcpPassiveOpens: 0,
    tcpErrors: {},
    udpIn: 0,
    udpOut: 0,
    icmpIn: 0,
    icmpOut: 0,
    echoReplies: 0,
    icmpErrorsDelivered: 0,
    icmpRateLimited: 0,
    synCookiesSent: 0,
    synCookiesValidated: 0,
    synCookiesFailed: 0,
    tcpTimeWait: 0,
    tcpTimeWaitOverflow: 0,
    drops,
    malformed: { ipv4: 0, ipv6: 0, tcp: 0, udp: 0, icmp: 0, icmpv6: 0 },
  };
}

/** What the stack reports for each dropped packet (see `Stack.onDrop`). */
export interface DropInfo {
  reason: DropReason;
  /** For 'malformed' and 'badChecksum': the wire layer's account of what is wrong. */
  error?: WireError;
  /** The packet as received (a view: copy it to keep it). */
  packet?: Uint8Array;
}
