// A TCP super-segment taken whole (NetDevice.takesSuperSegments: a TUN
// with segmentation offload hands the kernel's over, as GRO hands Linux's
// TCP what it merged) must leave the connection as the segments it stands
// for would: the same bytes for the application, the same ACK on the wire,
// the same state. An established connection is made quiet, then B's device
// delivers, in one batch, either super-segments or the same data cut into
// segments (cutSuperSegment), in both IP versions and several sizes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { makePair, A6, B4, B6 } from './helpers.js';
import { LINUX_PROFILE } from '../../src/tcp/config.js';
import { parseAddress } from '../../src/stack/addr.js';
import type { TcpEndpoint } from '../../src/stack/tcp-endpoint.js';
import { cutSuperSegment } from '../../src/wire/gso.js';
import { emitIpv4 } from '../../src/wire/ipv4.js';
import { emitIpv6 } from '../../src/wire/ipv6.js';
import { Slab } from '../../src/wire/slab.js';
import { emitTcp, tcpHeaderLength } from '../../src/wire/tcp.js';
import { ACK, PSH, type Segment, type TcpOption } from '../../src/wire/tcp-types.js';
import { pattern } from '../tcp/harness.js';

interface Outcome {
  received: string;
  wire: string[];
  rcvNxt: number;
  rcvWnd: number;
  bytesIn: number;
}

/** B receives `supers` super-segments of `pieces` full-sized segments each, whole or cut. */
function play(v6: boolean, pieces: number, supers: number, whole: boolean): Outcome {
  const p = makePair({ seed: 3, ab: { batch: true, delay: 1000 }, ba: { batch: true, delay: 1000 }, stack: { tcp: { ...LINUX_PROFILE, rcvBuf: 4 << 20, sndBuf: 1 << 20 } } });
  let server: TcpEndpoint | undefined;
  let hash = createHash('sha256');
  p.b.tcpListen({ port: 9 }).onConnection = (ep) => {
    server = ep;
    ep.handler = (ev) => {
      if (ev.type === 'readable') for (let d = ep.read(); d !== null; d = ep.read()) hash.update(d);
    };
  };
  const a = p.a.tcpConnect({ remoteAddr: parseAddress(v6 ? B6 : B4)!, remotePort: 9 });
  // 1 MB first, the ordinary way, so that B's window has opened past what
  // the super-segments below carry.
  a.handler = (ev) => {
    if (ev.type === 'established') a.send(pattern(1 << 20, 9));
  };
  p.clock.runUntil(3e6);
  assert.ok(server !== undefined, 'connected');
  const b = server.conn;
  assert.equal(b.stats.bytesIn, 1 << 20);
  const bytesBefore = b.stats.bytesIn;
  hash = createHash('sha256');
  const seq0 = a.conn.sndNxt;
  assert.ok(b.rcvWnd >= pieces * (v6 ? 1428 : 1448) * supers, `B's window ${b.rcvWnd} holds what follows`);
  // From now on A is silent and B's device speaks for it.
  p.a.removeInterface('eth0');
  const wire: string[] = [];
  p.link.ba.watch(
    (e) => {
      if (e.kind === 'send') wire.push(`${e.time} ${Buffer.from(e.packet).toString('hex')}`);
    },
    { keepsPackets: false },
  );
  const tsRecent = (b as unknown as { tsRecent: number }).tsRecent;
  const window = Math.floor(b.sndWnd / 2 ** b.negotiated.sndWscale);
  const src = v6 ? parseAddress(A6)! : Uint8Array.of(10, 0, 0, 1);
  const dst = v6 ? parseAddress(B6)! : Uint8Array.of(10, 0, 0, 2);
  const l3 = v6 ? 40 : 20;
  const mss = v6 ? 1428 : 1448;
  const options: TcpOption[] = [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', val: tsRecent, ecr: 0 }];
  const slab = new Slab(1 << 16, 16_384);
  const dev = p.link.b;
  let seq = seq0;
  for (let s = 0; s < supers; s++) {
    const payload = pattern(pieces * mss, (s + 1) & 0xff);
    const seg: Segment = { srcPort: a.address().port, dstPort: 9, seq, ack: b.sndUna, flags: ACK | (s === supers - 1 ? PSH : 0), window, urgent: 0, options, payload };
    const tcpLen = tcpHeaderLength(options) + payload.length;
    const packet = new Uint8Array(l3 + tcpLen);
    emitTcp(seg, src, dst, packet, l3);
    if (v6) emitIpv6({ nextHeader: 6, hopLimit: 64, src, dst }, tcpLen, packet, 0);
    else emitIpv4({ ttl: 64, protocol: 6, src, dst, identification: s * 100, flags: { DF: true } }, tcpLen, packet, 0);
    // One device batch, as one read of a TUN.
    if (whole) dev.onReceive!(packet, true);
    else cutSuperSegment(packet, mss, slab, (segment) => dev.onReceive!(segment, true));
    seq = (seq + payload.length) >>> 0;
  }
  dev.onReceiveBatchEnd!();
  p.clock.runUntil(p.clock.now() + 1e6);
  return { received: hash.digest('hex'), wire, rcvNxt: b.rcvNxt, rcvWnd: b.rcvWnd, bytesIn: b.stats.bytesIn - bytesBefore };
}

for (const v6 of [false, true]) {
  for (const [pieces, supers] of [
    [45, 1],
    [45, 3],
    [12, 5],
    [2, 1],
  ] as const) {
    test(`super-segments taken whole leave the connection as their segments do: IPv${v6 ? 6 : 4}, ${supers} of ${pieces} segments`, () => {
      const whole = play(v6, pieces, supers, true);
      const cut = play(v6, pieces, supers, false);
      const mss = v6 ? 1428 : 1448;
      const want = createHash('sha256');
      for (let s = 0; s < supers; s++) want.update(pattern(pieces * mss, (s + 1) & 0xff));
      assert.equal(whole.received, want.digest('hex'), 'every byte, in order');
      assert.equal(cut.received, whole.received);
      assert.equal(whole.bytesIn, pieces * mss * supers);
      assert.equal(whole.rcvNxt, cut.rcvNxt);
      assert.equal(whole.rcvWnd, cut.rcvWnd);
      assert.ok(whole.wire.length > 0, 'B acknowledged');
      assert.deepEqual(whole.wire, cut.wire, 'the same ACKs at the same instants');
    });
  }
}
