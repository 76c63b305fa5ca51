// Loading a script from disk: parse it with the harness symbols for its
// address family plus the caller's, work out its environment and features,
// and find the environment scripts its shell lines run (defaults.sh).

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve, basename } from 'node:path';
import { parseScript } from './parser.js';
import { environmentFor, HARNESS_DEFINES, type DrillEnvironment, type IpVersion } from './env.js';
import { extractFeatures, type DrillCapabilities, type DrillFeatures } from './features.js';
import type { DrillParseError, Script } from './ast.js';

export interface LoadOptions {
  /** `-D SYM=VAL` symbols (also what `#ifdef` tests). */
  defines?: Record<string, string>;
  /** Address family for the harness symbols and the environment (command line wins over the script). */
  ipVersion?: IpVersion;
  /** Option overrides as on packetdrill's command line (`tolerance_usecs` → `10000`). */
  overrides?: Record<string, string>;
  capabilities?: DrillCapabilities;
  /** Name used in messages (default: the path as given). */
  name?: string;
}

export type Loaded =
  | { ok: true; script: Script; env: DrillEnvironment; features: DrillFeatures }
  | { ok: false; stage: 'read' | 'parse' | 'environment'; message: string; error?: DrillParseError };

/**
 * Text of a shell file a script runs, relative to the script's directory. The
 * suites keep one `common/defaults.sh` that per-directory symlinks point to;
 * when a relative path does not exist, the nearest ancestor's
 * `common/<file>` is used instead.
 */
export function shellFileReader(scriptPath: string): (p: string) => string | undefined {
  const dir = dirname(resolve(scriptPath));
  return (p: string): string | undefined => {
    const direct = resolve(dir, p);
    if (existsSync(direct)) return readFileSync(direct, 'utf8');
    if (p.startsWith('/')) return undefined;
    for (let d = dir; ; d = dirname(d)) {
      const c = join(d, 'common', basename(p));
      if (existsSync(c)) return readFileSync(c, 'utf8');
      if (dirname(d) === d) return undefined;
    }
  };
}

export function loadScript(path: string, opts: LoadOptions = {}): Loaded {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return { ok: false, stage: 'read', message: `${path}: ${e instanceof Error ? e.message : String(e)}` };
  }
  const name = opts.name ?? path;
  // The harness symbols depend on the family; a script may choose it in its header.
  const inScript = /^\s*--ip_version=(ipv4|ipv6|ipv4-mapped-ipv6)\b/m.exec(text)?.[1] as IpVersion | undefined;
  const ipVersion = opts.ipVersion ?? inScript ?? 'ipv4';
  const defines = { ...HARNESS_DEFINES[ipVersion], ...(opts.defines ?? {}) };
  const r = parseScript(text, { file: name, defines });
  if (!r.ok) {
    return { ok: false, stage: 'parse', message: `${r.error.file}:${r.error.line}:${r.error.column}: ${r.error.message}`, error: r.error };
  }
  const overrides = { ...(opts.overrides ?? {}) };
  if (opts.ipVersion !== undefined) overrides['ip_version'] = opts.ipVersion;
  const e = environmentFor(r.script, overrides, defines);
  if (!e.ok) return { ok: false, stage: 'environment', message: `${name}: ${e.error}` };
  const fo = { readShellFile: shellFileReader(path), ...(opts.capabilities === undefined ? {} : { capabilities: opts.capabilities }) };
  return { ok: true, script: r.script, env: e.env, features: extractFeatures(r.script, fo) };
}
