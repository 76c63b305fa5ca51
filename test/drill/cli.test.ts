// `synack drill` as a user runs it: --parse on good and bad scripts, -D for
// symbols and #ifdef, --json, usage errors, and the run mode against the
// stack: verdicts, packetdrill-style errors, unsupported reasons, profiles.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, REPO_ROOT } from '../helpers/paths.js';
import { CORPUS } from './corpus.js';

function drill(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'drill', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'drill-cli-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

test('--parse prints each script features and a summary; exit 0', () => {
  const a = file('a.pkt', '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0\n+0 listen(3, 1) = 0\n+0 < S 0:0(0) win 100\n+0 > S. 0:0(0) ack 1 <...>\n');
  const b = file('b.pkt', '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 epoll_create(1) = 4\n');
  const r = drill(['--parse', a, b]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(
    r.stdout,
    `${a}: runnable
  syscalls: socket setsockopt listen
  socket options: SOL_SOCKET:SO_REUSEADDR
  packets: 1 in, 1 out; options: - (+<...>)
${b}: unsupported
  syscalls: socket epoll_create
  packets: 0 in, 0 out; options: -
  unsupported: syscall epoll_create (line 2)
2 scripts: 2 parsed, 0 failed; 1 runnable, 0 with skips, 1 unsupported
`,
  );
});

test('--parse reports a bad script as file:line:column and exits 1', () => {
  const bad = file('bad.pkt', '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 > S 0:0(0) <mss 1460,sackOK,wscale 7>\n');
  const r = drill(['--parse', bad]);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, `${bad}:2:15: TCP options are not padded to a multiple of 4 bytes: 9 bytes, 1 excess (add nop or eol)\n`);
});

test('-D defines symbols and selects #ifdef blocks; environment scripts are found beside the script', () => {
  mkdirSync(join(dir, 'common'), { recursive: true });
  writeFileSync(join(dir, 'common', 'defaults.sh'), 'sysctl -q net.ipv4.tcp_timestamps=0\n');
  mkdirSync(join(dir, 'sub'), { recursive: true });
  const s = file('sub/c.pkt', '`../common/defaults.sh`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n#ifdef X\n+0 epoll_create(1) = 4\n#endif\n+0 > S 0:0(0) <FO COOKIE>\n');
  const without = drill(['--parse', s]);
  assert.equal(without.status, 1);
  assert.match(without.stderr, /c\.pkt:6:19: TCP Fast Open cookie 'COOKIE' is not an even number of hex digits/);
  const r = drill(['--parse', '-D', 'COOKIE=abcd', '-DX', s]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /syscalls: socket epoll_create\n/);
  assert.match(r.stdout, /settings: timestamps=false\n/);
  assert.match(r.stdout, /unsupported: TCP Fast Open option \(line 6\)/);
});

test('--json gives the features as data', () => {
  const path = join(CORPUS, 'linux', 'tcp_basic_server.pkt');
  const r = drill(['--parse', '--json', path]);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { file: string; ok: boolean; events: number; features: { verdict: string; syscalls: { name: string }[] } }[];
  assert.equal(out.length, 1);
  assert.equal(out[0]!.ok, true);
  assert.equal(out[0]!.features.verdict, 'runnable');
  assert.deepEqual(out[0]!.features.syscalls.map((s) => s.name), ['socket', 'setsockopt', 'bind', 'listen', 'accept', 'close', 'recv']);
});

test('usage errors exit 2; -h prints usage', () => {
  const none = drill(['--parse']);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /^synack drill: no script given\nusage: synack drill/);
  assert.equal(drill(['--bogus', 'x.pkt']).status, 2);
  assert.equal(drill(['--ip_version=ipv5', 'x.pkt']).status, 2);
  assert.equal(drill(['--profile', 'solaris', 'x.pkt']).status, 2);
  const h = drill(['-h']);
  assert.equal(h.status, 0);
  assert.match(h.stdout, /^usage: synack drill \[options\] FILE/);
  const missing = drill(['--parse', join(dir, 'nope.pkt')]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /nope\.pkt: ENOENT/);
});

test('run mode: pass, packetdrill-style failure, unsupported with its reason, and the summary', () => {
  const good = join(REPO_ROOT, 'test', 'drill', 'scripts', 'lost-third-ack.pkt');
  const ok = drill([good]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout, `${good}: pass [linux]\n`);
  const bad = file('bad-run.pkt', '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n+0 < S 0:0(0) win 100 <mss 1000>\n+0 > S. 0:0(0) ack 2 <mss 1460>\n');
  const f = drill([bad]);
  assert.equal(f.status, 1);
  assert.equal(f.stdout, `${bad}: FAIL [linux]\n${bad}:5: error handling packet: live packet field tcp_ack_seq: expected: 2 vs actual: 1\n`);
  const unsup = file('epoll.pkt', '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 epoll_create(1) = 4\n');
  const u = drill([unsup]);
  assert.equal(u.status, 3);
  assert.equal(u.stdout, `${unsup}: unsupported [linux]\n${unsup}:2: unsupported: syscall epoll_create\n`);
  const all = drill([good, bad, unsup]);
  assert.equal(all.status, 1);
  assert.match(all.stdout, /\n3 scripts: 1 passed, 1 failed, 1 unsupported\n$/);
});

test('run mode: the profile follows the script (FreeBSD sysctls) unless --profile says otherwise; -v lists what was skipped', () => {
  const bsd = file(
    'bsd.pkt',
    `0 \`sysctl -w net.inet.tcp.recvspace=65536\`
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0
+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0 > S 0:0(0) win 65535 <mss 1460,nop,wscale 6,sackOK,TS val 100 ecr 0>
+0 %{ assert tcpi_state == TCPI_SYN_SENT }%
+0 %{ assert tcpi_reordering == 3 }%
`,
  );
  const auto = drill(['-v', bsd]);
  assert.equal(auto.status, 0, auto.stdout);
  assert.equal(auto.stdout, `${bsd}: pass [freebsd] (1 skipped)\n${bsd}:7: skipped: %{ }% block not evaluated: unknown name tcpi_reordering\n`);
  // The state assertion is evaluated: a wrong state fails the run.
  const wrong = file('bsd-wrong.pkt', readFileSync(bsd, 'utf8').replace('TCPI_SYN_SENT', 'TCPI_ESTABLISHED'));
  const w = drill([wrong]);
  assert.equal(w.status, 1);
  assert.equal(w.stdout, `${wrong}: FAIL [freebsd]\n${wrong}:6: assertion failed in %{ }% block: assert tcpi_state == TCPI_ESTABLISHED (tcpi_state=2)\n`);
  const linux = drill(['--profile', 'linux', bsd]);
  assert.equal(linux.status, 1);
  assert.match(linux.stdout, /: FAIL \[linux\]\n.*bsd\.pkt:5: error handling packet: bad outbound TCP options: expected <mss 1460,nop,wscale 6,sackOK,TS val 100 ecr 0> vs actual <mss 1460,sackOK,TS val \d+ ecr 0,nop,wscale 7>\n$/);
});

test('--pcap keeps the packets of a run; synack trace reads them back', () => {
  const good = join(REPO_ROOT, 'test', 'drill', 'scripts', 'lost-third-ack.pkt');
  const pcap = join(dir, 'lost-third-ack.pcap');
  const r = drill(['--pcap', pcap, good]);
  assert.equal(r.status, 0, r.stderr);
  const t = spawnSync(process.execPath, [CLI, 'trace', pcap], { encoding: 'utf8' });
  assert.equal(t.status, 0, t.stderr);
  const lines = t.stdout.trim().split('\n');
  // In: SYN, data, ACK, FIN. Out: SYN-ACK, ACK of the data, data, FIN, last ACK.
  assert.equal(lines.length, 9);
  assert.match(lines[0]!, / IP 192\.0\.2\.1\.40000 > 192\.168\.0\.1\.8080: Flags \[S\], seq 0, win 65535, options \[mss 1460,sackOK,nop,nop,nop,wscale 7\], length 0$/);
  assert.match(lines[1]!, / IP 192\.168\.0\.1\.8080 > 192\.0\.2\.1\.40000: Flags \[S\.\]/);
  assert.equal(drill(['--pcap', pcap, good, good]).status, 2);
});
