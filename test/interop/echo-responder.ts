// A tiny ICMP/ICMPv6 echo responder on a NetDevice: the smallest thing that
// proves packets cross a TUN both ways with checksums the kernel accepts.
// It answers echo requests addressed to its own addresses and records every
// packet it reads.

import type { NetDevice } from '../../src/link/device.js';
import { emitIcmp, IPPROTO_ICMP, icmpLength, parseIcmp, type IcmpMessage } from '../../src/wire/icmp.js';
import { emitIcmpv6, IPPROTO_ICMPV6, icmpv6Length, parseIcmpv6, type Icmpv6Message } from '../../src/wire/icmpv6.js';
import { emitIpv4, formatIpv4, parseIpv4, parseIpv4Address } from '../../src/wire/ipv4.js';
import { emitIpv6, formatIpv6Address, parseIpv6, parseIpv6Address } from '../../src/wire/ipv6.js';

export interface EchoSeen {
  family: 4 | 6;
  src: string;
  dst: string;
  id: number;
  seq: number;
  /** Whether a reply was sent (the request was for one of our addresses). */
  answered: boolean;
}

export interface EchoResponder {
  /** Echo requests read, answered or not, in order. */
  readonly requests: EchoSeen[];
  /** Every packet read, as its first byte's version nibble and length (for debugging failures). */
  readonly packets: { version: number; length: number }[];
  /** Packets the wire parsers refused (none expected from the kernel). */
  readonly malformed: string[];
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function address(parsed: { ok: true; value: Uint8Array } | { ok: false; error: { reason: string } }): Uint8Array {
  if (!parsed.ok) throw new Error(parsed.error.reason);
  return parsed.value;
}

/** Start answering echo requests to `v4` / `v6` on `device` (sets its onReceive). */
export function startEchoResponder(device: NetDevice, v4: string, v6: string): EchoResponder {
  const my4 = address(parseIpv4Address(v4));
  const my6 = address(parseIpv6Address(v6));
  const state: EchoResponder = { requests: [], packets: [], malformed: [] };
  device.onReceive = (packet) => {
    const version = packet.length > 0 ? packet[0]! >>> 4 : -1;
    state.packets.push({ version, length: packet.length });
    if (version === 4) {
      const ip = parseIpv4(packet);
      if (!ip.ok) return void state.malformed.push(`ipv4: ${ip.error.reason}`);
      if (ip.value.protocol !== IPPROTO_ICMP || ip.value.isFragment) return;
      const icmp = parseIcmp(ip.value.payload);
      if (!icmp.ok) return void state.malformed.push(`icmp: ${icmp.error.reason}`);
      const m = icmp.value.message;
      if (m.kind !== 'echoRequest') return;
      const answered = sameBytes(ip.value.dst, my4);
      state.requests.push({ family: 4, src: formatIpv4(ip.value.src), dst: formatIpv4(ip.value.dst), id: m.id, seq: m.seq, answered });
      if (!answered) return;
      // RFC 792: the reply swaps the addresses and echoes identifier, sequence and data.
      const reply: IcmpMessage = { kind: 'echoReply', id: m.id, seq: m.seq, data: m.data };
      const len = icmpLength(reply);
      const out = new Uint8Array(20 + len);
      const hl = emitIpv4({ ttl: 64, protocol: IPPROTO_ICMP, src: my4, dst: ip.value.src, identification: m.seq }, len, out);
      emitIcmp(reply, out, hl);
      device.send(out);
    } else if (version === 6) {
      const ip = parseIpv6(packet);
      if (!ip.ok) return void state.malformed.push(`ipv6: ${ip.error.reason}`);
      if (ip.value.upperProtocol !== IPPROTO_ICMPV6) return;
      const icmp = parseIcmpv6(ip.value.payload, { src: ip.value.src, dst: ip.value.finalDestination });
      if (!icmp.ok) return void state.malformed.push(`icmpv6: ${icmp.error.reason}`);
      const m = icmp.value.message;
      if (m.kind !== 'echoRequest') return;
      const answered = sameBytes(ip.value.dst, my6);
      state.requests.push({ family: 6, src: formatIpv6Address(ip.value.src), dst: formatIpv6Address(ip.value.dst), id: m.id, seq: m.seq, answered });
      if (!answered) return;
      // RFC 4443 §4.2: the reply carries the request's identifier, sequence number and data.
      const reply: Icmpv6Message = { kind: 'echoReply', id: m.id, seq: m.seq, data: m.data };
      const len = icmpv6Length(reply);
      const out = new Uint8Array(40 + len);
      const src = my6;
      const dst = ip.value.src;
      emitIpv6({ nextHeader: IPPROTO_ICMPV6, hopLimit: 64, src, dst }, len, out);
      emitIcmpv6(reply, src, dst, out, 40);
      device.send(out);
    }
  };
  return state;
}
