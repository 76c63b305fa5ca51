// Captures recorded from the Linux kernel (scripts/kernel-fixtures.sh) print
// exactly as tcpdump printed them: with -nn, -nn -S and -nn -tt -v. Where the
// real tcpdump is installed, its live output is compared too.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { REPO_ROOT } from '../helpers/paths.js';
import { parseTraceArgs } from '../../src/cli/trace.js';
import { readCapture } from '../../src/trace/read-capture.js';
import { TcpdumpPrinter } from '../../src/trace/print/printer.js';

const DIR = join(REPO_ROOT, 'test', 'fixtures', 'kernel');
const VARIANTS: [string, string[]][] = [
  ['nn', ['-nn']],
  ['S', ['-nn', '-S']],
  ['tt-v', ['-nn', '-tt', '-v']],
  ['e', ['-nn', '-e']],
];

function synackText(file: string, flags: string[]): string {
  const args = parseTraceArgs([...flags, '-r', file]);
  args.opts.localTime = false;
  const printer = new TcpdumpPrinter(args.opts);
  const cap = readCapture(readFileSync(file));
  assert.equal(cap.error, undefined, `${file} reads cleanly`);
  return cap.records.map((r) => printer.print(r)).join('');
}

const tcpdumpAvailable = spawnSync('tcpdump', ['--version'], { encoding: 'utf8' }).status === 0;
const pcaps = readdirSync(DIR).filter((f) => f.endsWith('.pcap')).sort();

test('the kernel fixture set is present', () => {
  for (const name of ['http-curl', 'refused', 'ipv6-curl', 'sack-loss', 'hping-flags']) {
    assert.ok(pcaps.includes(`${name}.pcap`), `${name}.pcap is missing`);
  }
});

for (const pcap of pcaps) {
  const base = pcap.slice(0, -'.pcap'.length);
  for (const [suffix, flags] of VARIANTS) {
    test(`${base} ${flags.join(' ')} matches the text tcpdump printed`, () => {
      const file = join(DIR, pcap);
      const expected = readFileSync(join(DIR, `${base}.${suffix}.out`), 'latin1');
      assert.equal(synackText(file, flags), expected);
    });
  }
  test(`${base} matches the installed tcpdump, live`, { skip: tcpdumpAvailable ? false : 'tcpdump is not installed' }, () => {
    const file = join(DIR, pcap);
    for (const [, flags] of VARIANTS) {
      const live = spawnSync('tcpdump', ['-r', file, ...flags], { env: { ...process.env, TZ: 'GMT0' }, encoding: 'latin1' });
      assert.equal(live.status, 0, live.stderr);
      assert.equal(synackText(file, flags), live.stdout, `flags ${flags.join(' ')}`);
    }
  });
}
