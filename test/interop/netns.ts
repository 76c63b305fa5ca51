// Interop test helpers: a private network namespace holding one TUN device,
// the kernel on one side of it and synack (this process) on the other.
//
//   kernel, inside the namespace          this process
//   10.77.0.1/24  fd77::1/64   <-- tunX -->  10.77.0.2  fd77::2
//
// The TUN is opened in the root namespace and moved into the private one
// (`ip link set tunX netns NAME`): the descriptor stays attached, and this
// process keeps reading and writing it while the kernel side lives in the
// namespace. Only the namespace has routes to these addresses, so traffic
// never leaves it. The namespace is always deleted afterwards (try/finally,
// plus an exit hook for a process that dies in between).

import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { openTun, loadAddon, pythonCommand, type TunDevice, type TunOptions } from '../../src/link/tun/index.js';

export const KERNEL_V4 = '10.77.0.1';
export const SYNACK_V4 = '10.77.0.2';
export const KERNEL_V6 = 'fd77::1';
export const SYNACK_V6 = 'fd77::2';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Netns {
  /** The namespace's name (synack-test-<pid>-<n>). */
  readonly name: string;
  /** The TUN device; its interface lives inside the namespace. */
  readonly tun: TunDevice;
  /** The interface name inside the namespace. */
  readonly ifname: string;
  /** Run a command inside the namespace (`ip netns exec NAME ...`) and wait for it. */
  run(argv: readonly string[], opts?: { timeoutMs?: number; env?: NodeJS.ProcessEnv; input?: string }): Promise<RunResult>;
  /** Start a command inside the namespace without waiting for it. */
  spawn(argv: readonly string[], opts?: SpawnOptions): ChildProcess;
}

export interface NetnsOptions {
  /** Passed to openTun (default: the preferred backend, MTU 1500). */
  tun?: TunOptions;
  /** Give the kernel side IPv6 (fd77::1/64) as well (default true). */
  ipv6?: boolean;
}

/** Whether a command can be found on PATH. */
export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

let probed: string | null | undefined;

function probe(): string | null {
  if (process.platform !== 'linux') return `TUN devices and network namespaces are Linux only (this is ${process.platform})`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    return 'needs root (CAP_NET_ADMIN) to create network namespaces and TUN devices';
  }
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun does not exist (no TUN support in this kernel or container)';
  try {
    accessSync('/dev/net/tun', constants.R_OK | constants.W_OK);
  } catch {
    return '/dev/net/tun is not readable and writable';
  }
  if (!hasCommand('ip')) return "the 'ip' command (iproute2) is not installed";
  // Creating a namespace can still be refused (a container without
  // CAP_SYS_ADMIN): try one.
  const probeName = `synack-probe-${process.pid}`;
  const add = spawnSync('ip', ['netns', 'add', probeName], { encoding: 'utf8' });
  if (add.status !== 0) return `cannot create a network namespace: ${(add.stderr || add.error?.message || '').trim()}`;
  spawnSync('ip', ['netns', 'del', probeName], { stdio: 'ignore' });
  return null;
}

/**
 * Why interop tests cannot run here, or undefined when they can. Pass the
 * extra commands a test needs (e.g. ['ping', 'tcpdump']). Use it as
 * node:test's `skip` option, so a missing capability is reported as a skip
 * with its reason, never as a pass.
 */
export function interopSkip(commands: readonly string[] = []): string | undefined {
  if (probed === undefined) probed = probe();
  if (probed !== null) return probed;
  for (const c of commands) if (!hasCommand(c)) return `the '${c}' command is not installed`;
  return undefined;
}

/** Why a given TUN backend cannot be used here, or undefined. */
export function backendSkip(backend: 'addon' | 'python'): string | undefined {
  if (backend === 'addon') {
    const { addon, reason } = loadAddon();
    return addon === null ? `TUN addon unavailable: ${reason}` : undefined;
  }
  return hasCommand(pythonCommand()) ? undefined : `'${pythonCommand()}' is not installed (the fallback backend needs it)`;
}

const live = new Set<string>();
let counter = 0;
let hooked = false;

function deleteNamespace(name: string): void {
  spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
  live.delete(name);
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const name of [...live]) deleteNamespace(name);
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      for (const name of [...live]) deleteNamespace(name);
      process.kill(process.pid, sig);
    });
  }
}

export function ip(args: readonly string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim()}`);
}

function nsExec(name: string, argv: readonly string[]): void {
  ip(['netns', 'exec', name, ...argv]);
}

function run(name: string, argv: readonly string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', name, ...argv], {
      env: opts.env ?? process.env,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    if (opts.input !== undefined) {
      // A command that exits without reading its input must not fail the run.
      child.stdin!.on('error', () => {});
      child.stdin!.end(opts.input);
    }
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            child.kill('SIGKILL');
          }, opts.timeoutMs);
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/**
 * The namespace's SNMP counters, from /proc/net/snmp ('Icmp.InEchoReps',
 * 'Ip.InHdrErrors', ...) and /proc/net/snmp6 ('Icmp6InEchoReplies', ...).
 * They are the kernel's verdict on what it received: a packet with a bad
 * checksum still reaches a raw socket (ping), but is counted here as an
 * error instead of as a reply.
 */
export async function kernelCounters(ns: Pick<Netns, 'run'>): Promise<Map<string, number>> {
  const r = await ns.run(['cat', '/proc/net/snmp', '/proc/net/snmp6'], { timeoutMs: 10_000 });
  if (r.code !== 0) throw new Error(`reading the namespace's counters failed: ${r.stderr}`);
  const counters = new Map<string, number>();
  const lines = r.stdout.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const m = /^(\w+): (.*)$/.exec(line);
    if (m !== null) {
      // /proc/net/snmp: a line of names, then a line of values, both prefixed.
      const next = lines[i + 1] ?? '';
      if (!next.startsWith(`${m[1]}: `)) continue;
      const names = m[2]!.trim().split(/\s+/);
      const values = next.slice(m[1]!.length + 2).trim().split(/\s+/);
      names.forEach((n, k) => counters.set(`${m[1]}.${n}`, Number(values[k])));
      i++;
      continue;
    }
    const kv = /^(\w+)\s+(-?\d+)$/.exec(line.trim());
    if (kv !== null) counters.set(kv[1]!, Number(kv[2]));
  }
  return counters;
}

/** A namespace without a TUN: for commands that make their own (synack serve, synack connect). */
export interface BareNetns {
  readonly name: string;
  run(argv: readonly string[], opts?: { timeoutMs?: number; env?: NodeJS.ProcessEnv; input?: string }): Promise<RunResult>;
  spawn(argv: readonly string[], opts?: SpawnOptions): ChildProcess;
}

/**
 * Create a uniquely named namespace with only `lo` up in it, run `fn`, and
 * always delete the namespace (which also removes any TUN interface a
 * command made inside it once that command has exited).
 */
export async function withBareNetns<T>(fn: (ns: BareNetns) => Promise<T>): Promise<T> {
  hookExit();
  const name = `synack-test-${process.pid}-${counter++}`;
  ip(['netns', 'add', name]);
  live.add(name);
  try {
    nsExec(name, [
      'sh',
      '-c',
      'echo 0 > /proc/sys/net/ipv6/conf/default/router_solicitations && echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad',
    ]);
    ip(['-n', name, 'link', 'set', 'dev', 'lo', 'up']);
    return await fn({
      name,
      run: (argv, o) => run(name, argv, o),
      spawn: (argv, o) => spawn('ip', ['netns', 'exec', name, ...argv], o ?? {}),
    });
  } finally {
    deleteNamespace(name);
  }
}

/**
 * Create a uniquely named namespace with a TUN device in it, configure the
 * kernel's side (10.77.0.1/24 and fd77::1/64 on the TUN, link up, lo up),
 * run `fn`, and always close the device and delete the namespace.
 */
export async function withNetns<T>(fn: (ns: Netns) => Promise<T>, opts: NetnsOptions = {}): Promise<T> {
  hookExit();
  const name = `synack-test-${process.pid}-${counter++}`;
  ip(['netns', 'add', name]);
  live.add(name);
  let tun: TunDevice | undefined;
  try {
    // Quiet the kernel's side of the link: no router solicitations, no
    // duplicate address detection delaying fd77::1. Set on "default" so the
    // TUN picks them up when it arrives in the namespace.
    nsExec(name, [
      'sh',
      '-c',
      'echo 0 > /proc/sys/net/ipv6/conf/default/router_solicitations && echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad',
    ]);
    tun = await openTun(opts.tun);
    const ifname = tun.name;
    ip(['link', 'set', 'dev', ifname, 'netns', name]);
    ip(['-n', name, 'link', 'set', 'dev', 'lo', 'up']);
    ip(['-n', name, 'addr', 'add', `${KERNEL_V4}/24`, 'dev', ifname]);
    if (opts.ipv6 ?? true) ip(['-n', name, '-6', 'addr', 'add', `${KERNEL_V6}/64`, 'dev', ifname, 'nodad']);
    ip(['-n', name, 'link', 'set', 'dev', ifname, 'up']);
    const device = tun;
    return await fn({
      name,
      tun: device,
      ifname,
      run: (argv, o) => run(name, argv, o),
      spawn: (argv, o) => spawn('ip', ['netns', 'exec', name, ...argv], o ?? {}),
    });
  } finally {
    if (tun !== undefined) {
      tun.close();
      await tun.closed;
    }
    deleteNamespace(name);
  }
}
