// The run environment a script assumes: address family, addresses, ports,
// timing tolerance and the switches that change how packets are compared.
// Values come from the script's `--name=value` lines, then from the
// caller's overrides (command-line flags win, as in packetdrill).

import type { Script } from './ast.js';

export type IpVersion = 'ipv4' | 'ipv4-mapped-ipv6' | 'ipv6';

export interface DrillEnvironment {
  ipVersion: IpVersion;
  localIp: string;
  remoteIp: string;
  gatewayIp: string;
  netmaskIp: string;
  bindPort: number;
  connectPort: number;
  mtu: number;
  /** Absolute timing slack (µs), default 4000. */
  toleranceUsecs: number;
  /** Relative slack: this percentage of the gap since the previous event, default 12.5. */
  tolerancePercent: number;
  /** µs per outbound TS val tick; 0 = TS val unchecked (default). */
  tcpTsTickUsecs: number;
  /** Interpolate unknown inbound TS ecr values instead of failing. */
  tcpTsEcrScaled: boolean;
  /** No aggregation of outbound segments (TSO/GSO) when comparing. */
  strictSegments: boolean;
  /** Kinds of mismatch that only warn (`--non_fatal=packet,syscall`). */
  nonFatal: Set<'packet' | 'syscall'>;
  /** GSO size for inbound super-packets (0 = off). */
  mss: number;
  /** `-D SYM=VAL` symbols the script was parsed with. */
  defines: Record<string, string>;
  /** Option names the script or the caller gave (the rest are defaults). */
  explicit?: ReadonlySet<string>;
}

/**
 * The symbols packetdrill's own harness passes for each address family
 * (TFO cookie, the ICMP code used by a few scripts, cmsg level/type names).
 */
export const HARNESS_DEFINES: Readonly<Record<IpVersion, Readonly<Record<string, string>>>> = {
  ipv4: { TFO_COOKIE: '3021b9d889017eeb', CODE: 'host_unreachable', CMSG_LEVEL_IP: 'SOL_IP', CMSG_TYPE_RECVERR: 'IP_RECVERR' },
  ipv6: { TFO_COOKIE: 'c1d1e9742a47a9bc', CMSG_LEVEL_IP: 'SOL_IPV6', CMSG_TYPE_RECVERR: 'IPV6_RECVERR' },
  'ipv4-mapped-ipv6': { TFO_COOKIE: '3021b9d889017eeb', CODE: 'host_unreachable', CMSG_LEVEL_IP: 'SOL_IPV6', CMSG_TYPE_RECVERR: 'IPV6_RECVERR' },
};

/** packetdrill's default addresses (the ones the FreeBSD suite's scripts name in their shell lines). */
const ADDRESSES: Record<'v4' | 'v6', { local: string; remote: string; gateway: string; netmask: string }> = {
  v4: { local: '192.168.0.1', remote: '192.0.2.1', gateway: '192.168.0.1', netmask: '255.255.0.0' },
  v6: { local: 'fd3d:fa7b:d17d::1', remote: '2001:db8::1', gateway: 'fd3d:fa7b:d17d:8888::1', netmask: 'ffff:ffff:ffff:ffff::' },
};

export type EnvResult = { ok: true; env: DrillEnvironment } | { ok: false; error: string };

function num(name: string, v: string | undefined, min: number, max: number): number | string {
  if (v === undefined) return `--${name} needs a value`;
  if (!/^-?[0-9]+(\.[0-9]+)?$/.test(v)) return `--${name}=${v}: not a number`;
  const n = Number(v);
  if (n < min || n > max) return `--${name}=${v}: out of range ${min}..${max}`;
  return n;
}

/**
 * The environment for a script: its options, then `overrides`
 * (name → value, `''` for bare flags), which win.
 */
export function environmentFor(script: Script, overrides: Record<string, string> = {}, defines: Record<string, string> = {}): EnvResult {
  const values = new Map<string, string>();
  for (const o of script.options) if (o.name !== 'define') values.set(o.name, o.value ?? '');
  for (const [k, v] of Object.entries(overrides)) values.set(k, v);
  const ipVersion = (values.get('ip_version') ?? 'ipv4') as IpVersion;
  if (ipVersion !== 'ipv4' && ipVersion !== 'ipv6' && ipVersion !== 'ipv4-mapped-ipv6') {
    return { ok: false, error: `--ip_version=${String(ipVersion)}: expected ipv4, ipv4-mapped-ipv6 or ipv6` };
  }
  const fam = ipVersion === 'ipv6' ? ADDRESSES.v6 : ADDRESSES.v4;
  const env: DrillEnvironment = {
    ipVersion,
    localIp: values.get('local_ip') ?? fam.local,
    remoteIp: values.get('remote_ip') ?? fam.remote,
    gatewayIp: values.get('gateway_ip') ?? fam.gateway,
    netmaskIp: values.get('netmask_ip') ?? fam.netmask,
    bindPort: 8080,
    connectPort: 8080,
    mtu: ipVersion === 'ipv6' ? 1520 : 1500,
    toleranceUsecs: 4000,
    tolerancePercent: 12.5,
    tcpTsTickUsecs: 0,
    tcpTsEcrScaled: values.has('tcp_ts_ecr_scaled'),
    strictSegments: values.has('strict_segments'),
    nonFatal: new Set(),
    mss: 0,
    defines: { ...HARNESS_DEFINES[ipVersion], ...defines },
    explicit: new Set(values.keys()),
  };
  const numeric: [string, keyof DrillEnvironment, number, number][] = [
    ['bind_port', 'bindPort', 0, 0xffff],
    ['connect_port', 'connectPort', 0, 0xffff],
    ['mtu', 'mtu', 68, 0xffff],
    ['tolerance_usecs', 'toleranceUsecs', 0, Number.MAX_SAFE_INTEGER],
    ['tolerance_percent', 'tolerancePercent', 0, 100],
    ['tcp_ts_tick_usecs', 'tcpTsTickUsecs', 0, Number.MAX_SAFE_INTEGER],
    ['mss', 'mss', 0, 0xffff],
  ];
  for (const [opt, key, min, max] of numeric) {
    if (!values.has(opt)) continue;
    const n = num(opt, values.get(opt), min, max);
    if (typeof n === 'string') return { ok: false, error: n };
    (env[key] as number) = n;
  }
  const nf = values.get('non_fatal');
  if (nf !== undefined) {
    for (const k of nf.split(',')) {
      if (k !== 'packet' && k !== 'syscall') return { ok: false, error: `--non_fatal=${nf}: expected packet and/or syscall` };
      env.nonFatal.add(k);
    }
  }
  return { ok: true, env };
}
