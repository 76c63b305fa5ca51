// `synack drill`: packetdrill scripts. `--parse` checks scripts and prints
// what each needs (system calls, socket options, settings, tcp_info blocks,
// unsupported items). Running a script needs a DrillHost backed by the
// stack; until one is registered the run mode says so.

import { loadScript } from '../drill/load.js';
import { formatFeatures } from '../drill/features.js';
import { runScript, type DrillHost } from '../drill/runner.js';
import type { IpVersion } from '../drill/env.js';
import type { DrillEnvironment } from '../drill/env.js';

export const DRILL_USAGE = `usage: synack drill --parse [options] FILE...
       synack drill [options] FILE...
  --parse            parse the scripts and print the features each one needs
  -D SYM=VAL         define a symbol (--define=SYM=VAL); also selects #ifdef SYM blocks
  --ip_version=V     ipv4 (default), ipv4-mapped-ipv6 or ipv6: harness symbols and addresses
  --json             print the parse results as JSON
Exit status: 0 all scripts parsed (or passed), 1 a script failed, 2 bad usage.
`;

/** Where the run mode gets a host for a script; set by the stack once it exists. */
let hostFactory: ((env: DrillEnvironment) => DrillHost) | undefined;

/** Register the stack-backed host the run mode uses. */
export function setDrillHostFactory(f: ((env: DrillEnvironment) => DrillHost) | undefined): void {
  hostFactory = f;
}

interface DrillArgs {
  parse: boolean;
  json: boolean;
  defines: Record<string, string>;
  ipVersion?: IpVersion;
  files: string[];
}

function parseArgs(argv: string[]): DrillArgs | string {
  const a: DrillArgs = { parse: false, json: false, defines: {}, files: [] };
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
    const l = loadScript(file, opts);
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
  if (hostFactory === undefined) {
    process.stderr.write('synack drill: running scripts needs the stack-backed host, which is not available yet; use --parse\n');
    return 2;
  }
  let failed = 0;
  for (const file of args.files) {
    const l = loadScript(file, opts);
    if (!l.ok) {
      failed++;
      process.stderr.write(`${l.message}\n`);
      continue;
    }
    const r = runScript(l.script, hostFactory(l.env), { env: l.env, features: l.features });
    for (const w of r.warnings) process.stderr.write(`${w}\n`);
    if (r.status === 'pass') process.stdout.write(`${file}: pass${r.skipped.length > 0 ? ` (${r.skipped.length} skipped)` : ''}\n`);
    else {
      if (r.status === 'fail') failed++;
      process.stdout.write(`${file}: ${r.status}\n${r.error ?? ''}\n`);
    }
  }
  return failed > 0 ? 1 : 0;
}
