// Typed parse results for the wire layer. Parsers never throw on bad bytes:
// they return `{ ok: false, error }` naming the layer and what is wrong.

/** The protocol layer a wire error belongs to. */
export type WireLayer = 'ipv4' | 'ipv6' | 'tcp' | 'udp' | 'icmp' | 'icmpv6';

/**
 * What is wrong with a packet. `reason` is a short, precise sentence, e.g.
 * `truncated: 12 bytes, header needs 20`, `bad version 5`,
 * `bad checksum 0x1234, expected 0xabcd`, `option mss length 3 (expected 4)`.
 */
export interface WireError {
  layer: WireLayer;
  reason: string;
}

/** The result of parsing: the value, or the error that stopped it. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; error: WireError };

/** A failed parse result. */
export function wireError(layer: WireLayer, reason: string): { ok: false; error: WireError } {
  return { ok: false, error: { layer, reason } };
}

/** `0x` followed by four lowercase hex digits, as checksums are reported. */
export function hex16(n: number): string {
  return '0x' + (n & 0xffff).toString(16).padStart(4, '0');
}
