// The named scenarios: every behaviour of TCP connection management and of
// the four timers, played by two real stacks over a simulated link, with a
// verdict that checks the behaviour the RFCs call for.

import { emitIpv4 } from '../../wire/ipv4.js';
import { emitTcp, tcpHeaderLength } from '../../wire/tcp.js';
import { ACK, SYN, type Segment } from '../../wire/tcp-types.js';
import type { ProfileName, TcpConfig } from '../../tcp/config.js';
import { parseAddress } from '../../stack/addr.js';
import { flagText, isPureAck, segmentsOf, type SeenSegment } from './segments.js';
import type { Side } from './timeline.js';
import { ADDRESS, World, type Conn, type WorldOptions } from './world.js';

const S = 1_000_000;
const PORT = 9000;

export interface Outcome {
  ok: boolean;
  verdict: string;
}

export interface Scenario {
  name: string;
  /** One line: what it shows. */
  title: string;
  /** The profile it is meant for when none is asked for. */
  profile?: ProfileName;
  world?: WorldOptions;
  /** Play the scenario (set up, run the clock) and judge it. */
  play(w: World): Outcome;
}

const enc = new TextEncoder();

/** Seconds, without trailing zeros: 1.5, 63, 0.23. */
export function secs(us: number): string {
  return String(Math.round(us / 1000) / 1000);
}

/** B listens on PORT and A connects to it: the opening of most scenarios. Returns A's side. */
function clientOf(w: World): Conn {
  w.listen('B', PORT);
  return w.connect('A', PORT);
}

function judge(checks: [boolean, string][], good: string): Outcome {
  const failed = checks.filter(([ok]) => !ok).map(([, what]) => what);
  return failed.length === 0 ? { ok: true, verdict: good } : { ok: false, verdict: `UNEXPECTED: ${failed.join('; ')}` };
}

function from(w: World, side: Side): SeenSegment[] {
  return segmentsOf(w.timeline).filter((s) => s.from === side);
}

function withFlags(list: SeenSegment[], flags: string): SeenSegment[] {
  return list.filter((s) => flagText(s.seg.flags) === flags);
}

/** Gaps between successive send times, from the first. */
function offsets(list: SeenSegment[]): number[] {
  return list.map((s) => s.t - list[0]!.t);
}

function sameTimes(got: number[], want: number[], tolerance = 1000): boolean {
  return got.length === want.length && got.every((g, i) => Math.abs(g - want[i]!) <= tolerance);
}

/**
 * The retransmission ladder of a handshake segment: send offsets from the
 * first transmission (initial RTO doubling, capped at rtoMax) and when the
 * sender gives up, `retries` retransmissions later.
 */
export function handshakeLadder(cfg: TcpConfig, retries: number): { sends: number[]; giveUp: number } {
  const sends: number[] = [];
  let t = 0;
  let rto = cfg.rtoInitial;
  for (let i = 0; i <= retries; i++) {
    sends.push(t);
    t += rto;
    rto = Math.min(rto * 2, cfg.rtoMax);
  }
  return { sends, giveUp: t };
}

function list(us: number[]): string {
  return us.map(secs).join(', ');
}

const handshake: Scenario = {
  name: 'handshake',
  title: 'the three-way handshake, a request and its answer',
  play(w) {
    const a = clientOf(w);
    w.at(100_000, () => a.ep.send(enc.encode('hello')));
    w.runUntil(S);
    const b = w.accepted.B[0];
    const segs = segmentsOf(w.timeline);
    return judge(
      [
        [segs.length >= 3 && flagText(segs[0]!.seg.flags) === 'S' && flagText(segs[1]!.seg.flags) === 'S.' && flagText(segs[2]!.seg.flags) === '.', 'SYN, SYN-ACK, ACK'],
        [b !== undefined && b.text() === 'hello', 'B received the data'],
        [a.ep.state === 'ESTABLISHED' && b?.ep.state === 'ESTABLISHED', 'both ESTABLISHED'],
      ],
      'SYN, SYN-ACK, ACK: both sides ESTABLISHED after one round trip and a half; the data arrived',
    );
  },
};

const dataOnThirdAck: Scenario = {
  name: 'data-on-third-ack',
  title: 'data queued before the handshake completes rides on the third segment',
  play(w) {
    const a = clientOf(w);
    a.ep.send(enc.encode('GET / HTTP/1.0\r\n\r\n'));
    w.runUntil(S);
    const third = segmentsOf(w.timeline)[2];
    const b = w.accepted.B[0];
    return judge(
      [
        [third !== undefined && flagText(third.seg.flags) === 'P.' && third.seg.payload.length === 18, 'the third segment carries ACK and the 18 bytes'],
        [b?.text() === 'GET / HTTP/1.0\r\n\r\n', 'B delivered the data'],
      ],
      'the third segment carried both the ACK and the data; B completed its handshake and delivered the bytes',
    );
  },
};

const simultaneousOpen: Scenario = {
  name: 'simultaneous-open',
  title: 'both sides connect at once (RFC 9293 §3.5, Figure 8): one connection',
  play(w) {
    const a = w.connect('A', 7000, 6000);
    const b = w.connect('B', 6000, 7000);
    w.at(200_000, () => a.ep.send(enc.encode('from A')));
    w.at(200_000, () => b.ep.send(enc.encode('from B')));
    w.runUntil(S);
    const statesA: string[] = w.timeline.states('A').map((s) => s.to);
    const statesB: string[] = w.timeline.states('B').map((s) => s.to);
    const path = ['SYN_SENT', 'SYN_RECEIVED', 'ESTABLISHED'];
    return judge(
      [
        [path.every((p, i) => statesA[i] === p), `A went ${statesA.join(' → ')}`],
        [path.every((p, i) => statesB[i] === p), `B went ${statesB.join(' → ')}`],
        [w.stack('A').connectionCount === 1 && w.stack('B').connectionCount === 1, 'exactly one connection each'],
        [a.text() === 'from B' && b.text() === 'from A', 'data both ways'],
      ],
      'SYNs crossed; each side went SYN_SENT → SYN_RECEIVED → ESTABLISHED; one connection, data flows both ways',
    );
  },
};

/** An IPv4+TCP packet from A's address to B's, as an old incarnation would have sent it. */
function packetFromA(seg: Segment): Uint8Array {
  return packetFrom(ADDRESS.A, seg);
}

/** An IPv4+TCP packet from `source` (perhaps spoofed) to B's address. */
function packetFrom(source: string, seg: Segment): Uint8Array {
  const src = parseAddress(source)!;
  const dst = parseAddress(ADDRESS.B)!;
  const tcpLen = tcpHeaderLength(seg.options) + seg.payload.length;
  const out = new Uint8Array(20 + tcpLen);
  emitIpv4({ src, dst, protocol: 6, ttl: 64, identification: 0, flags: { DF: true } }, tcpLen, out, 0);
  emitTcp(seg, src, dst, out, 20);
  return out;
}

const oldDuplicateSyn: Scenario = {
  name: 'old-duplicate-syn',
  title: 'an old duplicate SYN reaches the server first (RFC 9293 §3.5, Figure 9)',
  play(w) {
    w.listen('B', PORT);
    // A's real SYN is held up in the network; an old SYN from an earlier
    // incarnation of the same connection (same ports, older sequence number) overtakes it.
    w.pair.ab.delay(1, 50_000);
    const a = w.connect('A', PORT, 40000);
    w.note('an old duplicate SYN from an earlier incarnation of 10.0.0.1.40000 is on its way', 'A');
    // Ten below the real ISN, as in the RFC's figure (90 against 100).
    const oldIsn = (a.ep.conn.iss - 10) >>> 0;
    w.pair.ab.send(packetFromA({ srcPort: 40000, dstPort: PORT, seq: oldIsn, ack: 0, flags: SYN, window: 65535, urgent: 0, options: [{ kind: 'mss', mss: 1460 }], payload: new Uint8Array(0) }));
    w.runUntil(S);
    const bSegs = from(w, 'B');
    const aSegs = from(w, 'A');
    const rst = withFlags(aSegs, 'R')[0];
    const firstSynAck = withFlags(bSegs, 'S.')[0];
    const b = w.accepted.B[0];
    const statesB = w.timeline.states('B').map((s) => `${s.from}→${s.to}`);
    return judge(
      [
        [firstSynAck !== undefined && firstSynAck.seg.ack === ((oldIsn + 1) >>> 0), 'B answered the old SYN with a SYN-ACK for it'],
        [rst !== undefined && firstSynAck !== undefined && rst.seg.seq === firstSynAck.seg.ack, 'A sent RST <SEQ=SEG.ACK> for the unacceptable SYN-ACK'],
        [statesB.includes('SYN_RECEIVED→LISTEN'), 'the half-open connection was dropped (B is back to LISTEN)'],
        [a.ep.state === 'ESTABLISHED' && b?.ep.state === 'ESTABLISHED', 'the real handshake completed'],
      ],
      'the stale SYN-ACK drew a RST from A, B returned to LISTEN, and the real handshake completed',
    );
  },
};

function lostThirdAck(ending: 'data' | 'timeout'): Scenario {
  return {
    name: ending === 'data' ? 'lost-third-ack' : 'lost-third-ack-timeout',
    title:
      ending === 'data'
        ? 'the third ACK is lost; the client data that carries an ACK completes the handshake'
        : 'every ACK from the client is lost: SYN-ACK retries, the half-open connection is dropped, and late data draws a RST',
    play(w) {
      const a = clientOf(w);
      if (ending === 'data') {
        // Only the handshake's ACK is lost; 300 ms later the client sends data.
        w.pair.ab.drop(2);
        w.at(300_000, () => a.ep.send(enc.encode('hello')));
        w.runUntil(2 * S);
        const b = w.accepted.B[0];
        const synAcks = withFlags(from(w, 'B'), 'S.');
        return judge(
          [
            [synAcks.length === 1, `B sent ${synAcks.length} SYN-ACK(s), expected 1 (the data came before the retransmission timer)`],
            [b?.text() === 'hello', 'B accepted the connection and delivered the data'],
          ],
          'A thought it was ESTABLISHED; its data segment carried the ACK and completed the handshake at B',
        );
      }
      // Every pure ACK from A is lost until B gives up; then A sends data.
      const { sends: want, giveUp } = handshakeLadder(w.config, w.config.synAckRetries);
      const dataAt = giveUp + 10 * S;
      w.pair.ab.dropWhere((p) => w.now < dataAt && isAckPacket(p));
      w.at(dataAt, () => a.ep.send(enc.encode('hello')));
      w.runUntil(dataAt + 10 * S);
      const synAcks = withFlags(from(w, 'B'), 'S.');
      const drop = w.timeline.states('B').find((s) => s.from === 'SYN_RECEIVED' && s.to === 'LISTEN');
      const rst = withFlags(from(w, 'B'), 'R')[0];
      const times = offsets(synAcks);
      const tol = w.config.timerTick + 1000;
      return judge(
        [
          [sameTimes(times, want, tol), `SYN-ACKs at +${list(times)} s, expected +${list(want)} s`],
          [drop !== undefined && Math.abs(drop.t - synAcks[0]!.t - giveUp) <= tol, `half-open connection dropped at +${drop ? secs(drop.t - synAcks[0]!.t) : '?'} s, expected +${secs(giveUp)} s`],
          [rst !== undefined, 'B answered the late data with a RST'],
          [a.error === 'ECONNRESET', `A failed with ${a.error ?? 'nothing'}, expected ECONNRESET`],
        ],
        `SYN-ACKs at +${list(times)} s; B dropped the half-open connection at +${drop ? secs(drop.t - synAcks[0]!.t) : '?'} s; A's data at ${secs(dataAt)} s drew a RST and A failed with ECONNRESET`,
      );
    },
  };
}

/** A packet carrying a TCP segment with only ACK set and no data (IPv4, header 20 bytes). */
function isAckPacket(p: Uint8Array): boolean {
  const ihl = (p[0]! & 0x0f) * 4;
  const total = (p[2]! << 8) | p[3]!;
  const off = ihl;
  const hlen = (p[off + 12]! >> 4) * 4;
  return p[9] === 6 && p[off + 13] === ACK && total - ihl - hlen === 0;
}

const synRetries: Scenario = {
  name: 'syn-retries',
  title: 'nobody answers the SYN: retransmissions with exponential backoff, then ETIMEDOUT',
  play(w) {
    w.crash('B');
    const a = w.connect('A', PORT);
    const { sends: want, giveUp } = handshakeLadder(w.config, w.config.synRetries);
    w.runUntil(giveUp + 10 * S);
    const syns = withFlags(from(w, 'A'), 'S');
    const times = offsets(syns);
    const failedAt = w.timeline.states('A').find((s) => s.to === 'CLOSED')?.t;
    const tol = w.config.timerTick + 1000;
    return judge(
      [
        [sameTimes(times, want, tol), `SYNs at +${list(times)} s, expected +${list(want)} s`],
        [a.error === 'ETIMEDOUT', `connect failed with ${a.error ?? 'nothing'}, expected ETIMEDOUT`],
        [failedAt !== undefined && Math.abs(failedAt - giveUp) <= tol, `gave up at ${failedAt === undefined ? '?' : secs(failedAt)} s, expected ${secs(giveUp)} s`],
      ],
      `SYNs at +${list(times)} s; connect() failed with ETIMEDOUT at ${failedAt === undefined ? '?' : secs(failedAt)} s`,
    );
  },
};

const rtoBackoff: Scenario = {
  name: 'rto-backoff',
  title: 'the peer goes silent mid-transfer: the retransmission timer backs off, then gives up',
  play(w) {
    const a = clientOf(w);
    w.at(S, () => w.crash('B'));
    w.at(2 * S, () => a.ep.send(enc.encode('are you there?')));
    w.runUntil(3000 * S);
    const data = from(w, 'A').filter((s) => s.seg.payload.length > 0);
    const gaps = data.slice(1).map((s, i) => s.t - data[i]!.t);
    // With SACK and RACK-TLP (linux), a tail loss probe goes first, in the
    // RTO's place for a lone segment (RFC 8985 §7.2); it is no timeout.
    const probes = a.ep.conn.stats.tailLossProbes;
    const want = w.config.retries2 + 1 + probes;
    return judge(
      [
        [data.length === want, `${data.length} transmissions, expected ${want}`],
        [probes <= 1, `${probes} tail loss probes, expected at most one`],
        [gaps.every((g, i) => i === 0 || g >= gaps[i - 1]! - 1000), 'the gaps never shrink'],
        [Math.max(...gaps) <= w.config.rtoMax + w.config.timerTick, 'the gaps are capped at rtoMax'],
        [a.error === 'ETIMEDOUT', `the connection failed with ${a.error ?? 'nothing'}, expected ETIMEDOUT`],
      ],
      `${probes > 0 ? 'a tail loss probe, then ' : ''}retransmissions ${list(gaps)} s apart; ETIMEDOUT after ${data.length} transmissions`,
    );
  },
};

const zeroWindow: Scenario = {
  name: 'zero-window',
  title: 'the receiver stops reading: its window closes, the sender probes with the persist timer',
  world: { tcp: { rcvBuf: 4096, sndBuf: 65536 } },
  play(w) {
    const a = clientOf(w);
    w.runUntil(100_000);
    const b = w.accepted.B[0]!;
    b.paused = true;
    const data = new Uint8Array(12000).fill(0x61);
    w.at(200_000, () => a.ep.send(data));
    w.at(30 * S, () => {
      w.note('B reads again', 'B');
      b.resume();
    });
    w.runUntil(40 * S);
    const zeroWin = from(w, 'B').filter((s) => s.seg.window === 0);
    const afterZero = zeroWin.length > 0 ? from(w, 'A').filter((s) => s.t > zeroWin[0]!.t && s.t < 30 * S) : [];
    return judge(
      [
        [zeroWin.length > 0, 'B advertised a zero window'],
        [afterZero.length >= 2, `A sent ${afterZero.length} window probes while the window was closed`],
        [b.bytes().length === 12000, `B received ${b.bytes().length} of 12000 bytes`],
      ],
      `the window closed; A probed ${afterZero.length} times (persist timer, backing off); after B read again all 12000 bytes arrived`,
    );
  },
};

function keepalive(variant: 'alive' | 'crashed' | 'rebooted'): Scenario {
  return {
    name: variant === 'alive' ? 'keepalive' : `keepalive-${variant}`,
    title:
      variant === 'alive'
        ? 'an idle connection with keepalive on: probes every 7200 s, answered'
        : variant === 'crashed'
          ? 'keepalive finds a crashed peer: 9 unanswered probes 75 s apart, then ETIMEDOUT'
          : 'keepalive finds a rebooted peer: the probe draws a RST, ECONNRESET',
    play(w) {
      const a = clientOf(w);
      w.runUntil(S);
      a.ep.setKeepAlive(true);
      const idle = w.config.keepaliveIdle;
      if (variant === 'crashed') w.at(10 * S, () => w.crash('B'));
      if (variant === 'rebooted') w.at(10 * S, () => w.reboot('B'));
      w.runUntil(S + 2 * idle + 1000 * S);
      const probes = withFlags(from(w, 'A'), '.').filter((s) => s.t > 2 * S);
      if (variant === 'alive') {
        return judge(
          [
            [probes.length >= 2 && Math.abs(probes[0]!.t - S - idle) <= S, `first probe at ${probes[0] ? secs(probes[0].t) : '?'} s, expected about ${secs(S + idle)} s`],
            [a.ep.state === 'ESTABLISHED', 'still ESTABLISHED'],
          ],
          `probes at ${list(probes.map((p) => p.t))} s, each answered; the connection stays up`,
        );
      }
      if (variant === 'crashed') {
        const gaps = probes.slice(1).map((s, i) => s.t - probes[i]!.t);
        return judge(
          [
            [probes.length === w.config.keepaliveProbes, `${probes.length} probes, expected ${w.config.keepaliveProbes}`],
            [gaps.every((g) => Math.abs(g - w.config.keepaliveInterval) <= 1000), `probes ${list(gaps)} s apart, expected ${secs(w.config.keepaliveInterval)}`],
            [a.error === 'ETIMEDOUT', `failed with ${a.error ?? 'nothing'}, expected ETIMEDOUT`],
          ],
          `first probe after ${secs(idle)} s idle, ${probes.length} probes ${secs(w.config.keepaliveInterval)} s apart, then ETIMEDOUT`,
        );
      }
      const rst = withFlags(from(w, 'B'), 'R');
      return judge(
        [
          [probes.length >= 1, 'A probed'],
          [rst.length === 1, 'the rebooted B answered with a RST'],
          [a.error === 'ECONNRESET', `failed with ${a.error ?? 'nothing'}, expected ECONNRESET`],
        ],
        'the first probe reached a host that had forgotten the connection: RST, and A failed with ECONNRESET',
      );
    },
  };
}

const fourWayClose: Scenario = {
  name: 'four-way-close',
  title: 'the four-way close, and TIME_WAIT for 2MSL',
  play(w) {
    const a = clientOf(w);
    w.at(100_000, () => a.ep.close());
    w.at(300_000, () => w.accepted.B[0]!.ep.close());
    w.runUntil(2 * w.config.timeWait + 10 * S);
    const statesA: string[] = w.timeline.states('A').map((s) => s.to);
    const statesB: string[] = w.timeline.states('B').map((s) => s.to);
    const tw = w.timeline.states('A').find((s) => s.to === 'TIME_WAIT');
    const closed = w.timeline.states('A').find((s) => s.from === 'TIME_WAIT');
    return judge(
      [
        [['FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT', 'CLOSED'].every((s) => statesA.includes(s)), `A went ${statesA.join(' → ')}`],
        [['CLOSE_WAIT', 'LAST_ACK', 'CLOSED'].every((s) => statesB.includes(s)), `B went ${statesB.join(' → ')}`],
        [tw !== undefined && closed !== undefined && Math.abs(closed.t - tw.t - w.config.timeWait) <= w.config.timerTick + 1000, `TIME_WAIT lasted ${tw && closed ? secs(closed.t - tw.t) : '?'} s, expected ${secs(w.config.timeWait)}`],
      ],
      `FIN, ACK, FIN, ACK; A held TIME_WAIT for ${secs(w.config.timeWait)} s (2MSL) before CLOSED`,
    );
  },
};

const simultaneousClose: Scenario = {
  name: 'simultaneous-close',
  title: 'both sides close at once (RFC 9293 Figure 13): CLOSING, then TIME_WAIT on both',
  play(w) {
    const a = clientOf(w);
    w.runUntil(100_000);
    a.ep.close();
    w.accepted.B[0]!.ep.close();
    w.runUntil(100 * S);
    const statesA: string[] = w.timeline.states('A').map((s) => s.to);
    const statesB: string[] = w.timeline.states('B').map((s) => s.to);
    return judge(
      [
        [statesA.includes('CLOSING') && statesA.includes('TIME_WAIT'), `A went ${statesA.join(' → ')}`],
        [statesB.includes('CLOSING') && statesB.includes('TIME_WAIT'), `B went ${statesB.join(' → ')}`],
      ],
      'the FINs crossed: both sides FIN_WAIT_1 → CLOSING → TIME_WAIT → CLOSED',
    );
  },
};

const halfClose: Scenario = {
  name: 'half-close',
  title: 'A shuts down its direction; B keeps sending until it is done',
  play(w) {
    const a = clientOf(w);
    w.at(100_000, () => {
      a.ep.send(enc.encode('request'));
      a.ep.shutdown();
    });
    w.at(500_000, () => w.accepted.B[0]!.ep.send(enc.encode('answer, part 1; ')));
    w.at(900_000, () => w.accepted.B[0]!.ep.send(enc.encode('part 2')));
    w.at(1_200_000, () => w.accepted.B[0]!.ep.close());
    w.runUntil(100 * S);
    const b = w.accepted.B[0]!;
    return judge(
      [
        [b.text() === 'request' && b.eof, 'B read the request and then end-of-file'],
        [a.text() === 'answer, part 1; part 2', 'A kept receiving after its FIN'],
        [a.ep.state === 'CLOSED' && b.ep.state === 'CLOSED', 'both closed in the end'],
      ],
      'A sent its request and FIN; B read EOF, still sent two pieces, then closed; A received everything',
    );
  },
};

const timeWait: Scenario = {
  name: 'time-wait',
  title: 'the last ACK is lost: B retransmits its FIN, A in TIME_WAIT acknowledges it again and restarts 2MSL',
  play(w) {
    const a = clientOf(w);
    w.at(100_000, () => a.ep.close());
    w.at(300_000, () => w.accepted.B[0]!.ep.close());
    // The ACK of B's FIN is A's 4th packet after the SYN: SYN, ACK, FIN, ACK.
    w.pair.ab.drop(4);
    w.runUntil(3 * w.config.timeWait + 100 * S);
    const fins = withFlags(from(w, 'B'), 'F.');
    const tw = w.timeline.states('A').find((s) => s.to === 'TIME_WAIT');
    const closedA = w.timeline.states('A').find((s) => s.from === 'TIME_WAIT');
    const lastFin = fins[fins.length - 1];
    const reAck = lastFin ? from(w, 'A').find((s) => s.t > lastFin.t) : undefined;
    return judge(
      [
        [fins.length === 2, `B sent its FIN ${fins.length} times, expected 2`],
        [reAck !== undefined && isPureAck(reAck.seg), 'A acknowledged the retransmitted FIN from TIME_WAIT'],
        [
          tw !== undefined && closedA !== undefined && reAck !== undefined && Math.abs(closedA.t - reAck.t - w.config.timeWait) <= w.config.timerTick + 1000,
          `A left TIME_WAIT ${closedA && reAck ? secs(closedA.t - reAck.t) : '?'} s after the second ACK, expected ${secs(w.config.timeWait)}`,
        ],
        [w.accepted.B[0]!.ep.state === 'CLOSED', 'B closed after the second ACK'],
      ],
      'the retransmitted FIN was ACKed again from TIME_WAIT and the 2MSL timer started over',
    );
  },
};

const finWait2Timeout: Scenario = {
  name: 'fin-wait-2-timeout',
  title: 'A closes, B never does: A gives up on FIN_WAIT_2 after the FIN-WAIT-2 timeout',
  play(w) {
    const a = clientOf(w);
    w.at(100_000, () => a.ep.close());
    w.runUntil(w.config.finTimeout + 100 * S);
    const fw2 = w.timeline.states('A').find((s) => s.to === 'FIN_WAIT_2');
    const end = w.timeline.states('A').find((s) => s.from === 'FIN_WAIT_2');
    return judge(
      [
        [fw2 !== undefined && end !== undefined && Math.abs(end.t - fw2.t - w.config.finTimeout) <= w.config.timerTick + 1000, `FIN_WAIT_2 lasted ${fw2 && end ? secs(end.t - fw2.t) : '?'} s, expected ${secs(w.config.finTimeout)}`],
        [w.accepted.B[0]!.ep.state === 'CLOSE_WAIT', 'B is still in CLOSE_WAIT'],
      ],
      `A left FIN_WAIT_2 after ${secs(w.config.finTimeout)} s; B, which never closed, is still in CLOSE_WAIT`,
    );
  },
};

/**
 * RFC 4987 §2: SYNs from spoofed addresses fill the listener's SYN queue
 * (2 entries here) with half-open connections nobody completes. Without
 * cookies the client's SYNs are dropped until it gives up (3 SYN retries
 * here, to keep the ladder short); with cookies (§3.6) B answers it
 * statelessly and the client gets in at once.
 */
function synFlood(cookies: boolean): Scenario {
  return {
    name: cookies ? 'syn-flood-cookies' : 'syn-flood',
    title: cookies
      ? 'spoofed SYNs fill the SYN queue; SYN cookies (RFC 4987 §3.6) let the client in all the same'
      : 'spoofed SYNs fill the SYN queue (RFC 4987 §2): without SYN cookies the client is shut out and times out',
    world: { maxSynQueue: 2, tcp: { synCookies: cookies ? 'on-overflow' : 'off', synRetries: 3 } },
    play(w) {
      // Backlog 2: the SYN queue is bounded by the larger of the backlog and maxSynQueue.
      const l = w.listen('B', PORT, 2);
      w.note('an attacker sends SYNs from 10.0.0.66 and 10.0.0.67, which never answer', 'A');
      for (let i = 0; i < 2; i++) {
        w.pair.ab.send(packetFrom(`10.0.0.${66 + i}`, { srcPort: 1000 + i, dstPort: PORT, seq: 0x10000 * (i + 1), ack: 0, flags: SYN, window: 65535, urgent: 0, options: [{ kind: 'mss', mss: 1460 }], payload: new Uint8Array(0) }));
      }
      let a: ReturnType<World['connect']> | undefined;
      w.at(100_000, () => {
        a = w.connect('A', PORT);
        a.ep.send(enc.encode('hello'));
      });
      const { sends, giveUp } = handshakeLadder(w.config, w.config.synRetries);
      w.runUntil(cookies ? 2 * S : 100_000 + giveUp + S);
      const b = w.accepted.B[0];
      const bStats = w.stack('B').stats;
      const clientSyns = withFlags(from(w, 'A'), 'S').filter((x) => x.seg.srcPort === a?.ep.localPort);
      if (cookies) {
        return judge(
          [
            [l.synQueue.size === 2, `B's SYN queue holds ${l.synQueue.size} half-open connections, expected 2 (full)`],
            [bStats.synCookiesSent === 1 && bStats.synCookiesValidated === 1, `cookies sent ${bStats.synCookiesSent}, validated ${bStats.synCookiesValidated}, expected 1 and 1`],
            [a?.ep.state === 'ESTABLISHED' && b?.text() === 'hello', 'the client got in and its data arrived'],
            [clientSyns.length === 1, `the client sent ${clientSyns.length} SYN(s), expected 1`],
          ],
          'with the SYN queue full, B answered the client with a cookie SYN-ACK; its ACK rebuilt the connection and the data arrived',
        );
      }
      const times = offsets(clientSyns);
      const tol = w.config.timerTick + 1000;
      return judge(
        [
          [l.synQueue.size === 2, `B's SYN queue holds ${l.synQueue.size} half-open connections, expected 2 (full)`],
          [sameTimes(times, sends, tol), `client SYNs at +${list(times)} s, expected +${list(sends)} s`],
          [bStats.drops.listenOverflow === clientSyns.length, `B dropped ${bStats.drops.listenOverflow} SYNs for overflow, expected ${clientSyns.length}`],
          [a?.error === 'ETIMEDOUT' && b === undefined, `the client failed with ${a?.error ?? 'nothing'}, expected ETIMEDOUT, and B accepted nothing`],
        ],
        `B's SYN queue was full of spoofed half-open connections; it dropped the client's SYNs at +${list(times)} s and the client gave up with ETIMEDOUT`,
      );
    },
  };
}

export const SCENARIOS: readonly Scenario[] = [
  handshake,
  dataOnThirdAck,
  simultaneousOpen,
  oldDuplicateSyn,
  lostThirdAck('data'),
  lostThirdAck('timeout'),
  synRetries,
  rtoBackoff,
  zeroWindow,
  keepalive('alive'),
  keepalive('crashed'),
  keepalive('rebooted'),
  fourWayClose,
  simultaneousClose,
  halfClose,
  timeWait,
  finWait2Timeout,
  synFlood(false),
  synFlood(true),
];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
