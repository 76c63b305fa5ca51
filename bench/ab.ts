// Two builds of synack in one process, taking turns round by round (A then
// B, then B then A), for the differences of a few per cent that a shared
// machine's noise hides between separate runs (docs/performance.md):
//
//   cp -r dist ../before             # the build before a change
//   npm run build                    # the build after it
//   node dist/bench/ab.js ../before dist connect
//
// Each build is a build's output folder (what `npm run build` writes to
// dist/). Cases: connect, pingpong, mtu1500, mtu65535 (the bulk bench's
// in-memory rows). Not a pass/fail test: it prints the ratios.

import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { MB, workloads, type Build, type Workloads } from './workloads.js';

const CASES = ['connect', 'pingpong', 'mtu1500', 'mtu65535'] as const;
type Case = (typeof CASES)[number];

const USAGE = `usage: node dist/bench/ab.js <build A> <build B> [${CASES.join('|')}] [--rounds N]`;

async function load(dir: string): Promise<Build> {
  const from = async <T>(rel: string): Promise<T> => (await import(pathToFileURL(resolve(dir, rel)).href)) as T;
  const device = await from<typeof import('../src/sim/device.js')>('src/sim/device.js');
  const rng = await from<typeof import('../src/sim/rng.js')>('src/sim/rng.js');
  const clock = await from<typeof import('../src/sim/virtual-clock.js')>('src/sim/virtual-clock.js');
  const stack = await from<typeof import('../src/stack/stack.js')>('src/stack/stack.js');
  const addr = await from<typeof import('../src/stack/addr.js')>('src/stack/addr.js');
  return { createLinkPair: device.createLinkPair, Rng: rng.Rng, VirtualClock: clock.VirtualClock, Stack: stack.Stack, parseAddress: addr.parseAddress };
}

/** One round of a case: connections/s, transactions/s or Gbit/s. */
function round(w: Workloads, c: Case): number {
  switch (c) {
    case 'connect':
      return w.connectRate(20_000).rate;
    case 'pingpong':
      return w.pingPong(50_000);
    case 'mtu1500':
    case 'mtu65535': {
      const r = w.transfer(w.pair(c === 'mtu1500' ? 1500 : 65535, {}, 7, undefined, 'auto'), 64 * MB);
      return (r.received * 8) / (r.wallMs * 1e6);
    }
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** The mean of the best quarter (at least one) of `xs`. */
function bestQuarter(xs: number[]): number {
  const s = [...xs].sort((a, b) => b - a).slice(0, Math.max(1, xs.length >> 2));
  return s.reduce((t, x) => t + x, 0) / s.length;
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { rounds: { type: 'string', default: '16' }, help: { type: 'boolean', short: 'h' } } });
  } catch (e) {
    process.stderr.write(`ab: ${e instanceof Error ? e.message : String(e)}; ${USAGE}\n`);
    return 2;
  }
  if (parsed.values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [dirA, dirB, name = 'connect', ...extra] = parsed.positionals;
  const rounds = Number(parsed.values.rounds);
  const problem =
    dirA === undefined || dirB === undefined
      ? 'two builds are needed'
      : extra.length > 0
        ? `unexpected argument ${extra[0]}`
        : !(CASES as readonly string[]).includes(name)
          ? `unknown case ${name}`
          : !Number.isInteger(rounds) || rounds < 2
            ? `--rounds must be an integer of at least 2, got ${parsed.values.rounds}`
            : [dirA, dirB].find((d) => !existsSync(resolve(d, 'src/stack/stack.js'))) !== undefined
              ? `not a build (no src/stack/stack.js): ${[dirA, dirB].find((d) => !existsSync(resolve(d, 'src/stack/stack.js')))}`
              : undefined;
  if (problem !== undefined) {
    process.stderr.write(`ab: ${problem}; ${USAGE}\n`);
    return 2;
  }
  const c = name as Case;
  const a = workloads(await load(dirA!));
  const b = workloads(await load(dirB!));
  // Both compiled first, as the bench's rows are measured.
  for (let i = 0; i < 3; i++) {
    round(a, c);
    round(b, c);
  }
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      xs.push(round(a, c));
      ys.push(round(b, c));
    } else {
      ys.push(round(b, c));
      xs.push(round(a, c));
    }
  }
  const ratios = ys.map((y, i) => y / xs[i]!);
  const f = (x: number): string => x.toLocaleString('en-US', { maximumFractionDigits: x < 100 ? 2 : 0 });
  process.stdout.write(
    `${c}: A median ${f(median(xs))}, best ${f(Math.max(...xs))}; B median ${f(median(ys))}, best ${f(Math.max(...ys))}\n` +
      `B/A: median of ${rounds} rounds' ratios ${median(ratios).toFixed(3)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}), ` +
      `best quarter of each ${(bestQuarter(ys) / bestQuarter(xs)).toFixed(3)}\n`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`ab: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
