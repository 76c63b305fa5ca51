// synack against the kernel's TCP over a TUN, beside the kernel against
// itself over a veth pair, in one run: bulk throughput both ways, 1-byte
// ping-pong and connect+close rate, at MTU 1500 and 65535. Each synack row
// carries its ratio to the kernel's row of the same case.
//
// One C program (bench/peer.c, built here with the system's compiler) is
// the kernel's side everywhere: the client that drives every peer from a
// namespace, and the reference servers behind the veth. The peers serve
// the same three ports: 5201 read-and-discard, 5202 send until the client
// goes, 5203 echo.
//
//   kernel → peer   `peer send` to 5201 (the peer receives)
//   peer → kernel   `peer recv` from 5202 (the peer sends)
//   ping-pong       `peer pingpong` on 5203, transactions/s
//   connect+close   `peer connect` on 5203: connect, FIN, the peer's FIN, close
//
// gVisor's netstack (bench/gvisor-peer, built with Debian's golang-go and
// golang-gvisor-gvisor-dev) on a TUN and lwIP (bench/lwip-peer.c, with
// Debian's liblwip-dev; MTU 1500 only) on a TAP run the same servers and
// get rows of their own when those packages are installed; otherwise a row
// says why they were skipped.
//
// Every userspace peer, synack included (bench/synack-peer.ts), runs in a
// process of its own, started afresh for each MTU, and every peer, the
// kernel's included, gets half a second of unmeasured transfer each way
// before its cases.
//
// SYNACK_BENCH_SECONDS (default 2) per case; SYNACK_BENCH_MTUS=65535 runs one
// MTU; SYNACK_BENCH_TSO=0 opens synack's TUN without segmentation offload.
// Timing is noisy on a shared machine: compare rows of one run only.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasCommand, interopSkip, SYNACK_V4 } from '../test/interop/netns.js';
import type { Bench, BenchRow } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const SECONDS = Number(process.env['SYNACK_BENCH_SECONDS'] ?? '2');
const WARM_UP_SECONDS = 0.5;
/** SYNACK_BENCH_MTUS picks MTUs (comma-separated, of 1500 and 65535; default both). */
const MTUS = ((process.env['SYNACK_BENCH_MTUS'] ?? '1500,65535').split(',').map(Number).filter((m) => m === 1500 || m === 65535)) as Array<1500 | 65535>;

type CaseName = 'kernel → peer' | 'peer → kernel' | 'ping-pong' | 'connect+close';
const CASES: ReadonlyArray<{ name: CaseName; mode: string; port: number; unit: string }> = [
  { name: 'kernel → peer', mode: 'send', port: 5201, unit: 'Mbit/s' },
  { name: 'peer → kernel', mode: 'recv', port: 5202, unit: 'Mbit/s' },
  { name: 'ping-pong', mode: 'pingpong', port: 5203, unit: 'transactions/s' },
  { name: 'connect+close', mode: 'connect', port: 5203, unit: 'connections/s' },
];

/** Find bench/peer.c from the source tree or beside the build, and compile it (once per run). */
function buildPeer(): { path: string } | { skip: string } {
  const candidates = [join(here, 'peer.c'), join(here, '..', '..', 'bench', 'peer.c')];
  const source = candidates.find((p) => existsSync(p));
  if (source === undefined) return { skip: 'bench/peer.c not found' };
  const cc = ['cc', 'gcc', 'clang'].find((c) => hasCommand(c));
  if (cc === undefined) return { skip: 'no C compiler (cc, gcc or clang) to build bench/peer.c' };
  const out = join(mkdtempSync(join(tmpdir(), 'synack-peer-')), 'peer');
  const r = spawnSync(cc, ['-O2', '-pthread', '-o', out, source], { encoding: 'utf8' });
  if (r.status !== 0 || !statSync(out, { throwIfNoEntry: false })) return { skip: `building bench/peer.c failed: ${(r.stderr || r.error?.message || '').trim()}` };
  return { path: out };
}

/** Build bench/gvisor-peer with Debian's Go and gVisor packages (GOPATH mode, offline). */
function buildGvisor(): { path: string } | { skip: string } {
  const candidates = [join(here, 'gvisor-peer', 'main.go'), join(here, '..', '..', 'bench', 'gvisor-peer', 'main.go')];
  const source = candidates.find((p) => existsSync(p));
  if (source === undefined) return { skip: 'bench/gvisor-peer/main.go not found' };
  if (!hasCommand('go')) return { skip: "no Go toolchain (Debian's golang-go)" };
  const gopath = '/usr/share/gocode';
  if (!existsSync(join(gopath, 'src', 'gvisor.dev', 'gvisor', 'pkg', 'tcpip'))) return { skip: "gVisor's sources are not installed (Debian's golang-gvisor-gvisor-dev)" };
  const dir = mkdtempSync(join(tmpdir(), 'synack-gvisor-'));
  const out = join(dir, 'gvisor-peer');
  const env = { ...process.env, GO111MODULE: 'off', GOPATH: gopath, GOCACHE: join(dir, 'cache'), GOFLAGS: '' };
  const r = spawnSync('go', ['build', '-o', out, source], { encoding: 'utf8', env });
  if (r.status !== 0) return { skip: `building the gVisor peer failed: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(0, 3).join(' ')}` };
  return { path: out };
}

function ip(args: readonly string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

/** Run `peer MODE HOST PORT SECONDS` in namespace `ns`; returns the amount per second. */
function drive(peer: string, ns: string, mode: string, host: string, port: number, seconds = SECONDS): Promise<{ value: number; note: string }> {
  return new Promise((resolve) => {
    const child = spawn('ip', ['netns', 'exec', ns, peer, mode, host, String(port), String(seconds)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), (SECONDS + 30) * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const m = /^(\d+) ([\d.]+)$/.exec(out.trim());
      if (code !== 0 || m === null) {
        resolve({ value: NaN, note: `failed: ${err.trim() || `exit ${code}`}` });
        return;
      }
      const amount = Number(m[1]);
      const secs = Number(m[2]);
      const perSecond = amount / secs;
      resolve({ value: mode === 'send' || mode === 'recv' ? (perSecond * 8) / 1e6 : perSecond, note: '' });
    });
  });
}

/**
 * Half a second of bulk transfer each way, not measured, before a peer's
 * cases: the same for every peer, so that none is measured while it warms
 * up (synack's JIT compiler, a cold page cache anywhere).
 */
async function warmUp(peer: string, ns: string, host: string): Promise<void> {
  await drive(peer, ns, 'send', host, 5201, WARM_UP_SECONDS);
  await drive(peer, ns, 'recv', host, 5202, WARM_UP_SECONDS);
  await new Promise((res) => setTimeout(res, 300));
}

/** Settings of a client namespace: a wide port range and TIME-WAIT reuse for the connect+close loop. */
function tuneClient(ns: string): void {
  spawnSync('ip', ['netns', 'exec', ns, 'sh', '-c', 'echo "1024 65535" > /proc/sys/net/ipv4/ip_local_port_range; echo 1 > /proc/sys/net/ipv4/tcp_tw_reuse'], {
    stdio: 'ignore',
  });
}

type Results = Map<string, { value: number; note: string }>;
const key = (peer: string, mtu: number, c: CaseName): string => `${peer}|${mtu}|${c}`;

/** The reference: the kernel against itself, peer servers in one namespace, the client in another, a veth between. */
async function kernelVeth(peer: string, mtu: number, results: Results): Promise<void> {
  const tag = `${process.pid}-${mtu}`;
  const a = `synack-bench-a-${tag}`;
  const b = `synack-bench-b-${tag}`;
  let server: ChildProcess | undefined;
  try {
    ip(['netns', 'add', a]);
    ip(['netns', 'add', b]);
    ip(['link', 'add', 'vbench0', 'netns', a, 'type', 'veth', 'peer', 'name', 'vbench1', 'netns', b]);
    ip(['-n', a, 'addr', 'add', '10.88.0.1/24', 'dev', 'vbench0']);
    ip(['-n', b, 'addr', 'add', '10.88.0.2/24', 'dev', 'vbench1']);
    for (const [ns, dev] of [
      [a, 'vbench0'],
      [b, 'vbench1'],
    ] as const) {
      ip(['-n', ns, 'link', 'set', 'dev', dev, 'mtu', String(mtu), 'up']);
      ip(['-n', ns, 'link', 'set', 'dev', 'lo', 'up']);
    }
    tuneClient(a);
    server = spawn('ip', ['netns', 'exec', b, peer, 'serve', '10.88.0.2'], { stdio: ['pipe', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      server!.stdout!.once('data', () => resolve());
      server!.once('close', () => reject(new Error('the reference server exited')));
    });
    await warmUp(peer, a, '10.88.0.2');
    for (const c of CASES) results.set(key('kernel veth', mtu, c.name), await drive(peer, a, c.mode, '10.88.0.2', c.port));
  } catch (e) {
    for (const c of CASES) results.set(key('kernel veth', mtu, c.name), { value: NaN, note: `failed: ${e instanceof Error ? e.message : String(e)}` });
  } finally {
    if (server !== undefined) {
      server.stdin!.end();
      server.kill();
    }
    spawnSync('ip', ['netns', 'del', a], { stdio: 'ignore' });
    spawnSync('ip', ['netns', 'del', b], { stdio: 'ignore' });
  }
}

/**
 * synack in a process of its own (bench/synack-peer.ts), started afresh for
 * each MTU as the other userspace peers are; the client runs in the
 * namespace the peer made.
 */
async function synackTun(peer: string, mtu: number, results: Results): Promise<void> {
  const child = spawn(process.execPath, [join(here, 'synack-peer.js'), String(mtu)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<void>((r) => child.once('close', () => r()));
  try {
    const ns = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => {
        out += s;
        const m = /^ready (\S+)\n/.exec(out);
        if (m !== null) resolve(m[1]!);
      });
      child.once('close', () => reject(new Error(`the synack peer exited: ${err.trim()}`)));
    });
    tuneClient(ns);
    await warmUp(peer, ns, SYNACK_V4);
    for (const c of CASES) {
      const r = await drive(peer, ns, c.mode, SYNACK_V4, c.port);
      // Let closing connections finish before the next case.
      await new Promise((res) => setTimeout(res, 300));
      results.set(key('synack TUN', mtu, c.name), r);
    }
  } catch (e) {
    for (const c of CASES) results.set(key('synack TUN', mtu, c.name), { value: NaN, note: `failed: ${e instanceof Error ? e.message : String(e)}` });
  } finally {
    child.stdin.end();
    await exited;
  }
}

/**
 * Another stack as the peer (gVisor's netstack on a TUN, lwIP on a TAP): its
 * program creates the interface in the root namespace and says "ready";
 * the interface moves into a namespace of its own where the client runs,
 * as synack's does.
 */
async function foreignPeer(label: string, client: string, argv: readonly string[], ifname: string, mtu: number, results: Results): Promise<void> {
  const ns = `synack-bench-p-${process.pid}-${mtu}`;
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.once('data', () => resolve());
      child.once('close', () => reject(new Error(`the ${label} peer exited: ${err.trim()}`)));
    });
    ip(['netns', 'add', ns]);
    ip(['link', 'set', 'dev', ifname, 'netns', ns]);
    ip(['-n', ns, 'link', 'set', 'dev', 'lo', 'up']);
    ip(['-n', ns, 'addr', 'add', '10.77.0.1/24', 'dev', ifname]);
    ip(['-n', ns, 'link', 'set', 'dev', ifname, 'mtu', String(mtu), 'txqueuelen', '5000', 'up']);
    tuneClient(ns);
    await warmUp(client, ns, SYNACK_V4);
    for (const c of CASES) {
      results.set(key(label, mtu, c.name), await drive(client, ns, c.mode, SYNACK_V4, c.port));
      await new Promise((res) => setTimeout(res, 300));
    }
  } catch (e) {
    for (const c of CASES) results.set(key(label, mtu, c.name), { value: NaN, note: `failed: ${e instanceof Error ? e.message : String(e)}` });
  } finally {
    child.stdin.end();
    child.kill();
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  }
}

/** Build bench/lwip-peer.c against Debian's liblwip-dev. */
function buildLwip(): { path: string } | { skip: string } {
  const candidates = [join(here, 'lwip-peer.c'), join(here, '..', '..', 'bench', 'lwip-peer.c')];
  const source = candidates.find((p) => existsSync(p));
  if (source === undefined) return { skip: 'bench/lwip-peer.c not found' };
  if (!existsSync('/usr/include/lwip/lwip/tcpip.h')) return { skip: "lwIP is not installed (Debian's liblwip-dev)" };
  const cc = ['cc', 'gcc', 'clang'].find((c) => hasCommand(c));
  if (cc === undefined) return { skip: 'no C compiler' };
  const out = join(mkdtempSync(join(tmpdir(), 'synack-lwip-')), 'lwip-peer');
  const r = spawnSync(cc, ['-O2', '-pthread', '-I/usr/include/lwip', '-o', out, source, '-llwip'], { encoding: 'utf8' });
  if (r.status !== 0) return { skip: `building the lwIP peer failed: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(0, 3).join(' ')}` };
  return { path: out };
}

async function run(): Promise<BenchRow[]> {
  const skip = interopSkip();
  if (skip !== undefined) return [{ bench: 'interop', case: 'all', value: NaN, unit: '-', note: `skipped: ${skip}` }];
  const built = buildPeer();
  if ('skip' in built) return [{ bench: 'interop', case: 'all', value: NaN, unit: '-', note: `skipped: ${built.skip}` }];
  const results: Results = new Map();
  const gvisor = buildGvisor();
  const lwip = buildLwip();
  const tag = process.pid % 100000;
  for (const mtu of MTUS) {
    await kernelVeth(built.path, mtu, results);
    await synackTun(built.path, mtu, results);
    if ('path' in gvisor) await foreignPeer('gVisor', built.path, [gvisor.path, `gvb${tag}`, String(mtu), SYNACK_V4], `gvb${tag}`, mtu, results);
    // lwIP's packaged build: 1460-byte MSS and 1536-byte frames, so MTU 1500 only.
    if ('path' in lwip && mtu === 1500) await foreignPeer('lwIP', built.path, [lwip.path, `lwb${tag}`, SYNACK_V4], `lwb${tag}`, mtu, results);
  }
  const rows: BenchRow[] = [];
  for (const mtu of MTUS) {
    for (const c of CASES) {
      const ref = results.get(key('kernel veth', mtu, c.name))!;
      const label = (peer: string): string => (c.name.includes('peer') ? c.name.replace('peer', peer) : `${c.name}, ${peer}`);
      rows.push({ bench: 'interop', case: `${label('kernel server')}, veth ${mtu} (reference)`, value: ref.value, unit: c.unit, note: ref.note });
      const compared = (name: string, dev: string, r: { value: number; note: string }): BenchRow => {
        const ratio = r.value / ref.value;
        return {
          bench: 'interop',
          case: `${label(name)}, ${dev} ${mtu}`,
          value: r.value,
          unit: c.unit,
          note: r.note !== '' ? r.note : Number.isFinite(ratio) ? `${ratio.toPrecision(2)} × the kernel over veth` : 'no reference to compare with',
        };
      };
      rows.push(compared('synack', 'TUN', results.get(key('synack TUN', mtu, c.name))!));
      if ('path' in gvisor) rows.push(compared('gVisor', 'TUN', results.get(key('gVisor', mtu, c.name))!));
      if ('path' in lwip && mtu === 1500) rows.push(compared('lwIP', 'TAP', results.get(key('lwIP', mtu, c.name))!));
    }
  }
  if ('skip' in gvisor) rows.push({ bench: 'interop', case: 'gVisor netstack TUN, all cases', value: NaN, unit: '-', note: `skipped: ${gvisor.skip}` });
  if ('skip' in lwip) rows.push({ bench: 'interop', case: 'lwIP TAP, all cases', value: NaN, unit: '-', note: `skipped: ${lwip.skip}` });
  else rows.push({ bench: 'interop', case: 'lwIP TAP 65535, all cases', value: NaN, unit: '-', note: "skipped: Debian's lwIP build has a 1460-byte MSS and 1536-byte frame buffers" });
  return rows;
}

export const interopBench: Bench = {
  name: 'interop',
  description: 'synack vs the kernel over a TUN beside kernel vs kernel over veth: bulk both ways, ping-pong, connect+close (needs root and cc)',
  run,
};
