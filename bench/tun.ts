// TUN throughput: packets per second written into and read out of a TUN
// device in a private namespace, for each backend. Not a pass/fail test: the
// figures drift with the machine; compare only rows from one run.
//
//   write, send()      the stack's path: send() per packet, written in
//                      batches of 64 at once or at the end of the tick
//   write, sendBatch   64 packets per call
//   read               a generator process writes packets into a second
//                      TUN; the kernel forwards them out of the measured one,
//                      where this process reads them
//
// Packets are IPv4/UDP, 1428 bytes in all unless SYNACK_BENCH_TUN_SIZE says
// otherwise; each case runs SYNACK_BENCH_SECONDS (default 2) seconds.

import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { backendSkip, interopSkip, withNetns, type Netns } from '../test/interop/netns.js';
import type { Bench, BenchRow } from './harness.js';
import { udpPackets } from './tun-packets.js';

const here = dirname(fileURLToPath(import.meta.url));
const GENERATOR = join(here, 'tun-gen.js');
const SIZE = Number(process.env['SYNACK_BENCH_TUN_SIZE'] ?? '1428');
const SECONDS = Number(process.env['SYNACK_BENCH_SECONDS'] ?? '2');

type Backend = 'addon' | 'python';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function cpuUs(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return d.user + d.system;
}

async function writeCase(ns: Netns, backend: Backend, mode: 'send' | 'sendBatch'): Promise<BenchRow> {
  // To 10.77.0.9: on the kernel's subnet but not its address, with
  // forwarding off, so the kernel drops each packet once routing is done.
  // The same 64 packets are written over and over: the kernel copies each
  // one during the write, so reusing them measures the device and not the
  // allocator.
  const packets = udpPackets('10.77.0.2', '10.77.0.9', SIZE, 64);
  const tun = ns.tun;
  const before = { ...tun.stats };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const until = t0 + SECONDS * 1000;
  while (performance.now() < until) {
    for (let r = 0; r < 16; r++) {
      if (mode === 'send') for (let i = 0; i < packets.length; i++) tun.send(packets[i]!);
      else tun.sendBatch(packets);
    }
    await tick();
  }
  tun.flush();
  const elapsed = (performance.now() - t0) / 1000;
  const sent = tun.stats.txPackets - before.txPackets;
  const errors = tun.stats.txErrors - before.txErrors;
  return {
    bench: 'tun',
    case: `write ${mode === 'send' ? 'send()' : 'sendBatch(64)'}, ${backend}, ${SIZE} B`,
    value: sent / elapsed,
    unit: 'packets/s',
    note: `${(cpuUs(cpu0) / Math.max(sent, 1)).toFixed(2)} µs CPU/packet${errors ? `, ${errors} refused (${tun.stats.txLastError})` : ''}`,
  };
}

function txDropped(ns: Netns): number {
  const r = spawnSync('ip', ['-n', ns.name, '-j', '-s', 'link', 'show', 'dev', ns.ifname], { encoding: 'utf8' });
  try {
    const j = JSON.parse(r.stdout) as { stats64?: { tx?: { dropped?: number } } }[];
    return j[0]?.stats64?.tx?.dropped ?? NaN;
  } catch {
    return NaN;
  }
}

async function readCase(ns: Netns, backend: Backend, generatorBackend: Backend): Promise<BenchRow> {
  const name = `read, ${backend}, ${SIZE} B`;
  // Forward 10.78.0.0/24 (the generator's TUN) to 10.77.0.0/24 (ours).
  const setup = await ns.run([
    'sh',
    '-c',
    'echo 1 > /proc/sys/net/ipv4/ip_forward && for f in /proc/sys/net/ipv4/conf/*/rp_filter; do echo 0 > $f; done',
  ]);
  if (setup.code !== 0) return { bench: 'tun', case: name, value: NaN, unit: 'packets/s', note: `setup failed: ${setup.stderr.trim()}` };

  // A name of its own: the kernel would otherwise reuse the name our TUN had
  // before it moved into the namespace.
  const genName = `skgen${process.pid % 1_000_000}`;
  const gen = spawn(process.execPath, [GENERATOR, generatorBackend, '10.78.0.2', '10.77.0.2', String(SIZE), genName], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: gen.stdout! });
  const nextLine = (): Promise<string> =>
    new Promise((resolve, reject) => {
      lines.once('line', resolve);
      gen.once('close', () => reject(new Error('the generator exited')));
    });
  try {
    const opened = /^open (\S+)$/.exec(await nextLine());
    if (opened === null) throw new Error('the generator did not open its device');
    const genIf = opened[1]!;
    for (const args of [
      ['link', 'set', 'dev', genIf, 'netns', ns.name],
      ['-n', ns.name, 'addr', 'add', '10.78.0.1/24', 'dev', genIf],
      ['-n', ns.name, 'link', 'set', 'dev', genIf, 'up'],
    ]) {
      const r = spawnSync('ip', args, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
    }

    let received = 0;
    let first = 0;
    let last = 0;
    ns.tun.onReceive = () => {
      if (received++ === 0) first = performance.now();
      else last = performance.now();
    };
    const dropped0 = txDropped(ns);
    const before = { ...ns.tun.stats };
    const cpu0 = process.cpuUsage();
    gen.stdin!.write(`go ${SECONDS}\n`);
    const sentLine = /^sent (\d+) (\d+)$/.exec(await nextLine());
    if (sentLine === null) throw new Error('the generator did not report');
    await new Promise((r) => setTimeout(r, 300));
    const cpu = cpuUs(cpu0);
    const sent = Number(sentLine[1]);
    const batches = ns.tun.stats.rxBatches - before.rxBatches;
    const dropped = txDropped(ns) - dropped0;
    const elapsed = (last - first) / 1000;
    return {
      bench: 'tun',
      case: name,
      value: elapsed > 0 ? received / elapsed : NaN,
      unit: 'packets/s',
      note:
        `${(cpu / Math.max(received, 1)).toFixed(2)} µs CPU/packet here, ${(received / Math.max(batches, 1)).toFixed(1)} packets/wake-up, ` +
        `${received}/${sent} of the generator's (${generatorBackend}) packets, ${dropped} dropped by the TUN queue`,
    };
  } catch (e) {
    return { bench: 'tun', case: name, value: NaN, unit: 'packets/s', note: `failed: ${e instanceof Error ? e.message : String(e)}` };
  } finally {
    ns.tun.onReceive = null;
    gen.stdin!.end();
    if (gen.exitCode === null) await new Promise((r) => gen.once('close', r));
  }
}

async function run(): Promise<BenchRow[]> {
  const skip = interopSkip();
  if (skip !== undefined) return [{ bench: 'tun', case: 'all', value: NaN, unit: 'packets/s', note: `skipped: ${skip}` }];
  const rows: BenchRow[] = [];
  const generatorBackend: Backend = backendSkip('addon') === undefined ? 'addon' : 'python';
  for (const backend of ['addon', 'python'] as const) {
    const why = backendSkip(backend);
    if (why !== undefined) {
      rows.push({ bench: 'tun', case: backend, value: NaN, unit: 'packets/s', note: `skipped: ${why}` });
      continue;
    }
    // txqueuelen 5000: the default 500 drops under load.
    await withNetns(
      async (ns) => {
        rows.push(await writeCase(ns, backend, 'send'));
        rows.push(await writeCase(ns, backend, 'sendBatch'));
        rows.push(await readCase(ns, backend, generatorBackend));
      },
      { tun: { backend, txQueueLen: 5000 }, ipv6: false },
    );
  }
  return rows;
}

export const tunBench: Bench = {
  name: 'tun',
  description: 'packets/s written into and read out of a TUN device, per backend (needs root)',
  run,
};
