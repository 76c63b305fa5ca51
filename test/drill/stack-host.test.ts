// The stack-backed host: scripts run against a real synack stack in virtual
// time. Expected segments and errno values are the ones the RFCs and the
// platforms give (Linux's option layout and errno names, FreeBSD's from the
// freebsd-net suite), written out by hand; each check also has a variant
// that must fail, so a host that accepts anything cannot pass.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScript } from '../../src/drill/parser.js';
import { environmentFor } from '../../src/drill/env.js';
import { extractFeatures } from '../../src/drill/features.js';
import { runScript, type DrillRunResult } from '../../src/drill/runner.js';
import { StackHost, STACK_HOST_CAPABILITIES, toBytes, toLive, type DrillProfile } from '../../src/drill/stack-host.js';
import { parseIpv4 } from '../../src/wire/ipv4.js';
import { parseIpv6 } from '../../src/wire/ipv6.js';
import { ACK, PSH } from '../../src/wire/tcp-types.js';

interface Run extends DrillRunResult {
  host: StackHost;
}

function run(src: string, opts: { profile?: DrillProfile; overrides?: Record<string, string> } = {}): Run {
  const r = parseScript(src, { file: 't.pkt' });
  if (!r.ok) assert.fail(`${r.error.line}:${r.error.column}: ${r.error.message}`);
  const e = environmentFor(r.script, opts.overrides ?? {});
  assert.ok(e.ok);
  const host = new StackHost({ profile: opts.profile ?? 'linux' });
  const res = runScript(r.script, host, { env: e.env, features: extractFeatures(r.script, { capabilities: STACK_HOST_CAPABILITIES }) });
  return { ...res, host };
}

function passes(src: string, opts: { profile?: DrillProfile; overrides?: Record<string, string> } = {}): Run {
  const r = run(src, opts);
  assert.equal(r.error, undefined);
  assert.equal(r.status, 'pass');
  return r;
}

const LISTEN = `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
`;

/** A passive open without timestamps: the peer offers mss 1000, SACK and wscale 7. */
const ACCEPTED =
  LISTEN +
  `+0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>
+0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 7>
+.1 < . 1:1(0) ack 1 win 257
+0 accept(3, ..., ...) = 4
`;

test('passive open, data both ways and close, with Linux option layout and window scale 7 (tcp_rmem max 6 MB)', () => {
  // The peer's first data is acknowledged at once (quick-ACK mode, as Linux does).
  const r = passes(
    ACCEPTED +
      `+0 write(4, ..., 2000) = 2000
+0 > P. 1:2001(2000) ack 1
+.1 < . 1:1(0) ack 2001 win 257
+0 < P. 1:11(10) ack 2001 win 257
+0 > . 2001:2001(0) ack 11
+0 read(4, ..., 100) = 10
+0 close(4) = 0
+0 > F. 2001:2001(0) ack 11
+.1 < F. 11:11(0) ack 2002 win 257
+0 > . 2002:2002(0) ack 12
`,
  );
  // The 2000 bytes went as two segments of the peer's MSS (1000), PSH on the last only.
  const data = r.host.trace.filter((t) => t.direction === 'out').map((t) => toLive(t.bytes, t.time)).filter((p) => p?.protocol === 'tcp' && p.segment.payload.length > 0);
  assert.deepEqual(
    data.map((p) => (p?.protocol === 'tcp' ? [p.segment.payload.length, p.segment.flags] : [])),
    [
      [1000, ACK],
      [1000, ACK | PSH],
    ],
  );
  // A different window scale in the script fails on that option.
  assert.equal(
    run(ACCEPTED.replace('sackOK,nop,wscale 7>', 'sackOK,nop,wscale 8>')).error,
    't.pkt:6: error handling packet: bad value in outbound TCP option 6: expected: wscale 8 vs actual: wscale 7',
  );
});

test('sysctls shape the SYN: tcp_rmem max sets the window scale, tcp_timestamps / tcp_sack / tcp_window_scaling drop their options', () => {
  const connect = (init: string, syn: string): Run =>
    run(`${init}\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n+0 > S 0:0(0) ${syn}\n`);
  const ok = (init: string, syn: string): void => {
    const r = connect(init, syn);
    assert.equal(r.error, undefined, `${init} → ${syn}`);
    assert.equal(r.status, 'pass');
  };
  ok('', '<mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>');
  ok('`sysctl -q net.ipv4.tcp_rmem="4096 540000 $((15*1024*1024))"`', '<mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 8>');
  ok('`sysctl -q net.ipv4.tcp_timestamps=0`', '<mss 1460,nop,nop,sackOK,nop,wscale 7>');
  ok('`sysctl -q net.ipv4.tcp_sack=0`', '<mss 1460,nop,nop,TS val 100 ecr 0,nop,wscale 7>');
  ok('`sysctl -q net.ipv4.tcp_window_scaling=0`', '<mss 1460,sackOK,TS val 100 ecr 0>');
  assert.equal(connect('`sysctl -q net.ipv4.tcp_timestamps=0`', '<mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>').status, 'fail');
});

test('a sysctl at a timed shell event applies from then on: the second connection has no timestamps', () => {
  passes(`0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0 > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>
+0 close(3) = 0
+1 \`sysctl -q net.ipv4.tcp_timestamps=0\`
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 4
+0 fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0
+0 connect(4, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0 > S 0:0(0) <mss 1460,nop,nop,sackOK,nop,wscale 7>
`);
});

test('non-blocking connect: EINPROGRESS, EALREADY, EAGAIN for read and write, then ECONNREFUSED through SO_ERROR once', () => {
  const script = `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 fcntl(3, F_GETFL) = 0x2 (flags O_RDWR)
+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
+0 fcntl(3, F_GETFL) = 0x802 (flags O_RDWR|O_NONBLOCK)
+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0 > S 0:0(0) <...>
+0 connect(3, ..., ...) = -1 EALREADY (Operation already in progress)
+0 read(3, ..., 10) = -1 EAGAIN (Resource temporarily unavailable)
+0 write(3, ..., 10) = -1 EWOULDBLOCK (Resource temporarily unavailable)
+.1 < R. 0:0(0) ack 1 win 0
+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNREFUSED], [4]) = 0
+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0
+0 close(3) = 0
`;
  passes(script);
  assert.equal(
    run(script.replace('[ECONNREFUSED]', '[ECONNRESET]')).error,
    't.pkt:11: runtime error in getsockopt call: Bad getsockopt optval: expected: 104 actual: 111 (ECONNREFUSED)',
  );
});

test('blocking connect returns at the SYN-ACK; refused by RST, or timed out after tcp_syn_retries (1 s initial RTO, doubling)', () => {
  passes(`0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0...0.1 connect(3, ..., ...) = 0
+0 > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>
+.1 < S. 0:0(0) ack 1 win 5792 <mss 1460,nop,wscale 2>
+0 > . 1:1(0) ack 1
`);
  passes(`0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0...0.1 connect(3, ..., ...) = -1 ECONNREFUSED (Connection refused)
+0 > S 0:0(0) <...>
+.1 < R. 0:0(0) ack 1 win 0
`);
  const retries = `\`sysctl -q net.ipv4.tcp_syn_retries=2\`
0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0...7 connect(3, ..., ...) = -1 ETIMEDOUT (Connection timed out)
+0 > S 0:0(0) <...>
+1 > S 0:0(0) <...>
+2 > S 0:0(0) <...>
`;
  passes(retries);
  assert.match(run(retries.replace('...7 connect', '...15 connect')).error ?? '', /^t\.pkt:3: timing error: expected system call return at 15\.000000 sec but happened at 7\.000000 sec/);
});

test('an ICMP port unreachable aborts a connection attempt (RFC 1122 §4.2.3.9): ECONNREFUSED', () => {
  passes(`0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0...0.1 connect(3, ..., ...) = -1 ECONNREFUSED (Connection refused)
+0 > S 0:0(0) <...>
+.1 < icmp unreachable port_unreachable [0:0(0)]
`);
});

test('after the peer resets: read gives ECONNRESET once then 0, write EPIPE; shutdown is ENOTCONN', () => {
  passes(
    ACCEPTED +
      `+.1 < R 1:1(0) win 0
+0 read(4, ..., 100) = -1 ECONNRESET (Connection reset by peer)
+0 read(4, ..., 100) = 0
+0 write(4, ..., 100) = -1 EPIPE (Broken pipe)
+0 shutdown(4, SHUT_WR) = -1 ENOTCONN (Transport endpoint is not connected)
+0 close(4) = 0
`,
  );
  // A write is what learns of the reset first: ECONNRESET, then EPIPE.
  passes(ACCEPTED + '+.1 < R 1:1(0) win 0\n+0 write(4, ..., 100) = -1 ECONNRESET (Connection reset by peer)\n+0 write(4, ..., 100) = -1 EPIPE (Broken pipe)\n');
});

test('shutdown(SHUT_WR) sends FIN; writes then fail with EPIPE while the peer can still send', () => {
  passes(
    ACCEPTED +
      `+0 shutdown(4, SHUT_WR) = 0
+0 > F. 1:1(0) ack 1
+0 write(4, ..., 10) = -1 EPIPE (Broken pipe)
+.1 < . 1:101(100) ack 2 win 257
+0 > . 2:2(0) ack 101
+0 read(4, ..., 1000) = 100
+.1 < F. 101:101(0) ack 2 win 257
+0 > . 2:2(0) ack 102
+0 read(4, ..., 1000) = 0
`,
  );
});

test('SO_LINGER with a zero timeout turns close() into an abort: <SEQ=SND.NXT><CTL=RST> (RFC 9293 §3.10.5)', () => {
  const linger = ACCEPTED + '+0 setsockopt(4, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0\n+0 close(4) = 0\n';
  passes(linger + '+0 > R 1:1(0)\n');
  // Without it, close() is orderly: FIN.
  assert.equal(run(ACCEPTED + '+0 close(4) = 0\n+0 > R 1:1(0)\n').error, 't.pkt:10: error handling packet: live packet field tcp_fin: expected: 0 vs actual: 1');
});

test('blocking and non-blocking calls: accept and read wait for the peer; EAGAIN without O_NONBLOCK is never given', () => {
  passes(
    LISTEN +
      `+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
+0 accept(3, ..., ...) = -1 EAGAIN (Resource temporarily unavailable)
+0 fcntl(3, F_SETFL, O_RDWR) = 0
+0...0.2 accept(3, ..., ...) = 4
+.1 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
+0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 7>
+.1 < . 1:1(0) ack 1 win 257
+0...0.3 read(4, ..., 100) = 40
+.3 < P. 1:41(40) ack 1 win 257
`,
  );
});

test('poll: revents for data and writability, a blocking poll that wakes on data, and one that times out', () => {
  const script =
    ACCEPTED +
    `+0 poll([{fd=4, events=POLLIN|POLLOUT, revents=POLLOUT}], 1, 0) = 1
+0...0.1 poll([{fd=4, events=POLLIN, revents=POLLIN}], 1, 1000) = 1
+.1 < P. 1:11(10) ack 1 win 257
+0 read(4, ..., 100) = 10
+0...0.05 poll([{fd=4, events=POLLIN, revents=0}], 1, 50) = 0
+.05 < F. 11:11(0) ack 1 win 257
+0 poll([{fd=4, events=POLLIN, revents=POLLIN}], 1, 0) = 1
`;
  passes(script);
  assert.equal(
    run(script.replace('revents=POLLOUT}], 1, 0)', 'revents=POLLIN}], 1, 0)')).error,
    't.pkt:9: runtime error in poll call: poll: fd 4: expected revents 0x1 vs actual 0x4',
  );
});

test('keepalive set before connect: probes at SND.NXT-1 after TCP_KEEPIDLE, every TCP_KEEPINTVL, RST after TCP_KEEPCNT; read gives ETIMEDOUT', () => {
  passes(`0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 setsockopt(3, SOL_SOCKET, SO_KEEPALIVE, [1], 4) = 0
+0 setsockopt(3, IPPROTO_TCP, TCP_KEEPIDLE, [10], 4) = 0
+0 setsockopt(3, IPPROTO_TCP, TCP_KEEPINTVL, [2], 4) = 0
+0 setsockopt(3, IPPROTO_TCP, TCP_KEEPCNT, [2], 4) = 0
+0 getsockopt(3, IPPROTO_TCP, TCP_KEEPIDLE, [10], [4]) = 0
+0 getsockopt(3, SOL_SOCKET, SO_KEEPALIVE, [1], [4]) = 0
+0...0.1 connect(3, ..., ...) = 0
+0 > S 0:0(0) <...>
+.1 < S. 0:0(0) ack 1 win 5792 <mss 1460,nop,wscale 2>
+0 > . 1:1(0) ack 1
+10 > . 0:0(0) ack 1
+2 > . 0:0(0) ack 1
+2 > R 1:1(0)
+0 read(3, ..., 10) = -1 ETIMEDOUT (Connection timed out)
`);
  // Option values outside Linux's ranges are refused.
  passes('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 setsockopt(3, IPPROTO_TCP, TCP_KEEPCNT, [0], 4) = -1 EINVAL (Invalid argument)\n+0 setsockopt(3, IPPROTO_TCP, TCP_KEEPIDLE, [40000], 4) = -1 EINVAL (Invalid argument)\n');
});

test('socket errors: EBADF, ENOTCONN, EINVAL, EADDRINUSE, EFAULT, Linux SO_RCVBUF doubling', () => {
  passes(`0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 close(9) = -1 EBADF (Bad file descriptor)
+0 read(3, ..., 10) = -1 ENOTCONN (Transport endpoint is not connected)
+0 accept(3, ..., ...) = -1 EINVAL (Invalid argument)
+0 shutdown(3, SHUT_WR) = -1 ENOTCONN (Transport endpoint is not connected)
+0 bind(3, ..., ...) = 0
+0 bind(3, ..., ...) = -1 EINVAL (Invalid argument)
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 4
+0 bind(4, ..., ...) = -1 EADDRINUSE (Address already in use)
+0 setsockopt(4, SOL_SOCKET, SO_RCVBUF, [10000], 4) = 0
+0 getsockopt(4, SOL_SOCKET, SO_RCVBUF, [20000], [4]) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 32792 <mss 1000>
+0 > S. 0:0(0) ack 1 <mss 1460>
+0 < . 1:1(0) ack 1 win 32792
+0 accept(3, ..., ...) = 5
+0 write(5, NULL, 100) = -1 EFAULT (Bad address)
`);
});

test('FreeBSD profile: SYN layout and window of the freebsd-net suite, O_NONBLOCK = 4, SO_RCVBUF rounded to the MSS', () => {
  const script = `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 fcntl(3, F_GETFL) = 0x02 (flags O_RDWR)
+0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0
+0 fcntl(3, F_GETFL) = 0x06 (flags O_RDWR|O_NONBLOCK)
+0 getsockopt(3, SOL_SOCKET, SO_RCVBUF, [65536], [4]) = 0
+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0 > S 0:0(0) win 65535 <mss 1460,nop,wscale 6,sackOK,TS val 100 ecr 0>
+.1 < S. 0:0(0) ack 1 win 32767 <mss 1460,sackOK,eol,eol>
+0 > . 1:1(0) ack 1 win 65535
+0 getsockopt(3, SOL_SOCKET, SO_RCVBUF, [65700], [4]) = 0
+.1 < R. 1:1(0) ack 1 win 32767
+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNRESET], [4]) = 0
`;
  passes(script, { profile: 'freebsd' });
  // The same script under the Linux profile fails on the SYN's options.
  assert.match(run(script, { profile: 'linux' }).error ?? '', /^t\.pkt:4: runtime error in fcntl call: Expected result 6 but got 2050/);
});

test('IPv6 and IPv4-mapped IPv6 runs carry their own packets', () => {
  for (const [v, version] of [['ipv6', 6], ['ipv4-mapped-ipv6', 4]] as const) {
    const r = passes(ACCEPTED, { overrides: { ip_version: v } });
    const first = r.host.trace[0]!;
    assert.equal(first.bytes[0]! >>> 4, version);
    if (version === 6) {
      const ip = parseIpv6(first.bytes);
      assert.ok(ip.ok);
    } else {
      const ip = parseIpv4(first.bytes);
      assert.ok(ip.ok && ip.value.dst.join('.') === '192.168.0.1');
    }
  }
});

test('tc qdisc ... limit 0 drops everything the stack sends: an expected SYN-ACK never comes', () => {
  const r = run('`tc qdisc add dev tun0 root pfifo limit 0`\n' + LISTEN + '+0 < S 0:0(0) win 32792 <mss 1000>\n+0 > S. 0:0(0) ack 1 <mss 1460>\n');
  assert.equal(r.error, 't.pkt:7: error handling packet: timed out waiting for outbound packet (expected by 0.004000 sec)');
  // The stack did send it: the trace has it, the script never saw it.
  assert.equal(r.host.trace.filter((t) => t.direction === 'out').length > 0, true);
});

test('packets survive the trip through bytes: an inbound segment re-read is what the script built', () => {
  const p = toBytes({
    protocol: 'tcp',
    time: 0,
    ip: { family: 4, src: '192.0.2.1', dst: '192.168.0.1', tos: 2, ttl: 255 },
    segment: { srcPort: 40000, dstPort: 8080, seq: 7, ack: 9, flags: ACK, window: 100, urgent: 0, options: [{ kind: 'mss', mss: 1000 }, { kind: 'sackOK' }, { kind: 'eol' }, { kind: 'eol' }], payload: new Uint8Array(3) },
  });
  assert.ok(p !== undefined);
  const back = toLive(p, 5);
  assert.ok(back?.protocol === 'tcp');
  assert.deepEqual([back.ip.src, back.ip.dst, back.ip.tos, back.ip.ttl, back.dataOffset], ['192.0.2.1', '192.168.0.1', 2, 255, 7]);
  assert.deepEqual([back.segment.seq, back.segment.ack, back.segment.window, back.segment.payload.length], [7, 9, 100, 3]);
  assert.deepEqual(back.segment.options, [{ kind: 'mss', mss: 1000 }, { kind: 'sackOK' }, { kind: 'eol' }]);
});

test('a listening socket passes its options to the connections it accepts: keepalive timers, and SO_RCVBUF bounding the window scale', () => {
  const script = `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0 setsockopt(3, SOL_SOCKET, SO_KEEPALIVE, [1], 4) = 0
+0 setsockopt(3, IPPROTO_TCP, TCP_KEEPIDLE, [5], 4) = 0
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 setsockopt(3, IPPROTO_TCP, TCP_KEEPINTVL, [1], 4) = 0
+0 setsockopt(3, IPPROTO_TCP, TCP_KEEPCNT, [2], 4) = 0
+0 setsockopt(3, SOL_SOCKET, SO_RCVBUF, [65536], 4) = 0
+0 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
+0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 1>
+0 < . 1:1(0) ack 1 win 257
+0 accept(3, ..., ...) = 4
+5 > . 0:0(0) ack 1
+1 > . 0:0(0) ack 1
+1 > R 1:1(0)
`;
  passes(script);
  // Keepalive is not on by default: nothing is sent after 5 s.
  assert.equal(run(script.replace('SO_KEEPALIVE, [1]', 'SO_KEEPALIVE, [0]')).error, 't.pkt:14: error handling packet: timed out waiting for outbound packet (expected by 5.625000 sec)');
});
