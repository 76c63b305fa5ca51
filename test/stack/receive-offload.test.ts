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
import { makePair, B4 } from './helpers.js';
import { LINUX_PROFILE } from '../../src/tcp/config.js';
import { parseAddress } from '../../src/stack/addr.js';
import { setHeaderPrediction, type TcpConnection } from '../../src/tcp/connection.js';
import type { TcpEndpoint } from '../../src/stack/tcp-endpoint.js';
import { emitIpv4 } from '../../src/wire/ipv4.js';
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
}

const setup: fc.Arbitrary<Setup> = fc.record({ bBytes: fc.constantFrom(0, 0, 5000), ecn: fc.boolean(), keepalive: fc.boolean() });

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
    const a = p.a.tcpConnect({ remoteAddr: parseAddress(B4)!, remotePort: 9 });
    a.handler = (ev) => {
      if (ev.type === 'established') a.send(pattern(3000, 1));
      if (ev.type === 'readable') while (a.read() !== null);
    };
    p.clock.runUntil(2e6);
    assert.ok(server !== undefined);
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
    const src = Uint8Array.of(10, 0, 0, 1);
    const dst = Uint8Array.of(10, 0, 0, 2);
    for (const pc of pieces) {
      const c = pc.change;
      const options: TcpOption[] = c === 'noTs' ? [] : [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', val: (tsRecent + (c === 'tsval' ? 1 : 0)) >>> 0, ecr: 0 }];
      if (c === 'sack') options.push({ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks: [{ left: (b.sndNxt - 10) >>> 0, right: b.sndNxt }] });
      const len = c === 'short' ? 7 : pc.len;
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
      const packet = new Uint8Array(20 + tcpLen);
      emitTcp(seg, src, dst, packet, 20);
      emitIpv4({ ttl: 64, protocol: 6, src, dst, ecn: seg.ecn ?? 0, flags: { DF: true } }, tcpLen, packet, 0);
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
  let coalesced = 0;
  fc.assert(
    fc.property(fc.array(piece, { minLength: 2, maxLength: 12 }), setup, (pieces, o) => {
      const fast = play(pieces, o, true);
      const slow = play(pieces, o, false);
      assert.deepEqual(fast.state, slow.state);
      assert.deepEqual(fast.received, slow.received);
      assert.equal(fast.wire, slow.wire);
      assert.equal(slow.coalesced, 0);
      coalesced += fast.coalesced;
    }),
    { numRuns: 150 },
  );
  // Most batches begin with runs of unchanged segments: offload took many.
  assert.ok(coalesced > 150, `${coalesced} segments taken by receive offload`);
});
