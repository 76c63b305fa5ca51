// The runner driving a toy host: passing scripts, each kind of failure with
// its packetdrill-style message, relative-time bases, blocking calls, TSO
// aggregation, non-fatal mode, and scripts refused as unsupported.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScript } from '../../src/drill/parser.js';
import { environmentFor } from '../../src/drill/env.js';
import { extractFeatures } from '../../src/drill/features.js';
import { runScript, type DrillRunResult } from '../../src/drill/runner.js';
import { ToyHost, type ToyOptions } from './toy-host.js';

function run(src: string, toy: ToyOptions | ToyHost = {}, overrides: Record<string, string> = {}): DrillRunResult & { host: ToyHost } {
  const r = parseScript(src, { file: 't.pkt' });
  if (!r.ok) assert.fail(`${r.error.line}:${r.error.column}: ${r.error.message}`);
  const e = environmentFor(r.script, overrides);
  assert.ok(e.ok);
  const host = toy instanceof ToyHost ? toy : new ToyHost(toy);
  const res = runScript(r.script, host, { env: e.env, features: extractFeatures(r.script) });
  return { ...res, host };
}

const PASSIVE = `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>
+0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>
+.1 < . 1:1(0) ack 1 win 257
+0 accept(3, ..., ...) = 4
`;

test('a passive open, data and close pass against the toy host', () => {
  const r = run(
    PASSIVE +
      `+0 write(4, ..., 1000) = 1000
+0 > P. 1:1001(1000) ack 1
+.1 < . 1:1(0) ack 1001 win 257
+0 close(4) = 0
+0 > F. 1001:1001(0) ack 1
+.1 < F. 1:1(0) ack 1002 win 257
+0 > . 1002:1002(0) ack 2
`,
  );
  assert.equal(r.error, undefined);
  assert.equal(r.status, 'pass');
  assert.equal(r.events, 15);
  // The runner handed the toy live numbers: the peer's last ACK acks our ISN + 1002.
  const last = r.host.injected.at(-1)!;
  assert.ok(last.protocol === 'tcp');
  assert.equal(last.segment.ack, (0xfffff000 + 1002) % 2 ** 32);
  assert.equal(last.time, 300_000);
});

test('a wrong ack number fails on its line with the field and both values', () => {
  const r = run(PASSIVE.replace('> S. 0:0(0) ack 1', '> S. 0:0(0) ack 2'));
  assert.equal(r.status, 'fail');
  assert.equal(r.error, 't.pkt:6: error handling packet: live packet field tcp_ack_seq: expected: 2 vs actual: 1');
});

test('a missing ACK flag is reported as tcp_ack', () => {
  const r = run(PASSIVE + '+0 write(4, ..., 10) = 10\n+0 > P 1:11(10) ack 1\n');
  assert.equal(r.error, 't.pkt:10: error handling packet: live packet field tcp_ack: expected: 0 vs actual: 1');
});

test('timing: an early packet and a late one are timing errors; the retransmission matches at +1s', () => {
  const early = run(PASSIVE.replace('+0 > S. 0:0(0)', '+.5 > S. 0:0(0)'));
  assert.equal(early.error, 't.pkt:6: error handling packet: timing error: expected outbound packet at 0.500000 sec but happened at 0.000000 sec; tolerance 0.062500 sec');
  const late = run(PASSIVE, { delay: 50_000 });
  assert.equal(late.error, 't.pkt:6: error handling packet: timing error: expected outbound packet at 0.000000 sec but happened at 0.050000 sec; tolerance 0.004000 sec');
  const rtx = run(
    `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>
+0 > S. 0:0(0) ack 1 <...>
+1 > S. 0:0(0) ack 1 <...>
+2 > S. 0:0(0) ack 1 <...>
`,
  );
  assert.equal(rtx.error, undefined);
  assert.equal(rtx.status, 'pass');
});

test('ranges and * accept any time inside; a packet that never comes times out', () => {
  const base = `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 32792
+0 > S. 0:0(0) ack 1 <...>
`;
  assert.equal(run(base + '+.9~+1.1 > S. 0:0(0) ack 1 <...>\n').status, 'pass');
  assert.equal(run(base + '* > S. 0:0(0) ack 1 <...>\n* > S. 0:0(0) ack 1 <...>\n').status, 'pass');
  assert.equal(
    run(base + '+.2~+.5 > S. 0:0(0) ack 1 <...>\n').error,
    't.pkt:5: error handling packet: timing error: expected outbound packet in time range 0.200000~0.500000 sec but happened at 1.000000 sec',
  );
  const none = run(base + '+0 < . 1:1(0) ack 1 win 257\n+0 > . 1:1(0) ack 1\n');
  assert.equal(none.error, 't.pkt:6: error handling packet: timed out waiting for outbound packet (expected by 0.004000 sec)');
});

test('back-to-back inbound packets are anchored on the scheduled times', () => {
  const r = run(`0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 listen(3, 1) = 0
+.1 < S 0:0(0) win 100
+.1 < . 1:1(0) ack 1 win 100
+.1 < . 1:1(0) ack 1 win 100
`);
  assert.equal(r.status, 'pass');
  assert.deepEqual(
    r.host.injected.map((p) => p.time),
    [100_000, 200_000, 300_000],
  );
});

test('a blocking connect returns when the SYN-ACK arrives; its end time is checked', () => {
  const script = (end: string): string => `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0...${end} connect(3, ..., ...) = 0
+0 > S 0:0(0) <mss 1460,nop,nop,sackOK,nop,wscale 8>
+.1 < S. 0:0(0) ack 1 win 5840 <mss 1460,nop,nop,sackOK,nop,wscale 7>
+0 > . 1:1(0) ack 1
+0 write(3, ..., 100) = 100
+0 > P. 1:101(100) ack 1
`;
  const ok = run(script('0.1'));
  assert.equal(ok.error, undefined);
  assert.equal(ok.status, 'pass');
  // The toy chose port 50123 for the active open; the runner learned it from the SYN.
  const synack = ok.host.injected[0]!;
  assert.ok(synack.protocol === 'tcp');
  assert.deepEqual([synack.segment.dstPort, synack.segment.srcPort, synack.segment.ack], [50123, 8080, (0xfffff000 + 1) % 2 ** 32]);
  const wrong = run(script('0.3'));
  assert.equal(wrong.error, 't.pkt:2: timing error: expected system call return at 0.300000 sec but happened at 0.100000 sec; tolerance 0.037500 sec');
});

test('a call that blocks without ...END in the script is an error', () => {
  const r = run('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 connect(3, ..., ...) = 0\n');
  assert.equal(r.error, 't.pkt:2: runtime error in connect call: the call blocked, but the script expects it to return at once (write +D...END for a blocking call)');
});

test('syscall results: wrong return value, wrong errno, out-parameter mismatch', () => {
  assert.equal(run('0 shutdown(3, SHUT_WR) = 0\n').error, 't.pkt:1: runtime error in shutdown call: Expected result 0 but got -1 with errno EINVAL');
  assert.equal(run('0 shutdown(3, SHUT_WR) = -1 EPERM (Operation not permitted)\n').error, 't.pkt:1: runtime error in shutdown call: Expected errno EPERM but got EINVAL');
  assert.equal(run('0 shutdown(3, SHUT_WR) = -1 EINVAL (Invalid argument)\n').status, 'pass');
  assert.equal(
    run('0 getsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], [4]) = 0\n').error,
    't.pkt:1: runtime error in getsockopt call: Bad getsockopt value: expected 1 but got 0',
  );
  // fd-returning calls: the host is told which fd the script wants.
  const r = run('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 7\n');
  assert.equal(r.status, 'pass');
  assert.equal(r.host.calls[0]!.result.kind === 'int' && r.host.calls[0]!.result.value, 7);
});

test('TSO: segments of 1000 bytes aggregate into a scripted 3000-byte burst unless --strict_segments', () => {
  const s = PASSIVE + '+0 write(4, ..., 3000) = 3000\n+0 > P. 1:3001(3000) ack 1\n';
  assert.equal(run(s).status, 'pass');
  assert.equal(run(s, {}, { strict_segments: '' }).error, 't.pkt:10: error handling packet: live packet payload: expected 3000 bytes vs actual 1000 bytes');
  // A scripted length shorter than the live segment never aggregates.
  assert.equal(run(PASSIVE + '+0 write(4, ..., 1000) = 1000\n+0 > P. 1:501(500) ack 1\n').error, 't.pkt:10: error handling packet: live packet payload: expected 500 bytes vs actual 1000 bytes');
});

test('--non_fatal=packet turns packet mismatches into warnings', () => {
  const r = run(PASSIVE.replace('ack 1 <mss', 'ack 9 <mss'), {}, { non_fatal: 'packet' });
  assert.equal(r.status, 'pass');
  assert.deepEqual(r.warnings, ['t.pkt:6: warning handling packet: live packet field tcp_ack_seq: expected: 9 vs actual: 1']);
});

test('first event at a time other than 0, and absolute times going backwards', () => {
  assert.equal(run('0.5 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n').error, 't.pkt:1: first event should be at time 0');
  assert.equal(run('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n0.5 close(3) = 0\n0.2 close(3) = 0\n').error, 't.pkt:3: time goes backward in script from 500000 usec to 200000 usec');
});

test('shell lines and %{ }% blocks are skipped and listed when the host cannot run them', () => {
  const r = run('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 `sysctl -q net.ipv4.tcp_sack=0`\n+0 %{ assert tcpi_snd_cwnd == 10 }%\n');
  assert.equal(r.status, 'pass');
  assert.deepEqual(r.skipped, [
    { line: 2, what: 'shell command `sysctl -q net.ipv4.tcp_sack=0`' },
    { line: 3, what: '%{ }% block (not evaluated)' },
  ]);
});

test('scripts with fatal gaps are refused as unsupported, with every reason', () => {
  const r = run('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 setsockopt(3, SOL_TCP, TCP_FASTOPEN, [1], 4) = 0\n+0 epoll_create(1) = 4\n');
  assert.equal(r.status, 'unsupported');
  assert.equal(r.error, 't.pkt:2: unsupported: socket option IPPROTO_TCP:TCP_FASTOPEN\nt.pkt:3: unsupported: syscall epoll_create');
  assert.equal(r.host.calls.length, 0);
});

test('packets for other connections are ignored when sniffing', () => {
  const host = new ToyHost();
  const origPoll = host.pollOutbound.bind(host);
  let injectedStray = false;
  host.pollOutbound = () => {
    if (!injectedStray && host.time === 0) {
      injectedStray = true;
      return {
        protocol: 'tcp',
        time: 0,
        ip: { family: 4, src: '192.168.0.1', dst: '192.0.2.1', tos: 0, ttl: 64 },
        segment: { srcPort: 9999, dstPort: 1, seq: 5, ack: 0, flags: 4, window: 0, urgent: 0, options: [], payload: new Uint8Array(0) },
      };
    }
    return origPoll();
  };
  const r = run(PASSIVE, host);
  assert.equal(r.error, undefined);
  assert.equal(r.status, 'pass');
});

test('a host that throws is reported against the running event, not thrown', () => {
  const host = new ToyHost();
  host.inject = () => {
    throw new Error('boom');
  };
  const r = run(PASSIVE, host);
  assert.equal(r.status, 'fail');
  assert.equal(r.error, 't.pkt:5: internal error in the host: boom');
});
