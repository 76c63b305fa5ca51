// `synack drill`: packetdrill scripts. `--parse` checks scripts and prints
// what each needs (system calls, socket options, settings, tcp_info blocks,
// unsupported items); without it each script runs against the synack stack
// in virtual time and the command prints packetdrill-style errors and a
// pass / fail / unsupported summary.

import { loadScript } from '../drill/load.js';
import { formatFeatures } from '../drill/features.js';
import type { DrillHost } from '../drill/runner.js';
import type { IpVersion } from '../drill/env.js';
import type { DrillEnvironment } from '../drill/env.js';
import { formatRun, runFile } from '../drill/run-file.js';
import { StackHost, STACK_HOST_CAPABILITIES, type DrillProfile } from '../drill/stack-host.js';
import { writeFileSync } from 'node:fs';
import { writePcap } from '../trace/pcap.js';
import { LINKTYPE_RAW } from '../trace/capture.js';

export const DRILL_USAGE = `usage: synack drill [options] FILE...
       synack drill --parse [options] FILE...
  --profile P        the stack's defaults: linux, freebsd, or auto (default:
                     freebsd for scripts that set FreeBSD sysctls, else linux)
  -v, --verbose      also list what each run skipped (shell checks, %{ }% blocks)
  --pcap FILE        write the packets of the run (one script) to a pcap file
  --parse            parse the scripts and print the features each one needs
  -D SYM=VAL         define a symbol (--define=SYM=VAL); also selects #ifdef SYM blocks
  --ip_version=V     ipv4 (default), ipv4-mapped-ipv6 or ipv6: harness symbols and addresses
  --json             print the parse results as JSON
Exit status: 0 all scripts parsed (or passed), 1 a script failed, 2 bad usage,
3 none failed but some are unsupported (not run: the reasons are printed).
`;

/** Where the run mode gets a host for a script (default: a StackHost); tests may substitute one. */
let hostFactory: ((env: DrillEnvironment, profile: DrillProfile) => DrillHost) | undefined;

/** Replace the host the run mode uses (undefined: the stack-backed host). */
export function setDrillHostFactory(f: ((env: DrillEnvironment, profile: DrillProfile) => DrillHost) | undefined): void {
  hostFactory = f;
}

interface DrillArgs {
  parse: boolean;
  json: boolean;
  verbose: boolean;
  profile: DrillProfile | 'auto';
  pcap?: string;
  defines: Record<string, string>;
  ipVersion?: IpVersion;
  files: string[];
}

function parseArgs(argv: string[]): DrillArgs | string {
  const a: DrillArgs = { parse: false, json: false, verbose: false, profile: 'auto', defines: {}, files: [] };
  const define = (v: string): string | undefined => {
    const eq = v.indexOf('=');
    const sym = eq < 0 ? v : v.slice(0, eq);
    if (!/^[A-Za-z0-9_]+$/.test(sym)) return `bad define '${v}' (expected SYM=VAL)`;
    a.defines[sym] = eq < 0 ? '1' : v.slice(eq + 1);
    return undefined;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--parse') a.parse = true;
    else if (arg === '--json') a.json = true;
    else if (arg === '-v' || arg === '--verbose') a.verbose = true;
    else if (arg === '--pcap' || arg.startsWith('--pcap=')) {
      const v = arg === '--pcap' ? argv[++i] : arg.slice('--pcap='.length);
      if (v === undefined || v === '') return '--pcap needs a file name';
      a.pcap = v;
    }
    else if (arg === '--profile' || arg.startsWith('--profile=')) {
      const v = arg === '--profile' ? argv[++i] : arg.slice('--profile='.length);
      if (v !== 'linux' && v !== 'freebsd' && v !== 'auto') return `--profile must be linux, freebsd or auto, not '${v ?? ''}'`;
      a.profile = v;
    }
    else if (arg === '-D' || arg === '--define') {
      const v = argv[++i];
      if (v === undefined) return `${arg} needs SYM=VAL`;
      const err = define(v);
      if (err !== undefined) return err;
    } else if (arg.startsWith('-D') || arg.startsWith('--define=')) {
      const err = define(arg.startsWith('-D') ? arg.slice(2) : arg.slice('--define='.length));
      if (err !== undefined) return err;
    } else if (arg.startsWith('--ip_version=')) {
      const v = arg.slice('--ip_version='.length);
      if (v !== 'ipv4' && v !== 'ipv6' && v !== 'ipv4-mapped-ipv6') return `--ip_version must be ipv4, ipv4-mapped-ipv6 or ipv6, not '${v}'`;
      a.ipVersion = v;
    } else if (arg === '-h' || arg === '--help') return '';
    else if (arg.startsWith('-') && arg !== '-') return `unknown option '${arg}'`;
    else a.files.push(arg);
  }
  if (a.files.length === 0) return 'no script given';
  if (a.pcap !== undefined && (a.parse || a.files.length !== 1)) return '--pcap takes the run of exactly one script';
  return a;
}

export function runDrill(argv: string[]): number {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    if (args !== '') process.stderr.write(`synack drill: ${args}\n`);
    (args === '' ? process.stdout : process.stderr).write(DRILL_USAGE);
    return args === '' ? 0 : 2;
  }
  const opts = { defines: args.defines, ...(args.ipVersion === undefined ? {} : { ipVersion: args.ipVersion }) };
  if (!args.parse) return runMode(args, opts);
  let failed = 0;
  const verdicts = { runnable: 0, skips: 0, unsupported: 0 };
  const json: unknown[] = [];
  for (const file of args.files) {
    const l = loadScript(file, { ...opts, capabilities: STACK_HOST_CAPABILITIES });
    if (!l.ok) {
      failed++;
      if (args.json) json.push({ file, ok: false, stage: l.stage, error: l.error ?? l.message });
      else process.stderr.write(`${l.message}\n`);
      continue;
    }
    verdicts[l.features.verdict]++;
    if (args.json) json.push({ file, ok: true, events: l.script.events.length, features: l.features });
    else process.stdout.write(formatFeatures(file, l.features));
  }
  if (args.json) process.stdout.write(JSON.stringify(json, null, 2) + '\n');
  else if (args.files.length > 1) {
    process.stdout.write(
      `${args.files.length} scripts: ${args.files.length - failed} parsed, ${failed} failed; ${verdicts.runnable} runnable, ${verdicts.skips} with skips, ${verdicts.unsupported} unsupported\n`,
    );
  }
  return failed > 0 ? 1 : 0;
}

function runMode(args: DrillArgs, opts: { defines: Record<string, string>; ipVersion?: IpVersion }): number {
  const counts = { pass: 0, fail: 0, unsupported: 0 };
  for (const file of args.files) {
    let stackHost: StackHost | undefined;
    const host =
      hostFactory ??
      ((_env: DrillEnvironment, profile: DrillProfile): DrillHost => {
        stackHost = new StackHost({ profile });
        return stackHost;
      });
    const r = runFile(file, { ...opts, profile: args.profile, host });
    counts[r.result.status]++;
    process.stdout.write(formatRun(r, args.verbose));
    if (args.pcap !== undefined && stackHost !== undefined) {
      const records = stackHost.trace.map((t) => ({ tsSec: Math.floor(t.time / 1_000_000), tsNsec: (t.time % 1_000_000) * 1000, data: t.bytes }));
      try {
        writeFileSync(args.pcap, writePcap(records, { linktype: LINKTYPE_RAW }));
      } catch (e) {
        process.stderr.write(`synack drill: ${args.pcap}: ${e instanceof Error ? e.message : String(e)}\n`);
        return 1;
      }
    }
  }
  if (args.files.length > 1) {
    process.stdout.write(`${args.files.length} scripts: ${counts.pass} passed, ${counts.fail} failed, ${counts.unsupported} unsupported\n`);
  }
  return counts.fail > 0 ? 1 : counts.unsupported > 0 ? 3 : 0;
}
