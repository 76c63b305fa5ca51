// The feature classifier: shell commands and sysctls mapped to typed
// settings, syscalls and socket options counted, tcp_info blocks, and the
// unsupported items with their reasons — on snippets and on corpus scripts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScript } from '../../src/drill/parser.js';
import { applySysctl, extractFeatures, formatFeatures, settingsToTcpConfig, type DrillFeatures, type DrillSettings } from '../../src/drill/features.js';
import { analyzeShell, evalArithmetic, splitCommands } from '../../src/drill/shell.js';
import type { Script } from '../../src/drill/ast.js';
import { CORPUS, CORPUS_DEFINES } from './corpus.js';

function script(src: string, defines: Record<string, string> = {}): Script {
  const r = parseScript(src, { file: 't.pkt', defines });
  if (!r.ok) assert.fail(`${r.error.line}:${r.error.column}: ${r.error.message}`);
  return r.script;
}

function features(src: string, files: Record<string, string> = {}): DrillFeatures {
  return extractFeatures(script(src), { readShellFile: (p) => files[p] });
}

// ---- shell ----

test('commands split on newlines, ; && ||, with continuations and comments; pipelines stay whole', () => {
  assert.deepEqual(splitCommands('a 1\n# note\nb \\\n  2; c && d || e | f\n'), ['a 1', 'b    2', 'c', 'd', 'e | f']);
  assert.deepEqual(splitCommands(`echo 'x; y' | setkey -c`), [`echo 'x; y' | setkey -c`]);
});

test('sysctl forms: sysctl -q/-w, set_sysctls.py /proc paths, echo > /proc, slashes, quoted arithmetic', () => {
  assert.deepEqual(analyzeShell('sysctl -q net.ipv4.tcp_rmem="4096 540000 $((15*1024*1024))"'), [
    { kind: 'sysctl', assignments: [{ name: 'net.ipv4.tcp_rmem', value: '4096 540000 15728640' }] },
  ]);
  assert.deepEqual(analyzeShell('sysctl -q net.ipv4.tcp_early_retrans=4 net.ipv4.tcp_recovery=1'), [
    { kind: 'sysctl', assignments: [{ name: 'net.ipv4.tcp_early_retrans', value: '4' }, { name: 'net.ipv4.tcp_recovery', value: '1' }] },
  ]);
  assert.deepEqual(analyzeShell('../common/set_sysctls.py /proc/sys/net/ipv4/tcp_slow_start_after_idle=1 \\\n\t /proc/sys/net/ipv4/tcp_min_tso_segs=10'), [
    {
      kind: 'sysctl',
      assignments: [{ name: 'net.ipv4.tcp_slow_start_after_idle', value: '1' }, { name: 'net.ipv4.tcp_min_tso_segs', value: '10' }],
    },
  ]);
  assert.deepEqual(analyzeShell('echo 0 > /proc/sys/net/ipv4/tcp_sack'), [{ kind: 'sysctl', assignments: [{ name: 'net.ipv4.tcp_sack', value: '0' }] }]);
  assert.deepEqual(analyzeShell('sysctl -q net/ipv4/tcp_pacing_ss_ratio=10 > /dev/null 2>&1'), [
    { kind: 'sysctl', assignments: [{ name: 'net.ipv4.tcp_pacing_ss_ratio', value: '10' }] },
  ]);
  assert.deepEqual(analyzeShell('sysctl -w net.inet.tcp.rfc1323=1'), [{ kind: 'sysctl', assignments: [{ name: 'net.inet.tcp.rfc1323', value: '1' }] }]);
});

test('other commands: qdisc, mtu, route, sourced scripts, checks, state changes', () => {
  const kinds = analyzeShell(
    [
      'tc qdisc replace dev tun0 root pfifo limit 0',
      'tc qdisc add dev tun0 root pfifo',
      'ip link set dev tun0 mtu 9000',
      'ip route change 192.0.2.1 via 192.168.0.2 dev tun0 advmss 1460 mtu lock 1500',
      '../common/defaults.sh',
      '/tmp/sysctl_restore_${PPID}.sh',
      'nstat -n',
      'nstat | grep TcpExtBeyondWindow | grep -q " 3 "',
      'sockstat -6 -P tcp -s | grep -c TIME_WAIT | grep 1',
      'tcpdrop -s TIME_WAIT',
      "echo 'add 1 2 tcp 0x1000 -A tcp-md5 \"s\" ;' | setkey -c",
      'frobnicate --now',
    ].join('\n'),
  );
  assert.deepEqual(kinds, [
    { kind: 'qdisc', limit: 0, command: 'tc qdisc replace dev tun0 root pfifo limit 0' },
    { kind: 'qdisc', command: 'tc qdisc add dev tun0 root pfifo' },
    { kind: 'mtu', mtu: 9000 },
    { kind: 'route', advmss: 1460, mtu: 1500 },
    { kind: 'script', path: '../common/defaults.sh' },
    { kind: 'harmless', command: '/tmp/sysctl_restore_${PPID}.sh' },
    { kind: 'harmless', command: 'nstat -n' },
    { kind: 'check', command: 'nstat | grep TcpExtBeyondWindow | grep -q " 3 "' },
    { kind: 'check', command: 'sockstat -6 -P tcp -s | grep -c TIME_WAIT | grep 1' },
    { kind: 'state', command: 'tcpdrop -s TIME_WAIT' },
    { kind: 'state', command: "echo 'add 1 2 tcp 0x1000 -A tcp-md5 \"s\" ;' | setkey -c" },
    { kind: 'unknown', command: 'frobnicate --now' },
  ]);
});

test('shell arithmetic: integers only, with precedence and parentheses', () => {
  assert.equal(evalArithmetic('15*1024*1024'), 15728640);
  assert.equal(evalArithmetic('(1+2)*3 - 4/2'), 7);
  assert.equal(evalArithmetic('1/0'), undefined);
  assert.equal(evalArithmetic('x+1'), undefined);
});

// ---- settings ----

test('Linux sysctls map onto typed settings with units converted', () => {
  const s: DrillSettings = { other: {} };
  const set = (n: string, v: string): boolean => applySysctl(s, n, v);
  assert.ok(set('net.ipv4.tcp_timestamps', '0'));
  assert.ok(set('net.ipv4.tcp_sack', '1'));
  assert.ok(set('net.ipv4.tcp_window_scaling', '0'));
  assert.ok(set('net.ipv4.tcp_syncookies', '2'));
  assert.ok(set('net.ipv4.tcp_fin_timeout', '30'));
  assert.ok(set('net.ipv4.tcp_syn_retries', '5'));
  assert.ok(set('net.ipv4.tcp_synack_retries', '4'));
  assert.ok(set('net.ipv4.tcp_keepalive_time', '7200'));
  assert.ok(set('net.ipv4.tcp_keepalive_intvl', '75'));
  assert.ok(set('net.ipv4.tcp_keepalive_probes', '9'));
  assert.ok(set('net.ipv4.tcp_rmem', '4096 540000 15728640'));
  assert.ok(set('net.ipv4.tcp_rto_max_ms', '1000'));
  assert.ok(set('net.ipv4.tcp_congestion_control', 'reno'));
  assert.ok(!set('net.ipv4.tcp_frto', '2'));
  assert.ok(!set('net.ipv4.tcp_sack', 'yes'));
  assert.deepEqual(s, {
    other: {},
    timestamps: false,
    sack: true,
    windowScaling: false,
    syncookies: 'always',
    finTimeout: 30_000_000,
    synRetries: 5,
    synAckRetries: 4,
    keepaliveIdle: 7_200_000_000,
    keepaliveInterval: 75_000_000,
    keepaliveProbes: 9,
    rmem: [4096, 540000, 15728640],
    rtoMax: 1_000_000,
    congestionControl: 'reno',
  });
  assert.deepEqual(settingsToTcpConfig(s), {
    timestamps: false,
    sack: true,
    windowScaling: false,
    synRetries: 5,
    synAckRetries: 4,
    finTimeout: 30_000_000,
    keepaliveIdle: 7_200_000_000,
    keepaliveInterval: 75_000_000,
    keepaliveProbes: 9,
    rcvBuf: 540000,
    rtoMax: 1_000_000,
    synCookies: 'always',
    congestionControl: 'newreno',
  });
});

test('FreeBSD sysctls: rfc1323 splits into timestamps and window scaling; ms units; syncookies_only', () => {
  const s: DrillSettings = { other: {} };
  applySysctl(s, 'net.inet.tcp.rfc1323', '0');
  assert.deepEqual([s.timestamps, s.windowScaling], [false, false]);
  applySysctl(s, 'net.inet.tcp.rfc1323', '1');
  assert.deepEqual([s.timestamps, s.windowScaling], [true, true]);
  applySysctl(s, 'net.inet.tcp.syncookies', '1');
  assert.equal(s.syncookies, 'overflow');
  applySysctl(s, 'net.inet.tcp.syncookies_only', '1');
  assert.equal(s.syncookies, 'always');
  applySysctl(s, 'net.inet.tcp.keepidle', '1000');
  applySysctl(s, 'net.inet.tcp.keepinit', '75000');
  applySysctl(s, 'net.inet.tcp.delacktime', '100');
  applySysctl(s, 'net.inet.tcp.recvspace', '65536');
  assert.deepEqual([s.keepaliveIdle, s.connectTimeout, s.delayedAck, s.rcvBuf], [1_000_000, 75_000_000, 100_000, 65536]);
  assert.ok(!applySysctl(s, 'net.inet.tcp.blackhole', '0'));
});

test('settings follow script order: init command, then sourced files, then timed shell lines', () => {
  const f = features(
    '`./defaults.sh\nsysctl -q net.ipv4.tcp_timestamps=0`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 `sysctl -q net.ipv4.tcp_sack=0`\n+0 `tc qdisc replace dev tun0 root pfifo limit 0`\n',
    { './defaults.sh': 'sysctl -q net.ipv4.tcp_timestamps=1\nsysctl -q net.ipv4.tcp_sack=1\nsysctl -q net.ipv4.tcp_frto=2\ntc qdisc add dev tun0 root pfifo\n' },
  );
  assert.deepEqual(
    f.sysctls.map((s) => [s.name, s.value, s.source, s.mapped]),
    [
      ['net.ipv4.tcp_timestamps', '1', 'file', true],
      ['net.ipv4.tcp_sack', '1', 'file', true],
      ['net.ipv4.tcp_frto', '2', 'file', false],
      ['net.ipv4.tcp_timestamps', '0', 'init', true],
      ['net.ipv4.tcp_sack', '0', 'event', true],
    ],
  );
  assert.deepEqual(f.settings, { other: { 'net.ipv4.tcp_frto': '2' }, timestamps: false, sack: false, dropOutbound: true });
  assert.equal(f.verdict, 'runnable');
});

test('an environment script that cannot be read is reported, not fatal', () => {
  const f = features('`../common/defaults.sh`\n0 close(3) = 0\n');
  assert.deepEqual(f.unsupported, [{ reason: 'environment script ../common/defaults.sh not read (its settings are unknown)', line: 1, fatal: false }]);
  assert.equal(f.verdict, 'skips');
});

// ---- syscalls, options, unsupported ----

test('syscalls and socket options are listed; unsupported ones are fatal with a reason', () => {
  const f = features(`0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0 setsockopt(3, SOL_TCP, TCP_NODELAY, [1], 4) = 0
+0 setsockopt(3, SOL_TCP, TCP_FASTOPEN, [1], 4) = 0
+0 epoll_create(1) = 5
+0 send(3, ..., 10, MSG_ZEROCOPY) = 10
+0 close(3) = 0
+0 close(5) = 0
`);
  assert.deepEqual(f.syscalls, [
    { name: 'socket', count: 1 },
    { name: 'setsockopt', count: 3 },
    { name: 'epoll_create', count: 1 },
    { name: 'send', count: 1 },
    { name: 'close', count: 2 },
  ]);
  assert.deepEqual(
    f.socketOptions.map((o) => `${o.level}:${o.name}`),
    ['SOL_SOCKET:SO_REUSEADDR', 'IPPROTO_TCP:TCP_NODELAY', 'IPPROTO_TCP:TCP_FASTOPEN'],
  );
  assert.deepEqual(f.unsupported, [
    { reason: 'socket option IPPROTO_TCP:TCP_FASTOPEN', line: 4, fatal: true },
    { reason: 'syscall epoll_create', line: 5, fatal: true },
    { reason: 'flag MSG_ZEROCOPY', line: 6, fatal: true },
  ]);
  assert.equal(f.verdict, 'unsupported');
});

test('packet features: counts, option kinds, TFO/MD5/ECN/encapsulation gaps', () => {
  const f = features(`0 < S 0:0(0) win 1000 <mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>
+0 > S. 0:0(0) ack 1 <...>
+0 < [ect0] . 1:1(0) ack 1 win 100
+0 > SEW 0:0(0) <FO,nop,nop>
+0 < SEWA 0:0(0) win 1000
+0 < icmp unreachable port_unreachable
+0 < udp (10)
+0 < . 1:1(0) ack 1 win 1/udp(1 > 2)
`);
  assert.deepEqual(f.packets, { inbound: 6, outbound: 2, udp: 1, icmp: 1, options: ['FO', 'mss', 'nop', 'sackOK', 'timestamp', 'wscale'], ecn: true, ipInfo: true, anyOptions: true });
  assert.deepEqual(
    f.unsupported.map((u) => [u.reason, u.line]),
    [
      ['ECN codepoints in the IP header', 3],
      ['ECN flags (E/W)', 4],
      ['TCP Fast Open option', 4],
      ['AccECN (the AE flag)', 5],
      ['UDP packets', 7],
      ['TCP over UDP encapsulation (/udp)', 8],
    ],
  );
});

test('tcp_info blocks: counted, fields collected, skipped (not fatal)', () => {
  const f = features('0 close(3) = 0\n+0 %{ assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd }%\n+0 %{ assert tcpi_rto >= 200000 and tcpi_snd_cwnd > 1 }%\n');
  assert.deepEqual(f.tcpInfo, { blocks: 2, fields: ['tcpi_rto', 'tcpi_snd_cwnd'] });
  assert.deepEqual(f.unsupported, [{ reason: '%{ }% tcp_info assertions (not evaluated)', line: 2, fatal: false }]);
  assert.equal(f.verdict, 'skips');
});

test('corpus: linux syncookies script — sourced defaults, init sysctls, MTU, tcp_info', () => {
  const path = join(CORPUS, 'linux', 'tcp_syncookies_ip6_9k.pkt');
  const r = parseScript(readFileSync(path, 'utf8'), { file: 'tcp_syncookies_ip6_9k.pkt', defines: CORPUS_DEFINES });
  assert.ok(r.ok);
  const f = extractFeatures(r.script, { readShellFile: (p) => (p === './defaults.sh' ? readFileSync(join(CORPUS, 'linux', 'defaults.sh'), 'utf8') : undefined) });
  assert.equal(f.settings.syncookies, 'always'); // defaults.sh says 1, the init block then 2
  assert.equal(f.settings.mtu, 9000);
  assert.equal(f.settings.timestamps, true);
  assert.deepEqual(f.settings.rmem, [4096, 540000, 15 * 1024 * 1024]);
  assert.equal(f.settings.dropOutbound, false);
  assert.deepEqual(f.tcpInfo.fields, ['tcpi_options', 'tcpi_snd_mss', 'tcpi_snd_wscale']);
  assert.equal(f.verdict, 'skips');
  const text = formatFeatures('tcp_syncookies_ip6_9k.pkt', f);
  assert.match(text, /^tcp_syncookies_ip6_9k\.pkt: skips\n {2}syscalls: socket setsockopt bind listen accept\n/);
  assert.match(text, /skipped: %\{ \}% tcp_info assertions \(not evaluated\) \(line 27\)/);
});

test('corpus: a FreeBSD state-engine script — rfc1323, sack.enable, sockstat checks', () => {
  const rel = 'freebsd/state-event-engine/rcv-syn-fin-time-wait/rcv-syn-fin-time-wait-using-shutdown-right-edge-secure-drop-ipv6.pkt';
  const r = parseScript(readFileSync(join(CORPUS, rel), 'utf8'), { file: rel, defines: { ...CORPUS_DEFINES, STANDARD: '1' } });
  assert.ok(r.ok);
  const f = extractFeatures(r.script);
  assert.deepEqual([f.settings.timestamps, f.settings.windowScaling, f.settings.sack, f.settings.rcvBuf, f.settings.sndBuf], [true, true, true, 65536, 32768]);
  assert.deepEqual(
    f.unsupported.map((u) => [u.fatal, u.line]),
    [
      [false, 45],
      [false, 69],
    ],
  );
  // drop_synfin=1 asks for something the stack does not do: listed, not fatal.
  assert.equal(f.unsupported[0]!.reason, 'sysctl net.inet.tcp.drop_synfin=1 not honoured: dropping SYN+FIN segments is not a stack setting');
  assert.match(f.unsupported[1]!.reason, /^shell check `sockstat -6 -P tcp -s \| grep packetdril/);
});
