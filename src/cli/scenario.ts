// `synack scenario`: replay the behaviours of TCP connection management and
// its timers between two simulated hosts, segment by segment.

import { writeFileSync } from 'node:fs';
import { SCENARIOS, findScenario, type Scenario } from '../sim/scenario/catalog.js';
import { renderTimeline } from '../sim/scenario/render.js';
import { ladderEvents } from '../sim/scenario/ladder.js';
import { ladderSvg, ladderText, tsgInputFromEvents } from '../trace/diagram/index.js';
import { htmlReport, type ReportConnection } from '../trace/report/index.js';
import { World } from '../sim/scenario/world.js';
import { LINKTYPE_RAW } from '../trace/capture.js';
import { writePcap } from '../trace/pcap.js';
import type { ProfileName } from '../tcp/config.js';

export const SCENARIO_USAGE = `usage: synack scenario [NAME...] [-S] [--profile linux|bsd] [--pcap FILE] [--seed N]
                       [--diagram [--rfc-isn]] [--svg FILE] [--html FILE]
       synack scenario --list
  With no NAME, plays every scenario in turn (the tour).
  -S            absolute sequence numbers (as tcpdump -S)
  --profile P   timers and options of 'linux' (default) or the classic 'bsd' texts
  --pcap FILE   also write the packets of one scenario as a pcap file
  --seed N      seed of the simulation's randomness (ports, sequence numbers)
  --diagram     add the RFC 793-style ladder diagram (--rfc-isn: ISNs shown as 100 and 300)
  --svg FILE    write the ladder of one scenario as SVG
  --html FILE   write one self-contained page: ladder, graphs, states, tcpdump lines
`;

/** Capture timestamps start here (2026-01-01 00:00:00 UTC) so captures show a plausible date. */
const EPOCH_SECONDS = 1_767_225_600;

class UsageError extends Error {}

interface ScenarioArgs {
  names: string[];
  absoluteSeq: boolean;
  profile: ProfileName | undefined;
  pcap: string | undefined;
  seed: number;
  list: boolean;
  diagram: boolean;
  rfcIsn: boolean;
  svg: string | undefined;
  html: string | undefined;
}

function parseArgs(argv: string[]): ScenarioArgs {
  const a: ScenarioArgs = { names: [], absoluteSeq: false, profile: undefined, pcap: undefined, seed: 1, list: false, diagram: false, rfcIsn: false, svg: undefined, html: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    if (arg === '-S') a.absoluteSeq = true;
    else if (arg === '--list') a.list = true;
    else if (arg === '--diagram') a.diagram = true;
    else if (arg === '--rfc-isn') a.rfcIsn = true;
    else if (arg === '--svg') a.svg = value();
    else if (arg === '--html') a.html = value();
    else if (arg === '--profile') {
      const p = value();
      if (p !== 'linux' && p !== 'bsd') throw new UsageError(`unknown profile '${p}' (linux or bsd)`);
      a.profile = p;
    } else if (arg === '--pcap') a.pcap = value();
    else if (arg === '--seed') {
      const v = value();
      if (!/^[0-9]+$/.test(v)) throw new UsageError(`invalid seed '${v}'`);
      a.seed = Number(v);
    } else if (arg === '-h' || arg === '--help') throw new UsageError('');
    else if (arg.startsWith('-')) throw new UsageError(`unknown option '${arg}'`);
    else {
      if (findScenario(arg) === undefined) throw new UsageError(`no scenario named '${arg}' (synack scenario --list)`);
      a.names.push(arg);
    }
  }
  for (const [flag, v] of [['--pcap', a.pcap], ['--svg', a.svg], ['--html', a.html]] as const) {
    if (v !== undefined && a.names.length !== 1) throw new UsageError(`${flag} needs exactly one scenario name`);
  }
  return a;
}

/** Plays one scenario and returns its world and verdict. */
export function playScenario(s: Scenario, opts: { profile?: ProfileName; seed?: number } = {}): { world: World; ok: boolean; verdict: string } {
  const world = new World({ ...s.world, ...(opts.profile ?? s.profile ? { profile: opts.profile ?? s.profile } : {}), seed: opts.seed ?? 1 });
  const outcome = s.play(world);
  return { world, ...outcome };
}

/** One report section: the ladder events and the graphs, with the data sender's cwnd/ssthresh curve. */
function scenarioConnection(world: World, labels: { A: string; B: string }): ReportConnection {
  const events = ladderEvents(world.timeline);
  const tsg = tsgInputFromEvents(events);
  const sender = tsg.sender ?? 'A';
  tsg.cwnd = world.cwnd[sender];
  return { title: '10.0.0.1 ↔ 10.0.0.2', labels, events, tsg };
}

export function runScenario(argv: string[]): number {
  let args: ScenarioArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    if (e.message === '') {
      process.stdout.write(SCENARIO_USAGE);
      return 0;
    }
    process.stderr.write(`synack scenario: ${e.message}\n`);
    return 2;
  }
  if (args.list) {
    const w = Math.max(...SCENARIOS.map((s) => s.name.length));
    process.stdout.write(SCENARIOS.map((s) => `${s.name.padEnd(w)}  ${s.title}\n`).join(''));
    return 0;
  }
  const chosen = args.names.length > 0 ? args.names.map((n) => findScenario(n)!) : [...SCENARIOS];
  let failed = 0;
  const out: string[] = [];
  for (const s of chosen) {
    const opts: { profile?: ProfileName; seed: number } = { seed: args.seed };
    if (args.profile !== undefined) opts.profile = args.profile;
    const { world, ok, verdict } = playScenario(s, opts);
    out.push(`== ${s.name} (${args.profile ?? s.profile ?? 'linux'} profile): ${s.title}\n`);
    out.push(renderTimeline(world.timeline, { absoluteSeq: args.absoluteSeq }));
    const ladderOpts = { isn: args.rfcIsn ? ('rfc' as const) : ('asSeen' as const), labels: { A: 'TCP A (10.0.0.1)', B: 'TCP B (10.0.0.2)' } };
    if (args.diagram) out.push('\n' + ladderText(ladderEvents(world.timeline), ladderOpts) + '\n');
    out.push(`${ok ? 'verdict: ok' : 'verdict: FAILED'} — ${verdict}\n\n`);
    if (!ok) failed++;
    const files: [string | undefined, () => Uint8Array | string][] = [
      [args.pcap, () => writePcap(world.timeline.packets().map((p) => ({ tsSec: EPOCH_SECONDS + Math.floor(p.t / 1e6), tsNsec: (p.t % 1e6) * 1000, data: p.data })), { linktype: LINKTYPE_RAW })],
      [args.svg, () => ladderSvg(ladderEvents(world.timeline), { ...ladderOpts, title: `${s.name}: ${s.title}` })],
      [
        args.html,
        () =>
          htmlReport({
            title: `synack scenario ${s.name}`,
            subtitle: `${s.title} — ${verdict}`,
            connections: [scenarioConnection(world, ladderOpts.labels)],
            tcpdump: renderTimeline(world.timeline, { absoluteSeq: args.absoluteSeq, packetsOnly: true }),
            ladder: { isn: ladderOpts.isn },
          }),
      ],
    ];
    for (const [file, make] of files) {
      if (file === undefined) continue;
      try {
        writeFileSync(file, make());
      } catch (e) {
        process.stderr.write(`synack scenario: cannot write ${file} (${(e as NodeJS.ErrnoException).code ?? 'EIO'})\n`);
        return 1;
      }
    }
  }
  if (chosen.length > 1) out.push(`${chosen.length - failed} of ${chosen.length} scenarios behaved as the RFCs say\n`);
  process.stdout.write(out.join(''));
  return failed === 0 ? 0 : 1;
}
