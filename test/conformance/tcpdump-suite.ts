// Runs the tcpdump text-format corpus (../shared/conformance/tcpdump/MANIFEST.tsv)
// through `synack trace` in-process and compares every case line by line.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCapture } from '../../src/trace/read-capture.js';
import { TcpdumpPrinter } from '../../src/trace/print/printer.js';
import { parseTraceArgs } from '../../src/cli/trace.js';

export interface ManifestRow {
  name: string;
  pcap: string;
  flags: string;
  expected: string;
  tier: string;
}

export interface CaseResult {
  row: ManifestRow;
  lines: number;
  sameLines: number;
  identical: boolean;
  firstDiff?: { line: number; expected: string; got: string };
  error?: string;
}

export function readManifest(dir: string): ManifestRow[] {
  const text = readFileSync(join(dir, 'MANIFEST.tsv'), 'utf8');
  const [header, ...rows] = text.split('\n').filter((l) => l.trim() !== '');
  const cols = header!.split('\t');
  const at = (name: string): number => {
    const i = cols.indexOf(name);
    if (i < 0) throw new Error(`MANIFEST.tsv has no column '${name}'`);
    return i;
  };
  const [iName, iPcap, iFlags, iExp, iTier] = ['name', 'pcap', 'flags', 'expected_out', 'tier'].map(at) as [number, number, number, number, number];
  return rows.map((r) => {
    const f = r.split('\t');
    return { name: f[iName]!, pcap: f[iPcap]!, flags: f[iFlags] ?? '', expected: f[iExp]!, tier: f[iTier]! };
  });
}

/** The same invocation the corpus was made with: `-# -n -r FILE FLAGS`, TZ=GMT0 (UTC). */
export function runCase(dir: string, row: ManifestRow): CaseResult {
  const argv = ['-#', '-n', '-r', join(dir, row.pcap), ...row.flags.split(/\s+/).filter((s) => s !== '')];
  const args = parseTraceArgs(argv);
  args.opts.localTime = false;
  const expected = readFileSync(join(dir, row.expected), 'latin1');
  let got = '';
  let error: string | undefined;
  try {
    const cap = readCapture(readFileSync(args.file));
    const printer = new TcpdumpPrinter(args.opts);
    for (const rec of cap.records) got += printer.print(rec);
  } catch (e) {
    error = e instanceof Error ? e.stack ?? e.message : String(e);
  }
  const exp = expected.split('\n');
  const out = got.split('\n');
  let same = 0;
  let firstDiff: CaseResult['firstDiff'];
  for (let i = 0; i < exp.length - 1; i++) {
    if (exp[i] === out[i]) same++;
    else firstDiff ??= { line: i + 1, expected: exp[i]!, got: out[i] ?? '<missing>' };
  }
  const result: CaseResult = { row, lines: exp.length - 1, sameLines: same, identical: got === expected && error === undefined };
  if (firstDiff) result.firstDiff = firstDiff;
  if (error !== undefined) result.error = error;
  return result;
}
