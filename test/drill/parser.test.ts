// The packetdrill parser on small snippets: every construct of the language
// and the typed errors (file:line:column) for what is wrong.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScript } from '../../src/drill/parser.js';
import { formatParseError, type Event, type Expr, type PacketEvent, type Script, type SyscallEvent, type TcpPacketSpec } from '../../src/drill/ast.js';
import { ACK, AE, CWR, ECE, FIN, PSH, RST, SYN, URG } from '../../src/wire/tcp-types.js';

function parse(src: string, defines?: Record<string, string>): Script {
  const r = parseScript(src, { file: 't.pkt', ...(defines === undefined ? {} : { defines }) });
  if (!r.ok) assert.fail(formatParseError(r.error));
  return r.script;
}

function fails(src: string): string {
  const r = parseScript(src, { file: 't.pkt' });
  assert.equal(r.ok, false, `expected a parse error for ${JSON.stringify(src)}`);
  if (r.ok) throw new Error('unreachable');
  return formatParseError(r.error);
}

function one(src: string): Event {
  const s = parse(src);
  assert.equal(s.events.length, 1);
  return s.events[0]!;
}

function tcp(line: string): TcpPacketSpec {
  const e = one(line) as PacketEvent;
  assert.equal(e.kind, 'packet');
  assert.equal(e.packet.protocol, 'tcp');
  return e.packet as TcpPacketSpec;
}

function call(line: string): SyscallEvent {
  const e = one(line);
  assert.equal(e.kind, 'syscall');
  return e as SyscallEvent;
}

// ---- times ----

test('time specs: absolute, relative, any, ranges, in microseconds exactly', () => {
  const s = parse(`0 close(3) = 0
+0.1 close(3) = 0
+ 0.00 close(3) = 0
4.1 close(3) = 0
* > . 1:1(0) ack 1
0.1~0.25 > . 1:1(0) ack 1
+.1~+.3 > . 1:1(0) ack 1`);
  assert.deepEqual(
    s.events.map((e) => e.time),
    [
      { kind: 'absolute', usecs: 0 },
      { kind: 'relative', usecs: 100_000 },
      { kind: 'relative', usecs: 0 },
      { kind: 'absolute', usecs: 4_100_000 },
      { kind: 'any' },
      { kind: 'absoluteRange', start: 100_000, end: 250_000 },
      { kind: 'relativeRange', start: 100_000, end: 300_000 },
    ],
  );
});

test('time errors: negative, backwards range, * and ranges only on outbound packets', () => {
  assert.equal(fails('-1 close(3) = 0'), 't.pkt:1:1: negative time -1');
  assert.equal(fails('0.3~0.1 > . 1:1(0)'), 't.pkt:1:1: time range is backwards');
  assert.equal(fails('0 close(3) = 0\n* < . 1:1(0) win 1'), 't.pkt:2:1: event time * can only be used with outbound packets');
  assert.equal(fails('0 close(3) = 0\n+0~+1 close(3) = 0'), 't.pkt:2:1: event time range can only be used with outbound packets');
  assert.match(fails('0 close(3) = 0\n+0~1 > . 1:1(0)'), /t\.pkt:2:4: a relative time range needs '\+' after '~'/);
  assert.match(fails('close(3) = 0'), /t\.pkt:1:1: expected a time/);
});

// ---- TCP packets ----

test('inbound SYN with options and the window', () => {
  const p = tcp('0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>');
  assert.equal(p.direction, 'inbound');
  assert.equal(p.flags, SYN);
  assert.equal(p.flagsText, 'S');
  assert.deepEqual(p.seq, { kind: 'relative', start: 0, end: 0, length: 0 });
  assert.equal(p.ack, undefined);
  assert.equal(p.window, 32792);
  assert.deepEqual(p.options, [
    { kind: 'mss', mss: 1000 },
    { kind: 'sackOK' },
    { kind: 'nop' },
    { kind: 'nop' },
    { kind: 'nop' },
    { kind: 'wscale', shift: 7 },
  ]);
});

test('flags: every letter, the dot, - for none, and an AccECN digit', () => {
  assert.equal(tcp('0 > S. 0:0(0) ack 1').flags, SYN | ACK);
  assert.equal(tcp('0 > F. 1:1(0) ack 1').flags, FIN | ACK);
  assert.equal(tcp('0 > P. 1:2(1) ack 1').flags, PSH | ACK);
  assert.equal(tcp('0 > R 0:0(0)').flags, RST);
  assert.equal(tcp('0 > . 1:1(0) ack 1').flags, ACK);
  assert.equal(tcp('0 > SEW 0:0(0)').flags, SYN | ECE | CWR);
  assert.equal(tcp('0 > FSRPUEWA. 0:0(0)').flags, FIN | SYN | RST | PSH | URG | ECE | CWR | AE | ACK);
  const none = tcp('0 > - 1:1(0)');
  assert.equal(none.flags, 0);
  assert.equal(none.flagsText, '-');
  const ace = tcp('0 > S.5 0:0(0) ack 1');
  assert.equal(ace.flags, SYN | ACK);
  assert.equal(ace.ace, 5);
  assert.equal(fails('0 > SX 0:0(0)'), "t.pkt:1:5: invalid TCP flag 'X' in 'SX'");
  assert.equal(fails('0 > SE.5 0:0(0)'), "t.pkt:1:5: conflicting TCP flag '5' in 'SE.5'");
});

test('seq/ack/win/urg fields and their range checks', () => {
  const p = tcp('0 > P. 1:1001(1000) ack 5 win 257 urg 3');
  assert.deepEqual(p.seq, { kind: 'relative', start: 1, end: 1001, length: 1000 });
  assert.deepEqual([p.ack, p.window, p.urg], [5, 257, 3]);
  assert.deepEqual(tcp('0 > . 4294967295:4294967295(0)').seq, { kind: 'relative', start: 4294967295, end: 4294967295, length: 0 });
  assert.equal(fails('0 > . 1:10(10)'), 't.pkt:1:12: inconsistent TCP sequence numbers and payload size: 1+10 != 10');
  assert.equal(fails('0 > . 0:0(0) win 65536'), 't.pkt:1:18: TCP window value 65536 out of range (0..65535)');
  assert.equal(fails('0 > . 4294967296:4294967296(0)'), 't.pkt:1:7: TCP start sequence number 4294967296 out of range (0..4294967295)');
  assert.equal(fails('0 < . 1:1(0) ack 1'), 't.pkt:1:3: window must be specified for inbound packets (win N)');
});

test('ports: sport > dport before the flags', () => {
  assert.deepEqual(tcp('0 < 1234>8080 S 0:0(0) win 100').ports, { src: 1234, dst: 8080 });
  assert.equal(fails('0 < 70000>1 S 0:0(0) win 1'), 't.pkt:1:5: source port 70000 out of range (0..65535)');
});

test('options: TS, sack blocks, md5, FO/FOEXP cookies, AccECN, eol', () => {
  const p = tcp('0 > . 1:1(0) ack 1 <nop,nop,TS val 100 ecr 200,nop,nop,sack 1:2 3:4 5:6>');
  assert.deepEqual(p.options, [
    { kind: 'nop' },
    { kind: 'nop' },
    { kind: 'timestamp', val: 100, ecr: 200, ecrAbsolute: false },
    { kind: 'nop' },
    { kind: 'nop' },
    { kind: 'sack', blocks: [{ left: 1, right: 2 }, { left: 3, right: 4 }, { left: 5, right: 6 }] },
  ]);
  const md5 = tcp('0 > . 1:1(0) <nop,nop,md5 000102030405060708090a0b0c0d0e0f>').options;
  assert.ok(md5 !== 'any');
  const digest = md5[2]!;
  assert.equal(digest.kind, 'md5');
  if (digest.kind === 'md5' && digest.digest !== 'valid') assert.deepEqual([...digest.digest], [...Array(16).keys()]);
  assert.deepEqual(tcp('0 > S 0:0(0) <mss 1460,nop,nop,sackOK,nop,wscale 8,FO,nop,nop>').options.at(-3), {
    kind: 'fastOpen',
    experimental: false,
    cookie: new Uint8Array(0),
  });
  assert.deepEqual(tcp('0 > S 0:0(0) <FOEXP abcd1234>').options, [
    { kind: 'fastOpen', experimental: true, cookie: Uint8Array.from([0xab, 0xcd, 0x12, 0x34]) },
  ]);
  // A cookie written as digits only is still hex.
  assert.deepEqual(tcp('0 > S 0:0(0) <FO 12345678,nop,nop>').options, [
    { kind: 'fastOpen', experimental: false, cookie: Uint8Array.from([0x12, 0x34, 0x56, 0x78]) },
    { kind: 'nop' },
    { kind: 'nop' },
  ]);
  assert.deepEqual(tcp('0 > . 1:1(0) <ECN e1b 1 ceb 2 e0b 3,nop>').options, [
    { kind: 'accecn', fields: [{ name: 'e1b', value: 1 }, { name: 'ceb', value: 2 }, { name: 'e0b', value: 3 }] },
    { kind: 'nop' },
  ]);
  assert.deepEqual(tcp('0 > S. 0:0(0) <mss 1440,sackOK,eol,eol>').options.slice(2), [{ kind: 'eol' }, { kind: 'eol' }]);
});

test('options: <...> only outbound; the padding and size rules', () => {
  assert.equal(tcp('0 > S. 0:0(0) ack 1 <...>').options, 'any');
  assert.deepEqual(tcp('0 > . 1:1(0) ack 1').options, []);
  assert.equal(fails('0 < S 0:0(0) win 1 <...>'), 't.pkt:1:20: <...> for TCP options can only be used with outbound packets');
  assert.equal(fails('0 > S 0:0(0) <mss 1460,sackOK,wscale 7>'), 't.pkt:1:14: TCP options are not padded to a multiple of 4 bytes: 9 bytes, 1 excess (add nop or eol)');
  assert.match(fails('0 > . 1:1(0) <sack 1:2 3:4 5:6 7:8 9:10,nop,nop>'), /TCP option list too long: 44 bytes/);
  assert.equal(fails('0 > S 0:0(0) <FO TFO_COOKIE,nop,nop>'), "t.pkt:1:18: TCP Fast Open cookie 'TFO_COOKIE' is not an even number of hex digits (an undefined symbol? pass -D TFO_COOKIE=HEX)");
  assert.equal(fails('0 > S 0:0(0) <mss 1460,bogus 1>'), "t.pkt:1:24: unknown TCP option 'bogus'");
  assert.match(fails('0 > . 1:1(0) <ECN ceb 1,nop,nop>'), /AccECN option fields must be/);
});

test('defines substitute symbols in packets (FO cookie, ICMP code)', () => {
  const s = parse('0 < S 0:10(10) win 1000 <FO TFO_COOKIE,nop,nop>\n+0 < icmp unreachable CODE', { TFO_COOKIE: '3021b9d889017eeb', CODE: 'host_unreachable' });
  const p = (s.events[0] as PacketEvent).packet as TcpPacketSpec;
  assert.deepEqual(p.options, [
    { kind: 'fastOpen', experimental: false, cookie: Uint8Array.from([0x30, 0x21, 0xb9, 0xd8, 0x89, 0x01, 0x7e, 0xeb]) },
    { kind: 'nop' },
    { kind: 'nop' },
  ]);
  const icmp = (s.events[1] as PacketEvent).packet;
  assert.equal(icmp.protocol === 'icmp' && icmp.code, 'host_unreachable');
});

test('IP info: ECN codepoints, tos, flowlabel, ttl (parenthesised or bracketed)', () => {
  assert.deepEqual(tcp('0 > [ect0] S. 0:0(0) ack 1').ip, { ecn: 'ect0' });
  assert.deepEqual(tcp('0 < (tos 0x28) S. 0:0(0) ack 1 win 1').ip, { tos: 0x28 });
  assert.deepEqual(tcp('0 > (noecn, flowlabel 0x12345) . 1:1(0)').ip, { ecn: 'noecn', flowLabel: 0x12345 });
  assert.deepEqual(tcp('0 > (ttl 64) . 1:1(0)').ip, { ttl: 64 });
  assert.deepEqual(tcp('0 > [ect01] . 1:1(0)').ip, { ecn: 'ect01' });
  assert.equal(fails('0 < [ect01] . 1:1(0) win 1'), 't.pkt:1:6: [ect01] can only be used with outbound packets');
  assert.equal(fails('0 > (tos 0x100) . 1:1(0)'), 't.pkt:1:10: tos 0x100 out of range (0..255)');
});

test('nplab dialect: hlim, class, absolute seq !, ...(len), TS val ..., ecr N!, md5 valid, /udp(a > b)', () => {
  assert.deepEqual(tcp('0 > (hlim 4) S 0:0(0)').ip, { ttl: 4 });
  assert.deepEqual(tcp('0 > (class 0xe0) S 0:0(0)').ip, { tos: 0xe0 });
  assert.deepEqual(tcp('0 > R. 0:0(0)! ack 2 win 0').seq, { kind: 'absolute', start: 0, end: 0, length: 0 });
  assert.deepEqual(tcp('0 > S. ...(0) ack 4 win 65535').seq, { kind: 'any', length: 0 });
  assert.deepEqual(tcp('0 > . 1:1(0) <nop,nop,TS val ... ecr 7!>').options, [
    { kind: 'nop' },
    { kind: 'nop' },
    { kind: 'timestamp', ecr: 7, ecrAbsolute: true },
  ]);
  assert.deepEqual(tcp('0 > . 1:1(0) <nop,nop,md5 valid>').options, [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'md5', digest: 'valid' }]);
  assert.deepEqual(tcp('0 < F. 1:1(0) ack 1 win 32767/udp(1 > 9811)').udpEncap, { src: 1, dst: 9811 });
});

test('outer headers: ipv4/ipv6 encapsulation, GRE, MPLS, PSP', () => {
  const p = tcp('0 < ipv4 192.0.2.2 > 192.168.0.1: S 0:0(0) win 1000');
  assert.deepEqual(p.outer, [{ kind: 'ipv4', ip: {}, src: '192.0.2.2', dst: '192.168.0.1' }]);
  const v6 = tcp('0 < ipv6 (tos 0x1) 2001:db8::2 > 2001:db8::1: S 0:0(0) win 1000');
  assert.deepEqual(v6.outer, [{ kind: 'ipv6', ip: { tos: 1 }, src: '2001:db8::2', dst: '2001:db8::1' }]);
  const gre = tcp('0 < gre flags [key present] sum 0 off 0 key=7 seq 0: S 0:0(0) win 1');
  assert.deepEqual(gre.outer, [{ kind: 'gre', fields: { flags: 0x2000, sum: 0, off: 0, key: 7, seq: 0 } }]);
  const mpls = tcp('0 < mpls (label 123, tc 1, ttl 64) (label 5, tc 0, [S], ttl 1): S 0:0(0) win 1');
  assert.deepEqual(mpls.outer, [
    {
      kind: 'mpls',
      labels: [
        { label: 123, tc: 1, bottom: false, ttl: 64 },
        { label: 5, tc: 0, bottom: true, ttl: 1 },
      ],
    },
  ]);
  assert.deepEqual(tcp('0 > encap psp spi 0x10 S 0:0(0)').psp, { spi: 16 });
  assert.match(fails('0 < ipv4 2001:db8::1 > 1.2.3.4: S 0:0(0) win 1'), /t\.pkt:1:10: expected an IPv4 address after 'ipv4'/);
});

test('UDP and ICMP packets', () => {
  const u = one('0 < udp 1000>2000 (100)');
  assert.deepEqual(u.kind === 'packet' && u.packet, { protocol: 'udp', direction: 'inbound', outer: [], ip: {}, ports: { src: 1000, dst: 2000 }, length: 100 });
  const i = one('0 < icmp unreachable frag_needed mtu 1200 [1:1461(1460)]');
  assert.deepEqual(i.kind === 'packet' && i.packet, {
    protocol: 'icmp',
    direction: 'inbound',
    outer: [],
    ip: {},
    type: 'unreachable',
    code: 'frag_needed',
    mtu: 1200,
    echoed: { protocol: 'tcp', seq: { kind: 'relative', start: 1, end: 1461, length: 1460 } },
  });
  const bare = one('0 < icmp unreachable port_unreachable');
  assert.deepEqual(bare.kind === 'packet' && bare.packet.protocol === 'icmp' && bare.packet.echoed, {
    protocol: 'tcp',
    seq: { kind: 'relative', start: 0, end: 0, length: 0 },
  });
  const pkt = one('0 < icmp packet_too_big mtu 1280 [udp (10)]');
  assert.deepEqual(pkt.kind === 'packet' && pkt.packet.protocol === 'icmp' && [pkt.packet.code, pkt.packet.mtu, pkt.packet.echoed], [
    undefined,
    1280,
    { protocol: 'udp', length: 10 },
  ]);
  const echo = one('0 > icmp echo_reply id 7 [raw (8)]');
  assert.deepEqual(echo.kind === 'packet' && echo.packet.protocol === 'icmp' && [echo.packet.id, echo.packet.echoed], [7, { protocol: 'raw', length: 8 }]);
  assert.equal(fails('0 < [ce] udp (1)'), 't.pkt:1:10: ECN can only be used with TCP packets');
});

// ---- system calls ----

test('syscalls: arguments, result, errno with note, note without errno', () => {
  const s = call('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3');
  assert.equal(s.call.name, 'socket');
  assert.deepEqual(s.call.args.map((a) => a.kind), ['ellipsis', 'word', 'word']);
  assert.deepEqual(s.call.result, { kind: 'int', value: 3, text: '3', hex: false, loc: { line: 1, column: 43 } });
  const c = call('0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)');
  assert.deepEqual(c.call.errno, { name: 'EINPROGRESS', note: 'Operation now in progress' });
  assert.equal(c.call.result.kind === 'int' && c.call.result.value, -1);
  const f = call('0 fcntl(3, F_GETFL) = 0x2 (flags O_RDWR)');
  assert.equal(f.call.note, 'flags O_RDWR');
  assert.equal(f.call.result.kind === 'int' && f.call.result.value, 2);
  assert.equal(call('0 getpid() = 1').call.args.length, 0);
  assert.equal(fails('0 read(3, ..., 10) = -1 EAGAIN\n+0 close(3) = 0'), 't.pkt:2:1: errno EAGAIN must be followed by a note in parentheses, e.g. EAGAIN (description)');
  assert.equal(fails('0 close(3)'), "t.pkt:1:11: expected '=' after close(...) (expected '= RESULT'), got end of file");
});

test('blocking syscalls: +D...E keeps E on the start base', () => {
  const s = parse('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+.1...0.200 read(3, ..., 10) = 10\n0...0 connect(3, ..., ...) = 0');
  const r = s.events[1] as SyscallEvent;
  assert.deepEqual(r.time, { kind: 'relative', usecs: 100_000 });
  assert.equal(r.call.blockingEnd, 200_000);
  assert.equal((s.events[2] as SyscallEvent).call.blockingEnd, 0);
});

test('expressions: | chains, arrays, strings, linger, sockaddr, pollfd, msghdr, iovec, calls', () => {
  const set = call('0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0').call.args[3]!;
  assert.equal(set.kind === 'struct' && set.shape, 'linger');
  const fl = call('0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK|O_APPEND) = 0').call.args[2]!;
  assert.equal(fl.kind, 'or');
  const flat = (e: Expr): string[] => (e.kind === 'or' ? [...flat(e.lhs), ...flat(e.rhs)] : e.kind === 'word' ? [e.name] : ['?']);
  assert.deepEqual(flat(fl), ['O_RDWR', 'O_NONBLOCK', 'O_APPEND']);
  const opt = call('0 getsockopt(3, SOL_SOCKET, SO_RCVBUF, [65536], [4]) = 0').call.args;
  assert.equal(opt[3]!.kind === 'array' && opt[3]!.elements.length, 1);
  const str = call('0 setsockopt(3, SOL_TCP, TCP_CONGESTION, "re" "no", 4) = 0').call.args[3]!;
  assert.deepEqual(str.kind === 'string' && [str.value, str.ellipsis], ['reno', false]);
  const sa = call('0 connect(3, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("192.0.2.1")}, 16) = 0').call.args[1]!;
  assert.equal(sa.kind === 'struct' && sa.shape, 'sockaddr');
  const port = sa.kind === 'struct' ? sa.fields[1]!.value : undefined;
  assert.deepEqual(port?.kind === 'call' && [port.name, port.args[0]!.kind === 'int' && port.args[0]!.value], ['htons', 8080]);
  const poll = call('0 poll([{fd=4, events=POLLIN|POLLOUT, revents=POLLOUT}], 1, 0) = 1').call.args[0]!;
  assert.equal(poll.kind === 'array' && poll.elements[0]!.kind === 'struct' && poll.elements[0]!.shape, 'pollfd');
  const msg = call('0 sendmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 1000}], msg_flags=0}, 0) = 1000').call.args[1]!;
  assert.equal(msg.kind === 'struct' && msg.shape, 'msghdr');
  const iov = msg.kind === 'struct' ? msg.fields.find((f) => f.name === 'msg_iov') : undefined;
  assert.equal(iov?.arg?.kind === 'int' && iov.arg.value, 1);
  assert.equal(iov?.value.kind === 'array' && iov.value.elements[0]!.kind, 'list');
  const ev = call('0 epoll_ctl(5, EPOLL_CTL_ADD, 3, {events=EPOLLIN, fd=3}) = 0').call.args[3]!;
  assert.equal(ev.kind === 'struct' && ev.shape, 'epoll_event');
  const ts = call('0 write(4, "abc"..., 3) = 3').call.args[1]!;
  assert.deepEqual(ts.kind === 'string' && [ts.value, ts.ellipsis], ['abc', true]);
});

test('struct errors: missing and duplicate fields, nesting limit', () => {
  assert.equal(fails('0 connect(3, {sa_family=AF_INET, sin_port=htons(1)}, 16) = 0'), 't.pkt:1:14: sockaddr needs field sin_addr (has sa_family, sin_port)');
  assert.equal(fails('0 f({onoff=1, onoff=2, linger=0}) = 0'), 't.pkt:1:15: field onoff given twice');
  assert.match(fails('0 f(' + '['.repeat(100) + ']'.repeat(100) + ') = 0'), /expression nested more than 64 levels deep/);
});

// ---- shell, code, options, structure ----

test('shell commands: init, timed, cleanup; code blocks', () => {
  const s = parse('--tolerance_usecs=10000\n`../common/defaults.sh`\n0 `sysctl -q net.ipv4.tcp_sack=0`\n+0 %{ assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd }%\n`cleanup.sh`\n');
  assert.deepEqual(s.options, [{ name: 'tolerance_usecs', value: '10000', loc: { line: 1, column: 1 } }]);
  assert.deepEqual(s.initCommand, { text: '../common/defaults.sh', loc: { line: 2, column: 1 } });
  assert.deepEqual(s.events[0], { kind: 'shell', loc: { line: 3, column: 1 }, time: { kind: 'absolute', usecs: 0 }, command: { text: 'sysctl -q net.ipv4.tcp_sack=0', loc: { line: 3, column: 3 } } });
  assert.deepEqual(s.events[1], { kind: 'code', loc: { line: 4, column: 1 }, time: { kind: 'relative', usecs: 0 }, code: 'assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd' });
  assert.deepEqual(s.cleanupCommand, { text: 'cleanup.sh', loc: { line: 5, column: 1 } });
});

test('structure errors: options after events, untimed commands in the middle, no events, unknown option', () => {
  assert.equal(fails('0 close(3) = 0\n--mtu=1500'), 't.pkt:2:1: option --mtu must come before the first event');
  assert.equal(fails('0 close(3) = 0\n`x`\n+0 close(4) = 0'), 't.pkt:2:1: a back-quoted command inside the script needs a time (e.g. +0 `...`)');
  assert.equal(fails('`init`\n'), 't.pkt:2:1: script has no events');
  assert.equal(fails('--bogus=1\n0 close(3) = 0'), 't.pkt:1:1: unknown option --bogus');
  assert.equal(fails('--tolerance_usecs\n0 close(3) = 0'), 't.pkt:1:1: option --tolerance_usecs needs a value (--tolerance_usecs=...)');
  assert.equal(fails('--strict_segments=1\n0 close(3) = 0'), 't.pkt:1:1: option --strict_segments takes no value');
});

test('an in-script --define applies to the lines after it', () => {
  const s = parse('--define=COOKIE=abcd\n0 > S 0:0(0) <FO COOKIE>');
  assert.deepEqual(((s.events[0] as PacketEvent).packet as TcpPacketSpec).options, [{ kind: 'fastOpen', experimental: false, cookie: Uint8Array.from([0xab, 0xcd]) }]);
});

test('#ifdef blocks in scripts choose events by the defines', () => {
  const src = '0 close(3) = 0\n#ifdef STANDARD\n+0 close(4) = 0\n#endif\n#ifdef FreeBSD\n+0 close(5) = 0\n#endif\n';
  const fds = (s: Script): number[] => s.events.map((e) => (e.kind === 'syscall' && e.call.args[0]!.kind === 'int' ? e.call.args[0]!.value : -1));
  assert.deepEqual(fds(parse(src)), [3]);
  assert.deepEqual(fds(parse(src, { STANDARD: '1' })), [3, 4]);
  assert.deepEqual(fds(parse(src, { FreeBSD: '1' })), [3, 5]);
});

test('lexical errors come back typed with their position', () => {
  const r = parseScript('0 close(3) = 0\n+0 `never closed', { file: 'x.pkt' });
  assert.deepEqual(r, { ok: false, error: { kind: 'lex', file: 'x.pkt', line: 2, column: 4, message: 'unterminated back-quoted command' } });
  const pp = parseScript('0 close(3) = 0\n#ifdef A\n', { file: 'x.pkt' });
  assert.equal(!pp.ok && pp.error.kind, 'preprocess');
});

test('the annotated example of the language notes parses event by event', () => {
  const s = parse(`--tolerance_usecs=10000
\`../common/defaults.sh\`
    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
   +0 bind(3, ..., ...) = 0
   +0 listen(3, 1) = 0
  +.1 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>
   +0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>
  +.1 < . 1:1(0) ack 1 win 257
   +0 accept(3, ..., ...) = 4
   +0...0.300 write(4, ..., 61000) = 61000
  +.1 < . 1:1(0) ack 10001 win 257
   +0 > P. 10001:20001(10000) ack 1
   +0 %{ assert tcpi_snd_cwnd >= 10 }%
   +0 close(4) = 0
   +0 > F. 20001:20001(0) ack 1
  +.1 < F. 1:1(0) ack 20002 win 257
   +0 > . 20002:20002(0) ack 2
`);
  assert.deepEqual(
    s.events.map((e) => (e.kind === 'packet' ? `${e.loc.line}:${e.packet.direction}` : e.kind === 'syscall' ? `${e.loc.line}:${e.call.name}` : `${e.loc.line}:${e.kind}`)),
    ['3:socket', '4:setsockopt', '5:bind', '6:listen', '7:inbound', '8:outbound', '9:inbound', '10:accept', '11:write', '12:inbound', '13:outbound', '14:code', '15:close', '16:outbound', '17:inbound', '18:outbound'],
  );
});
