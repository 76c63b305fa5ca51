// IPv4/UDP packets for the TUN benchmark.

import { emitIpv4, parseIpv4Address } from '../src/wire/ipv4.js';
import { emitUdp, IPPROTO_UDP } from '../src/wire/udp.js';

function addr(text: string): Uint8Array {
  const r = parseIpv4Address(text);
  if (!r.ok) throw new Error(r.error.reason);
  return r.value;
}

/**
 * `count` IPv4/UDP packets of `size` bytes in all from `src` to `dst`
 * (port 9, discard), each with its own identification and source port.
 */
export function udpPackets(src: string, dst: string, size: number, count: number): Uint8Array[] {
  const s = addr(src);
  const d = addr(dst);
  const out: Uint8Array[] = [];
  for (let k = 0; k < count; k++) {
    const p = new Uint8Array(size);
    const payload = new Uint8Array(size - 28).fill(k & 0xff);
    emitIpv4({ ttl: 64, protocol: IPPROTO_UDP, src: s, dst: d, identification: k, flags: { DF: true } }, size - 20, p);
    emitUdp({ srcPort: 40000 + k, dstPort: 9, payload }, s, d, p, 20);
    out.push(p);
  }
  return out;
}
