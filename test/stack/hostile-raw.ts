// Raw TCP segments for the hostile-input tests: build an IP packet around a
// Segment (any source address, spoofed or not) and read back what a stack
// sends.
import { parseAddress } from '../../src/stack/addr.js';
import { emitIpv4, parseIpv4 } from '../../src/wire/ipv4.js';
import { emitIpv6, parseIpv6 } from '../../src/wire/ipv6.js';
import { emitTcp, IPPROTO_TCP, parseTcp, tcpHeaderLength } from '../../src/wire/tcp.js';
import { ACK, SYN, type Segment, type TcpOption } from '../../src/wire/tcp-types.js';
import type { TcpEndpoint } from '../../src/stack/tcp-endpoint.js';
import { A4, B4, type Pair } from './helpers.js';

export const ip = (s: string): Uint8Array => parseAddress(s)!;

export function seg(p: Partial<Segment> & { srcPort: number; dstPort: number }): Segment {
  return { seq: 0, ack: 0, flags: 0, window: 65535, urgent: 0, options: [] as TcpOption[], payload: new Uint8Array(0), ...p };
}

/** An IPv4 or IPv6 packet (by the address length) carrying `s` from `src` to `dst`. */
export function rawTcp(src: string | Uint8Array, dst: string | Uint8Array, s: Segment): Uint8Array {
  const sa = typeof src === 'string' ? ip(src) : src;
  const da = typeof dst === 'string' ? ip(dst) : dst;
  const hlen = sa.length === 16 ? 40 : 20;
  const tlen = tcpHeaderLength(s.options) + s.payload.length;
  const p = new Uint8Array(hlen + tlen);
  emitTcp(s, sa, da, p, hlen);
  if (sa.length === 16) emitIpv6({ nextHeader: IPPROTO_TCP, hopLimit: 64, src: sa, dst: da }, tlen, p, 0);
  else emitIpv4({ ttl: 64, protocol: IPPROTO_TCP, src: sa, dst: da }, tlen, p, 0);
  return p;
}

/** The TCP segment in an IP packet with its addresses, or undefined if it is not TCP. */
export function readTcp(p: Uint8Array): { src: Uint8Array; dst: Uint8Array; seg: Segment } | undefined {
  if (p[0]! >>> 4 === 4) {
    const r = parseIpv4(p);
    if (!r.ok || r.value.protocol !== IPPROTO_TCP) return undefined;
    const t = parseTcp(r.value.payload);
    if (!t.ok) return undefined;
    return { src: r.value.src, dst: r.value.dst, seg: { ...t.value, payload: t.value.payload.slice() } };
  }
  const r = parseIpv6(p);
  if (!r.ok || r.value.upperProtocol !== IPPROTO_TCP) return undefined;
  const t = parseTcp(r.value.payload);
  if (!t.ok) return undefined;
  return { src: r.value.src, dst: r.value.dst, seg: { ...t.value, payload: t.value.payload.slice() } };
}

/**
 * A raw peer at A4:40000 completes a handshake with a listener on B4:80 of
 * the pair's stack b (SYN at sequence 100): returns the accepted endpoint,
 * what b sent back, a sender of raw segments from the peer, and b's ISS.
 */
export function rawHandshake(p: Pair): { server: TcpEndpoint; out: Segment[]; send: (s: Partial<Segment>) => void; iss: number } {
  const l = p.b.tcpListen({ port: 80 });
  let server: TcpEndpoint | undefined;
  l.onConnection = (ep) => (server = ep);
  const out: Segment[] = [];
  p.link.a.onReceive = (pkt) => {
    const t = readTcp(pkt);
    if (t !== undefined) out.push(t.seg);
  };
  const send = (s: Partial<Segment>): void => p.link.a.send(rawTcp(A4, B4, seg({ srcPort: 40000, dstPort: 80, ...s })));
  send({ seq: 100, flags: SYN });
  p.clock.runFor(1000);
  const iss = out[0]!.seq;
  send({ seq: 101, ack: (iss + 1) >>> 0, flags: ACK });
  p.clock.runFor(1000);
  if (server === undefined) throw new Error('the raw handshake was not accepted');
  return { server, out, send, iss };
}
