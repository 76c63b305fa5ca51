// The routing table: longest-prefix match (RFC 1812 §5.2.4.3), then the
// lowest metric. Links are point-to-point (a TUN, a simulated link), so a
// route names only the interface: there is no next hop to resolve.

import { formatAddress, inPrefix, parseAddress } from './addr.js';

export interface Route<I> {
  /** The network, its bytes masked to `prefixLength`. */
  prefix: Uint8Array;
  prefixLength: number;
  iface: I;
  metric: number;
}

/** Parse `a.b.c.d/n` or `x::y/n` (a bare address is a host route). */
export function parseCidr(text: string): { addr: Uint8Array; prefixLength: number } | undefined {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const addr = parseAddress(addrText);
  if (addr === undefined) return undefined;
  const max = addr.length * 8;
  if (slash < 0) return { addr, prefixLength: max };
  const lenText = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(lenText)) return undefined;
  const prefixLength = Number(lenText);
  if (prefixLength > max) return undefined;
  return { addr, prefixLength };
}

/** `addr` with every bit past `len` cleared. */
export function maskAddress(addr: Uint8Array, len: number): Uint8Array {
  const out = Uint8Array.from(addr);
  for (let bit = len; bit < out.length * 8; bit++) out[bit >>> 3]! &= ~(0x80 >>> (bit & 7));
  return out;
}

export function formatCidr(prefix: Uint8Array, len: number): string {
  return `${formatAddress(prefix)}/${len}`;
}

export class RoutingTable<I> {
  private readonly routes: Route<I>[] = [];

  /** Every route, most specific first. */
  list(): readonly Route<I>[] {
    return this.routes;
  }

  add(prefix: Uint8Array, prefixLength: number, iface: I, metric = 0): Route<I> {
    const r: Route<I> = { prefix: maskAddress(prefix, prefixLength), prefixLength, iface, metric };
    // Keep the table sorted by prefix length (longest first), then metric,
    // so that the first match is the answer.
    let i = 0;
    while (
      i < this.routes.length &&
      (this.routes[i]!.prefixLength > prefixLength || (this.routes[i]!.prefixLength === prefixLength && this.routes[i]!.metric <= metric))
    ) {
      i++;
    }
    this.routes.splice(i, 0, r);
    return r;
  }

  /** Remove routes matching `pred`; returns how many went. */
  removeWhere(pred: (r: Route<I>) => boolean): number {
    let n = 0;
    for (let i = this.routes.length - 1; i >= 0; i--) {
      if (pred(this.routes[i]!)) {
        this.routes.splice(i, 1);
        n++;
      }
    }
    return n;
  }

  /** The best route to `dst`, or undefined. */
  lookup(dst: Uint8Array): Route<I> | undefined {
    for (const r of this.routes) if (inPrefix(dst, r.prefix, r.prefixLength)) return r;
    return undefined;
  }
}
