// Address text as Node's `net` takes it.

import { parseAddress } from '../stack/addr.js';

/** 4 for IPv4 text, 6 for IPv6 text, 0 for anything else (net.isIP). */
export function isIP(input: string): 0 | 4 | 6 {
  if (typeof input !== 'string') return 0;
  const a = parseAddress(input);
  if (a === undefined) return 0;
  return a.length === 4 ? 4 : 6;
}

export function isIPv4(input: string): boolean {
  return isIP(input) === 4;
}

export function isIPv6(input: string): boolean {
  return isIP(input) === 6;
}

/**
 * The stack has no resolver: an address literal is itself, 'localhost' is
 * the loopback address of the wanted family (IPv4 unless 6 is asked for),
 * any other name is unknown (undefined).
 */
export function resolveHost(host: string, family?: number): Uint8Array | undefined {
  if (host === 'localhost') return parseAddress(family === 6 ? '::1' : '127.0.0.1');
  return parseAddress(host);
}
