// The shared packetdrill corpus: file discovery and the parse settings the
// corpus tests use (packetdrill's harness symbols for IPv4).

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED } from '../helpers/paths.js';
import { HARNESS_DEFINES } from '../../src/drill/env.js';

export const CORPUS = join(SHARED, 'conformance', 'packetdrill');
export const SUITES = ['google', 'linux', 'freebsd'] as const;
export type Suite = (typeof SUITES)[number];

export interface CorpusFile {
  suite: Suite;
  /** Path relative to the corpus root (`google/gtests/net/tcp/...`). */
  rel: string;
  path: string;
}

function walk(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.pkt')) out.push(p);
  }
  return out;
}

export function corpusFiles(): CorpusFile[] {
  const files: CorpusFile[] = [];
  for (const suite of SUITES) {
    for (const path of walk(join(CORPUS, suite), [])) files.push({ suite, rel: path.slice(CORPUS.length + 1), path });
  }
  return files;
}

export const CORPUS_DEFINES: Record<string, string> = { ...HARNESS_DEFINES.ipv4 };
