// Running one script file against the stack: load it with the host's
// capabilities, choose the profile (the platform the script was written
// for), run it on a fresh StackHost, and say what happened.

import { loadScript, type LoadOptions } from './load.js';
import type { DrillFeatures } from './features.js';
import { runScript, type DrillHost, type DrillRunResult } from './runner.js';
import { StackHost, STACK_HOST_CAPABILITIES, type DrillProfile } from './stack-host.js';
import type { DrillEnvironment } from './env.js';

export interface RunFileOptions extends Omit<LoadOptions, 'capabilities'> {
  /** Whose defaults the stack takes; 'auto' (default) looks at the script's sysctls. */
  profile?: DrillProfile | 'auto';
  seed?: number | string;
  /** Make the host (tests substitute their own); default a StackHost. */
  host?: (env: DrillEnvironment, profile: DrillProfile) => DrillHost;
}

export interface FileRun {
  file: string;
  /** The profile the stack ran with (undefined when the script did not load). */
  profile?: DrillProfile;
  result: DrillRunResult;
}

/**
 * The platform a script was written for: FreeBSD when it sets FreeBSD
 * sysctls (`net.inet.*`, `kern.*`), Linux otherwise.
 */
export function profileFor(features: DrillFeatures): DrillProfile {
  return features.sysctls.some((s) => s.name.startsWith('net.inet.') || s.name.startsWith('kern.')) ? 'freebsd' : 'linux';
}

/** Load and run one script. A script that cannot be read or parsed is a failure. */
export function runFile(path: string, opts: RunFileOptions = {}): FileRun {
  const { profile: p, seed, host, ...load } = opts;
  const l = loadScript(path, { ...load, capabilities: STACK_HOST_CAPABILITIES });
  const file = opts.name ?? path;
  if (!l.ok) {
    return { file, result: { file, status: 'fail', error: l.message, warnings: [], skipped: [], unsupported: [], events: 0, snapshots: [] } };
  }
  const profile = p === undefined || p === 'auto' ? profileFor(l.features) : p;
  const h = host !== undefined ? host(l.env, profile) : new StackHost({ profile, ...(seed !== undefined ? { seed } : {}) });
  return { file, profile, result: runScript(l.script, h, { env: l.env, features: l.features }) };
}

/** A run as the command prints it: a verdict line, then the error, warnings and (verbose) skipped items. */
export function formatRun(r: FileRun, verbose = false): string {
  const res = r.result;
  const out: string[] = [];
  const skipped = res.skipped.length > 0 ? ` (${res.skipped.length} skipped)` : '';
  const profile = r.profile !== undefined ? ` [${r.profile}]` : '';
  if (res.status === 'pass') out.push(`${r.file}: pass${profile}${skipped}`);
  else out.push(`${r.file}: ${res.status === 'fail' ? 'FAIL' : 'unsupported'}${profile}`);
  if (res.error !== undefined) out.push(res.error);
  for (const w of res.warnings) out.push(w);
  if (verbose) {
    for (const s of res.skipped) out.push(`${r.file}:${s.line}: skipped: ${s.what}`);
    const lines = new Set(res.skipped.map((s) => s.line));
    for (const u of res.unsupported) if (!u.fatal && !lines.has(u.line)) out.push(`${r.file}:${u.line}: skipped: ${u.reason}`);
  }
  return out.join('\n') + '\n';
}
