// IP addresses as the stack handles them: 4 or 16 bytes, with text forms,
// prefixes and compact keys for maps.

import { formatIpv4, parseIpv4Address } from '../wire/ipv4.js';
import { formatIpv6Address, parseIpv6Address } from '../wire/ipv6.js';

export type Family = 4 | 6;

export const IPV4_ANY = new Uint8Array(4);
export const IPV6_ANY = new Uint8Array(16);

/** The family of a 4- or 16-byte address. */
export function familyOf(addr: Uint8Array): Family {
  return addr.length === 16 ? 6 : 4;
}

/**
 * Parse IPv4 dotted-decimal or IPv6 text into bytes, or undefined. An
 * IPv6 zone (`%eth0`) is refused, as are IPv4 parts with leading zeros.
 */
export function parseAddress(text: string): Uint8Array | undefined {
  if (text.includes(':')) {
    const r = parseIpv6Address(text);
    return r.ok ? r.value : undefined;
  }
  const r = parseIpv4Address(text);
  return r.ok ? r.value : undefined;
}

/** Text of an address: dotted decimal, or RFC 5952 for IPv6. */
export function formatAddress(addr: Uint8Array): string {
  return addr.length === 4 ? formatIpv4(addr) : formatIpv6Address(addr);
}

export function addrEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function isUnspecified(addr: Uint8Array): boolean {
  for (let i = 0; i < addr.length; i++) if (addr[i] !== 0) return false;
  return true;
}

/** 127.0.0.0/8 or ::1. */
export function isLoopback(addr: Uint8Array): boolean {
  if (addr.length === 4) return addr[0] === 127;
  for (let i = 0; i < 15; i++) if (addr[i] !== 0) return false;
  return addr[15] === 1;
}

/** IPv4 multicast (224/4), limited broadcast, or IPv6 multicast (ff00::/8). */
export function isMulticastOrBroadcast(addr: Uint8Array): boolean {
  if (addr.length === 4) {
    return (addr[0]! & 0xf0) === 0xe0 || (addr[0] === 255 && addr[1] === 255 && addr[2] === 255 && addr[3] === 255);
  }
  return addr[0] === 0xff;
}

/** Whether ::ffff:a.b.c.d (RFC 4291 §2.5.5.2). */
export function isV4Mapped(addr: Uint8Array): boolean {
  if (addr.length !== 16) return false;
  for (let i = 0; i < 10; i++) if (addr[i] !== 0) return false;
  return addr[10] === 0xff && addr[11] === 0xff;
}

/** The IPv4 address inside an IPv4-mapped IPv6 address. */
export function unmapV4(addr: Uint8Array): Uint8Array {
  return addr.slice(12, 16);
}

/** ::ffff:a.b.c.d for an IPv4 address. */
export function mapV4(addr: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(addr, 12);
  return out;
}

/** Whether `addr` lies in `prefix`/`len` (same family). */
export function inPrefix(addr: Uint8Array, prefix: Uint8Array, len: number): boolean {
  if (addr.length !== prefix.length) return false;
  const whole = len >>> 3;
  for (let i = 0; i < whole; i++) if (addr[i] !== prefix[i]) return false;
  const bits = len & 7;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return (addr[whole]! & mask) === (prefix[whole]! & mask);
}

/**
 * A compact string for an address, one UTF-16 unit per two bytes (2 units
 * for IPv4, 8 for IPv6): cheap to build, cheap to hash as a Map key.
 */
export function addrKey(addr: Uint8Array): string {
  if (addr.length === 4) return String.fromCharCode((addr[0]! << 8) | addr[1]!, (addr[2]! << 8) | addr[3]!);
  let s = '';
  for (let i = 0; i < 16; i += 2) s += String.fromCharCode((addr[i]! << 8) | addr[i + 1]!);
  return s;
}

/**
 * The demultiplexing key of a 4-tuple: local address, local port, remote
 * address, remote port, as UTF-16 units (6 for IPv4, 18 for IPv6; the two
 * lengths cannot collide).
 */
export function tupleKey(localAddr: Uint8Array, localPort: number, remoteAddr: Uint8Array, remotePort: number): string {
  // IPv4 (every packet's lookup): one string, built at once.
  if (localAddr.length === 4 && remoteAddr.length === 4) {
    return String.fromCharCode(
      (localAddr[0]! << 8) | localAddr[1]!,
      (localAddr[2]! << 8) | localAddr[3]!,
      localPort,
      (remoteAddr[0]! << 8) | remoteAddr[1]!,
      (remoteAddr[2]! << 8) | remoteAddr[3]!,
      remotePort,
    );
  }
  return addrKey(localAddr) + String.fromCharCode(localPort) + addrKey(remoteAddr) + String.fromCharCode(remotePort);
}

/** The key of a bound local endpoint (address may be the unspecified one). */
export function endpointKey(addr: Uint8Array, port: number): string {
  return addrKey(addr) + String.fromCharCode(port);
}
