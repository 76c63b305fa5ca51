// How ICMP and ICMPv6 errors about our own TCP segments become IcmpSignals
// for the connection (RFC 1122 §4.2.3.9, RFC 5461, RFC 1191, RFC 8201).

import type { IcmpSignal } from '../tcp/types.js';
import {
  ICMP_UNREACH_HOST,
  ICMP_UNREACH_NEEDFRAG,
  ICMP_UNREACH_NET,
  ICMP_UNREACH_PORT,
  ICMP_UNREACH_PROTOCOL,
} from '../wire/icmp.js';
import {
  ICMPV6_UNREACH_ADDRESS,
  ICMPV6_UNREACH_ADMIN,
  ICMPV6_UNREACH_BEYOND_SCOPE,
  ICMPV6_UNREACH_NO_ROUTE,
  ICMPV6_UNREACH_PORT,
} from '../wire/icmpv6.js';

/** The smallest MTU an IPv4 path may have (RFC 791: every host takes 68-byte datagrams). */
export const IPV4_MIN_MTU = 68;
/** IPv6 links carry at least 1280 bytes (RFC 8200 §5); smaller Packet Too Big values are raised to it (RFC 8201 §4). */
export const IPV6_MIN_MTU = 1280;

/**
 * RFC 1191 §7 table 7-1: the plateaus to try when a router reports
 * "fragmentation needed" without a next-hop MTU (an RFC 792-era router).
 */
const PLATEAUS = [65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, IPV4_MIN_MTU];

/** The plateau below a datagram of `totalLength` bytes that was too big. */
export function plateauBelow(totalLength: number): number {
  for (const p of PLATEAUS) if (p < totalLength) return p;
  return IPV4_MIN_MTU;
}

/**
 * The signal for an ICMP (IPv4) Destination Unreachable of `code`, or
 * undefined for codes that say nothing a connection should act on.
 * `nextHopMtu` and `quotedLength` matter for code 4 only.
 *
 * RFC 1122 §4.2.3.9: codes 0, 1 and 5 (net, host, source route failed) are
 * soft errors; 2, 3 and 4 (protocol, port, fragmentation needed) hard —
 * code 4 being path MTU discovery's signal (RFC 1191). The administrative
 * prohibitions of RFC 1812 (9, 10, 13) are hard errors too, reported as
 * EHOSTUNREACH, as Linux does.
 */
export function icmp4UnreachableSignal(code: number, nextHopMtu: number, quotedLength: number): IcmpSignal | undefined {
  switch (code) {
    case ICMP_UNREACH_NET:
    case 6: // destination network unknown
    case 11: // network unreachable for TOS
      return { kind: 'soft', code: 'ENETUNREACH' };
    case ICMP_UNREACH_HOST:
    case 5: // source route failed
    case 7: // destination host unknown
    case 8: // source host isolated
    case 12: // host unreachable for TOS
    case 14: // host precedence violation
    case 15: // precedence cutoff
      return { kind: 'soft', code: 'EHOSTUNREACH' };
    case ICMP_UNREACH_PROTOCOL:
    case ICMP_UNREACH_PORT:
      return { kind: 'hard', code: 'ECONNREFUSED' };
    case 9: // network administratively prohibited
    case 10: // host administratively prohibited
    case 13: // communication administratively prohibited
      return { kind: 'hard', code: 'EHOSTUNREACH' };
    case ICMP_UNREACH_NEEDFRAG: {
      // RFC 1191 §5: a next-hop MTU of 0 comes from an old router: guess the
      // plateau below the datagram that did not fit.
      const mtu = nextHopMtu >= IPV4_MIN_MTU ? nextHopMtu : plateauBelow(quotedLength);
      return { kind: 'mtu', mtu: Math.max(mtu, IPV4_MIN_MTU) };
    }
    default:
      return undefined;
  }
}

/**
 * The signal for an ICMPv6 Destination Unreachable of `code` (RFC 4443
 * §3.1). Port unreachable is hard (as for IPv4); "administratively
 * prohibited" and the policy failures of RFC 4443 codes 5 and 6 are hard
 * EHOSTUNREACH; no route, beyond scope and address unreachable are soft.
 */
export function icmp6UnreachableSignal(code: number): IcmpSignal | undefined {
  switch (code) {
    case ICMPV6_UNREACH_NO_ROUTE:
    case ICMPV6_UNREACH_BEYOND_SCOPE:
      return { kind: 'soft', code: 'ENETUNREACH' };
    case ICMPV6_UNREACH_ADDRESS:
      return { kind: 'soft', code: 'EHOSTUNREACH' };
    case ICMPV6_UNREACH_PORT:
      return { kind: 'hard', code: 'ECONNREFUSED' };
    case ICMPV6_UNREACH_ADMIN:
    case 5: // source address failed ingress/egress policy
    case 6: // reject route to destination
      return { kind: 'hard', code: 'EHOSTUNREACH' };
    default:
      return undefined;
  }
}

/**
 * ICMPv6 Parameter Problem (RFC 4443 §3.4): code 1, an unrecognized Next
 * Header, says the peer does not speak TCP at all, IPv6's protocol
 * unreachable, so it is a hard error (RFC 5461 §4); the other codes say
 * nothing a connection should act on.
 */
export function icmp6ParameterProblemSignal(code: number): IcmpSignal | undefined {
  return code === 1 ? { kind: 'hard', code: 'ECONNREFUSED' } : undefined;
}

/** Packet Too Big: the MTU, never below IPv6's minimum (RFC 8201 §4). */
export function icmp6PacketTooBigSignal(mtu: number): IcmpSignal {
  return { kind: 'mtu', mtu: Math.max(mtu, IPV6_MIN_MTU) };
}

/** Time Exceeded (either family): a soft error, the path loops or is too long. */
export const TIME_EXCEEDED_SIGNAL: IcmpSignal = { kind: 'soft', code: 'EHOSTUNREACH' };
