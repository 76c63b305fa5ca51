// Explicit Congestion Notification (RFC 3168) between two stacks: the
// handshake that turns it on, ECT(0) on new data only, a link that marks
// CE instead of dropping (a step-threshold AQM in the simulator), ECE
// echoed until CWR, and the sender's window halved once per window with no
// packet lost.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePair, B4 } from './helpers.js';
import { LINUX_PROFILE, type TcpConfig } from '../../src/tcp/config.js';
import { parseAddress } from '../../src/stack/addr.js';
import type { TcpEndpoint } from '../../src/stack/tcp-endpoint.js';
import { parseIpv4 } from '../../src/wire/ipv4.js';
import { parseTcp } from '../../src/wire/tcp.js';
import { CWR, ECE, SYN, ACK } from '../../src/wire/tcp-types.js';
import type { LinkOptions } from '../../src/sim/link.js';

interface Seen {
  flags: number;
  ecn: number;
  len: number;
  seq: number;
}

function run(client: TcpConfig['ecn'], server: TcpConfig['ecn'], link: LinkOptions, bytes: number) {
  // The stacks' configuration is the server's; the client overrides ecn on connect.
  const p = makePair({ ab: link, ba: { delay: link.delay ?? 0 }, stack: { tcp: { ...LINUX_PROFILE, ecn: server, rcvBuf: 4 << 20, sndBuf: 4 << 20 } } });
  const l = p.b.tcpListen({ port: 9 });
  let received = 0;
  let receiver: TcpEndpoint | undefined;
  l.onConnection = (ep) => {
    receiver = ep;
    ep.handler = (ev) => {
      if (ev.type === 'readable') for (let d = ep.read(); d !== null; d = ep.read()) received += d.length;
    };
  };
  const ab: Seen[] = [];
  const ba: Seen[] = [];
  const watch = (out: Seen[]) => (e: { kind: string; packet: Uint8Array }) => {
    if (e.kind !== 'send') return;
    const ip = parseIpv4(e.packet);
    if (!ip.ok) return;
    const t = parseTcp(ip.value.payload);
    if (t.ok) out.push({ flags: t.value.flags, ecn: ip.value.ecn, len: t.value.payload.length, seq: t.value.seq });
  };
  p.link.a.tx.watch(watch(ab));
  p.link.b.tx.watch(watch(ba));
  const sender = p.a.tcpConnect({ remoteAddr: parseAddress(B4)!, remotePort: 9, config: { ecn: client } });
  const data = new Uint8Array(bytes);
  let sent = 0;
  sender.handler = (ev) => {
    if (ev.type === 'established' || ev.type === 'writable') sent += sender.send(data.subarray(sent));
  };
  for (let t = 0; t < 30_000 && received < bytes; t++) p.clock.runFor(1000);
  return { p, sender, receiver: receiver!, received, ab, ba };
}

test('ECN negotiation (RFC 3168 §6.1.1): on asks with ECE+CWR, accept answers with ECE; without both ends willing, no ECN', () => {
  for (const [client, server, want] of [
    ['on', 'accept', true],
    ['on', 'on', true],
    ['on', 'off', false],
    ['accept', 'on', false],
    ['off', 'on', false],
  ] as const) {
    const r = run(client, server, { delay: 1000 }, 20_000);
    assert.equal(r.received, 20_000);
    const syn = r.ab.find((s) => (s.flags & (SYN | ACK)) === SYN)!;
    const synAck = r.ba.find((s) => (s.flags & (SYN | ACK)) === (SYN | ACK))!;
    assert.equal(syn.flags & (ECE | CWR), client === 'on' ? ECE | CWR : 0, `${client}/${server}: SYN`);
    assert.equal(synAck.flags & (ECE | CWR), client === 'on' && server !== 'off' ? ECE : 0, `${client}/${server}: SYN-ACK`);
    // With ECN every new data segment is ECT(0); SYNs and pure ACKs never are.
    const data = r.ab.filter((s) => s.len > 0);
    assert.ok(data.length > 0);
    assert.ok(data.every((s) => s.ecn === (want ? 2 : 0)), `${client}/${server}: data codepoints ${[...new Set(data.map((s) => s.ecn))].join(',')}`);
    assert.ok(r.ab.filter((s) => s.len === 0).every((s) => s.ecn === 0));
    assert.ok(r.ba.every((s) => s.ecn === 0), 'the receiver sent no data, so nothing ECN-capable');
  }
});

test('ECN at work: a marking bottleneck instead of a dropping one; ECE until CWR; the window halves without a single loss', () => {
  // 20 Mbit/s, 10 ms RTT; marks CE from 20 queued packets on, drops only beyond 1000.
  const link: LinkOptions = { delay: 5000, bandwidth: 20e6, queueLimit: 1000, ecnThreshold: 20 };
  const r = run('on', 'accept', link, 4 << 20);
  assert.equal(r.received, 4 << 20);
  assert.ok(r.p.link.a.tx.stats.ecnMarked > 0, 'the link marked packets');
  assert.equal(r.p.link.a.tx.stats.dropped.queue, 0);
  assert.equal(r.sender.conn.stats.retransmits, 0, 'no loss, no retransmission');
  assert.ok(r.sender.conn.stats.ecnReductions > 0, 'the sender reduced on ECE');
  // The receiver echoed ECE; the sender answered with CWR on new data.
  const ece = r.ba.filter((s) => (s.flags & ECE) !== 0 && (s.flags & SYN) === 0);
  const cwr = r.ab.filter((s) => (s.flags & CWR) !== 0 && (s.flags & SYN) === 0);
  assert.ok(ece.length > 0 && cwr.length > 0);
  assert.ok(cwr.every((s) => s.len > 0 && s.ecn === 2), 'CWR rides on new, ECN-capable data');
  // One reduction per window at most: fewer reductions than ECE-carrying ACKs.
  assert.ok(r.sender.conn.stats.ecnReductions < ece.length, `${r.sender.conn.stats.ecnReductions} reductions for ${ece.length} ECE ACKs`);
  // Without ECN the same path is a dropping one once the queue fills: compare a tail-drop queue of 20.
  const dropping = run('off', 'accept', { delay: 5000, bandwidth: 20e6, queueLimit: 20 }, 4 << 20);
  assert.equal(dropping.received, 4 << 20);
  assert.ok(dropping.sender.conn.stats.retransmits > 0, 'tail drop loses packets');
});
