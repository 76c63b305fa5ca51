// Receive offload (Stack.continueRun) against the full receive path, with
// crafted batches. A connection is set up and made quiet; then a batch of
// segments "from the peer" arrives at once: the next data in order, and
// after it segments like it with one field changed or not (the ACK, the
// window, the timestamp, ECN CE, a flag, the sequence number, the options,
// the length). The stack answers the batch twice, once as it runs (header
// prediction, and receive offload for the segments that continue a run)
// and once with header prediction off (every segment parsed and processed
// whole); it must send the same packets, deliver the same bytes and end in
// the same state.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { makePair, A6, B4, B6 } from './helpers.js';
import { LINUX_PROFILE } from '../../src/tcp/config.js';
import { parseAddress } from '../../src/stack/addr.js';
import { setHeaderPrediction, type TcpConnection } from '../../src/tcp/connection.js';
import type { TcpEndpoint } from '../../src/stack/tcp-endpoint.js';
import { emitIpv4 } from '../../src/wire/ipv4.js';
import { emitIpv6 } from '../../src/wire/ipv6.js';
import { emitTcp, tcpHeaderLength } from '../../src/wire/tcp.js';
import { ACK, FIN, PSH, URG, type Segment, type TcpOption } from '../../src/wire/tcp-types.js';
import { pattern } from '../tcp/harness.js';

type Change = 'none' | 'ackAll' | 'ackBeyond' | 'window' | 'tsval' | 'noTs' | 'ce' | 'fin' | 'psh' | 'urg' | 'gap' | 'sack' | 'short';

interface Piece {
  change: Change;
  len: number;
}

const piece: fc.Arbitrary<Piece> = fc.record({
  change: fc.oneof(
    { weight: 6, arbitrary: fc.constant<Change>('none') },
    { weight: 1, arbitrary: fc.constantFrom<Change>('ackAll', 'ackBeyond', 'window', 'tsval', 'noTs', 'ce', 'fin', 'psh', 'urg', 'gap', 'sack', 'short') },
  ),
  len: fc.constantFrom(1448, 1448, 1448, 100, 1),
});

interface Outcome {
  /** Segments taken by receive offload (not compared: the point of the one run). */
  coalesced: number;
  wire: string;
  received: number[];
  state: unknown;
}

/** The field of a connection a comparison reads (both runs are the same class). */
function field(c: TcpConnection, name: string): unknown {
  return (c as unknown as Record<string, unknown>)[name];
}

interface Setup {
  bBytes: number;
  /** ECN negotiated (so that CE on a segment matters). */
  ecn: boolean;
  /** Keepalive on at B (each segment re-arms its timer). */
  keepalive: boolean;
  /** Over IPv6 (whose addresses the run compares byte by byte). */
  v6: boolean;
}

const setup: fc.Arbitrary<Setup> = fc.record({ bBytes: fc.constantFrom(0, 0, 5000), ecn: fc.boolean(), keepalive: fc.boolean(), v6: fc.boolean() });

function play(pieces: Piece[], o: Setup, prediction: boolean): Outcome {
  setHeaderPrediction(prediction);
  try {
    const p = makePair({ seed: 4, ab: { batch: true, delay: 1000 }, ba: { batch: true, delay: 1000 }, stack: { tcp: { ...LINUX_PROFILE, rcvBuf: 1 << 20, sndBuf: 1 << 20, ecn: o.ecn ? 'on' : 'off' } } });
    let server: TcpEndpoint | undefined;
    const received: number[] = [];
    p.b.tcpListen({ port: 9 }).onConnection = (ep) => {
      server = ep;
      ep.handler = (ev) => {
        if (ev.type === 'readable') for (let d = ep.read(); d !== null; d = ep.read()) received.push(...d.subarray(0, 4), d.length);
      };
      if (o.bBytes > 0) ep.send(pattern(o.bBytes, 2));
      if (o.keepalive) ep.setKeepAlive(true, 500);
    };
    const a = p.a.tcpConnect({ remoteAddr: parseAddress(o.v6 ? B6 : B4)!, remotePort: 9 });
    a.handler = (ev) => {
      if (ev.type === 'established') a.send(pattern(3000, 1));
      if (ev.type === 'readable') while (a.read() !== null);
    };
    p.clock.runUntil(2e6);
    assert.ok(server !== undefined, 'connected');
    const b = server.conn;
    const ac = a.conn;
    // From now on A is silent (its interface goes) and the batch speaks for it.
    p.a.removeInterface('eth0');
    const wire = createHash('sha256');
    p.link.ba.watch((e) => {
      if (e.kind !== 'send') return;
      wire.update(`${e.time} `);
      wire.update(e.packet);
    });
    let seq = ac.sndNxt;
    const tsRecent = field(b, 'tsRecent') as number;
    const window = Math.floor(b.sndWnd / 2 ** b.negotiated.sndWscale);
    const src = o.v6 ? parseAddress(A6)! : Uint8Array.of(10, 0, 0, 1);
    const dst = o.v6 ? parseAddress(B6)! : Uint8Array.of(10, 0, 0, 2);
    const ipLength = o.v6 ? 40 : 20;
    for (const pc of pieces) {
      const c = pc.change;
      const options: TcpOption[] = c === 'noTs' ? [] : [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', val: (tsRecent + (c === 'tsval' ? 1 : 0)) >>> 0, ecr: 0 }];
      if (c === 'sack') options.push({ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks: [{ left: (b.sndNxt - 10) >>> 0, right: b.sndNxt }] });
      // A full-sized segment fills the MTU: 1448 bytes over IPv4, 1428 over IPv6.
      const len = c === 'short' ? 7 : pc.len === 1448 && o.v6 ? 1428 : pc.len;
      if (c === 'gap') seq = (seq + 100) >>> 0;
      const seg: Segment = {
        srcPort: a.address().port,
        dstPort: 9,
        seq,
        ack: (c === 'ackAll' ? b.sndNxt : c === 'ackBeyond' ? b.sndNxt + 1 : b.sndUna) >>> 0,
        flags: ACK | (c === 'fin' ? FIN : 0) | (c === 'psh' ? PSH : 0) | (c === 'urg' ? URG : 0),
        window: c === 'window' ? window - 1 : window,
        urgent: c === 'urg' ? 1 : 0,
        options,
        payload: pattern(len, seq & 0xff),
        ecn: c === 'ce' ? 3 : 0,
      };
      const tcpLen = tcpHeaderLength(options) + len;
      const packet = new Uint8Array(ipLength + tcpLen);
      emitTcp(seg, src, dst, packet, ipLength);
      if (o.v6) emitIpv6({ trafficClass: seg.ecn ?? 0, nextHeader: 6, hopLimit: 64, src, dst }, tcpLen, packet, 0);
      else emitIpv4({ ttl: 64, protocol: 6, src, dst, ecn: seg.ecn ?? 0, flags: { DF: true } }, tcpLen, packet, 0);
      // All at the same instant: one batch at the other end.
      p.link.ab.send(packet);
      seq = (seq + len) >>> 0;
    }
    p.clock.runUntil(p.clock.now() + 3e6);
    const { predictedIn: _, ...stats } = b.stats;
    const state = {
      state: b.state,
      rcvNxt: b.rcvNxt,
      rcvWnd: b.rcvWnd,
      sndUna: b.sndUna,
      sndNxt: b.sndNxt,
      sndWnd: b.sndWnd,
      deadline: b.nextDeadline(),
      stats,
      tsRecent: field(b, 'tsRecent'),
      sndWl1: field(b, 'sndWl1'),
      sndWl2: field(b, 'sndWl2'),
      tcpIn: p.b.stats.tcpIn,
    };
    return { coalesced: p.b.stats.tcpInCoalesced, wire: wire.digest('hex'), received, state };
  } finally {
    setHeaderPrediction(true);
  }
}

test('a batch answered with receive offload is answered as the full path answers it', () => {
  const coalesced = { v4: 0, v6: 0 };
  fc.assert(
    fc.property(fc.array(piece, { minLength: 2, maxLength: 12 }), setup, (pieces, o) => {
      const fast = play(pieces, o, true);
      const slow = play(pieces, o, false);
      assert.deepEqual(fast.state, slow.state);
      assert.deepEqual(fast.received, slow.received);
      assert.equal(fast.wire, slow.wire);
      assert.equal(slow.coalesced, 0);
      coalesced[o.v6 ? 'v6' : 'v4'] += fast.coalesced;
    }),
    { numRuns: 150 },
  );
  // Most batches begin with runs of unchanged segments: offload took many.
  assert.ok(coalesced.v4 > 60 && coalesced.v6 > 60, `segments taken by receive offload: ${coalesced.v4} (IPv4), ${coalesced.v6} (IPv6)`);
});

for (const v6 of [false, true]) {
  test(`a segment from another address with the run's very header is not taken into the run (IPv${v6 ? 6 : 4})`, () => {
    const p = makePair({ seed: 4, ab: { batch: true, delay: 1000 }, ba: { batch: true, delay: 1000 } });
    let server: TcpEndpoint | undefined;
    const received: number[] = [];
    p.b.tcpListen({ port: 9 }).onConnection = (ep) => {
      server = ep;
      ep.handler = (ev) => {
        if (ev.type === 'readable') for (let d = ep.read(); d !== null; d = ep.read()) received.push(...d);
      };
    };
    const a = p.a.tcpConnect({ remoteAddr: parseAddress(v6 ? B6 : B4)!, remotePort: 9 });
    p.clock.runUntil(1e6);
    assert.ok(server !== undefined, 'connected');
    const b = server.conn;
    p.a.removeInterface('eth0');
    const tsRecent = field(b, 'tsRecent') as number;
    const window = Math.floor(b.sndWnd / 2 ** b.negotiated.sndWscale);
    const dst = v6 ? parseAddress(B6)! : Uint8Array.of(10, 0, 0, 2);
    const packet = (src: Uint8Array, seq: number, payload: Uint8Array): Uint8Array => {
      const len = payload.length;
      const seg: Segment = { srcPort: a.address().port, dstPort: 9, seq, ack: b.sndUna, flags: ACK, window, urgent: 0, options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', val: tsRecent, ecr: 0 }], payload, ecn: 0 };
      const ip = v6 ? 40 : 20;
      const out = new Uint8Array(ip + 32 + len);
      emitTcp(seg, src, dst, out, ip);
      if (v6) emitIpv6({ nextHeader: 6, hopLimit: 64, src, dst }, 32 + len, out, 0);
      else emitIpv4({ ttl: 64, protocol: 6, src, dst, flags: { DF: true } }, 32 + len, out, 0);
      return out;
    };
    const peer = v6 ? parseAddress(A6)! : Uint8Array.of(10, 0, 0, 1);
    const stranger = v6 ? parseAddress('fd00::66')! : Uint8Array.of(10, 0, 0, 66);
    const seq = a.conn.sndNxt;
    const before = b.stats.segmentsIn;
    const data = pattern(1000, 1);
    // One batch: the peer's next segment, then one from elsewhere with the
    // header that would continue it (other bytes), then the peer's own.
    p.link.ab.send(packet(peer, seq, data.subarray(0, 500)));
    p.link.ab.send(packet(stranger, (seq + 500) >>> 0, pattern(500, 200)));
    p.link.ab.send(packet(peer, (seq + 500) >>> 0, data.subarray(500)));
    p.clock.runUntil(p.clock.now() + 100_000);
    assert.deepEqual(received, [...data], "the peer's bytes, none of the stranger's");
    assert.equal(b.stats.segmentsIn, before + 2, "the peer's two segments");
    // The stranger's segment ended the run: the peer's next one took the full path.
    assert.equal(p.b.stats.tcpInCoalesced, 0);
  });
}
