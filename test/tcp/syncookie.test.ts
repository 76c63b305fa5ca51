import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LINUX_PROFILE, type TcpConfig } from '../../src/tcp/config.js';
import { COOKIE_PERIOD, mssIndexFor, SynCookies } from '../../src/tcp/syncookie.js';
import type { FourTuple } from '../../src/tcp/types.js';
import { hashKeyFromBytes, type HashKey } from '../../src/stack/hash.js';
import { ACK, CWR, ECE, SYN, type Segment, type TcpOption } from '../../src/wire/tcp-types.js';
import type { TcpEndpoint } from '../../src/stack/tcp-endpoint.js';
import { makePair, B4, bytes, text } from '../stack/helpers.js';
import { ip, rawTcp, readTcp, seg } from '../stack/hostile-raw.js';

const cfg: TcpConfig = { ...LINUX_PROFILE };
const tuple: FourTuple = { localAddr: ip('10.0.0.2'), localPort: 80, remoteAddr: ip('10.0.0.1'), remotePort: 40000 };

/** Keys 1, 2, 3, ... so that the tests can count rotations. */
function keys(): { next: () => HashKey; drawn: () => number } {
  let n = 0;
  return {
    next: () => {
      n++;
      return hashKeyFromBytes(Uint8Array.of(n, n, n, n, 0, 0, 0, n));
    },
    drawn: () => n,
  };
}

const synOpts = (o: { mss?: number; ws?: number; sack?: boolean; tsVal?: number }): TcpOption[] => {
  const out: TcpOption[] = [];
  if (o.mss !== undefined) out.push({ kind: 'mss', mss: o.mss });
  if (o.sack) out.push({ kind: 'sackOK' });
  if (o.tsVal !== undefined) out.push({ kind: 'timestamp', val: o.tsVal, ecr: 0 });
  if (o.ws !== undefined) out.push({ kind: 'nop' }, { kind: 'wscale', shift: o.ws });
  return out;
};

/** The ACK a well-behaved client sends back for `synAck` (timestamp echoed when there was one). */
function ackFor(synAck: Segment, isn: number, tsVal?: number): Segment {
  const ts = synAck.options.find((o) => o.kind === 'timestamp');
  const options: TcpOption[] = ts !== undefined && ts.kind === 'timestamp' && tsVal !== undefined ? [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', val: tsVal, ecr: ts.val }] : [];
  return seg({ srcPort: 40000, dstPort: 80, seq: (isn + 1) >>> 0, ack: (synAck.seq + 1) >>> 0, flags: ACK, window: 500, options });
}

test('MSS index: the largest table entry not above the peer MSS (Linux 536/1300/1440/1460)', () => {
  assert.equal(mssIndexFor(1460, false), 3);
  assert.equal(mssIndexFor(9000, false), 3);
  assert.equal(mssIndexFor(1440, false), 2);
  assert.equal(mssIndexFor(1439, false), 1);
  assert.equal(mssIndexFor(1300, false), 1);
  assert.equal(mssIndexFor(1299, false), 0);
  assert.equal(mssIndexFor(100, false), 0);
  assert.equal(mssIndexFor(1220, true), 0);
  assert.equal(mssIndexFor(1440, true), 2);
});

test('a cookie validates for its 4-tuple and peer ISN, restoring the MSS; any other tuple, ISN or bit fails', () => {
  const k = keys();
  const c = new SynCookies(k.next);
  const now = 5_000_000;
  const syn = seg({ srcPort: 40000, dstPort: 80, seq: 0xfffffff0, flags: SYN, options: synOpts({ mss: 1400 }) });
  const sa = c.synAck(tuple, syn, cfg, 1460, now);
  assert.equal(sa.flags, SYN | ACK);
  assert.equal(sa.ack, 0xfffffff1);
  assert.deepEqual(sa.options, [{ kind: 'mss', mss: 1460 }], 'no timestamps: only the MSS is offered');
  // Top 5 bits: the counter; then the MSS index (1300 is the entry below 1400).
  assert.equal(sa.seq >>> 27, Math.floor(now / COOKIE_PERIOD) & 31);
  assert.equal((sa.seq >>> 24) & 7, 1);
  const ok = c.check(tuple, ackFor(sa, syn.seq), now + 1000, cfg);
  assert.ok(ok.ok);
  assert.equal(ok.value.mss, 1300);
  assert.equal(ok.value.tsOk, false);
  assert.equal(ok.value.sndWscale, undefined);
  assert.equal(ok.value.sackOk, false);

  const bad = (t: FourTuple, a: Segment): string => {
    const r = c.check(t, a, now + 1000, cfg);
    return r.ok ? 'ok' : r.reason;
  };
  assert.equal(bad({ ...tuple, remotePort: 40001 }, ackFor(sa, syn.seq)), 'badMac');
  assert.equal(bad({ ...tuple, remoteAddr: ip('10.0.0.3') }, ackFor(sa, syn.seq)), 'badMac');
  assert.equal(bad(tuple, ackFor(sa, syn.seq + 1)), 'badMac', 'another peer ISN');
  for (let bit = 0; bit < 27; bit++) {
    const forged = { ...ackFor(sa, syn.seq), ack: ((sa.seq ^ (1 << bit)) + 1) >>> 0 };
    assert.notEqual(bad(tuple, forged), 'ok', `bit ${bit} flipped`);
  }
  assert.equal(k.drawn(), 1, 'one secret for the period (and none for timestamps: not used)');
});

test('a cookie lives for its counter period and the next; then its secret is gone (rotation)', () => {
  const k = keys();
  const c = new SynCookies(k.next);
  const t0 = 10 * COOKIE_PERIOD + 3_000_000;
  const syn = seg({ srcPort: 40000, dstPort: 80, seq: 1234, flags: SYN, options: synOpts({ mss: 1460 }) });
  const sa = c.synAck(tuple, syn, cfg, 1460, t0);
  assert.ok(c.check(tuple, ackFor(sa, 1234), t0 + COOKIE_PERIOD - 3_000_001, cfg).ok, 'end of its own period');
  assert.ok(c.check(tuple, ackFor(sa, 1234), t0 + COOKIE_PERIOD, cfg).ok, 'the next period');
  const late = c.check(tuple, ackFor(sa, 1234), t0 + 2 * COOKIE_PERIOD, cfg);
  assert.deepEqual(late, { ok: false, reason: 'expired' });

  // The counter has 5 bits: 32 periods later the cookie's counter field looks current, but the secret is gone.
  const wrapped = c.check(tuple, ackFor(sa, 1234), t0 + 32 * COOKIE_PERIOD, cfg);
  assert.deepEqual(wrapped, { ok: false, reason: 'noSecret' });

  // A new period draws a new secret: the same SYN gets another cookie.
  const sa2 = c.synAck(tuple, syn, cfg, 1460, t0 + 32 * COOKIE_PERIOD);
  assert.equal(k.drawn(), 2);
  assert.notEqual(sa2.seq & 0xffffff, sa.seq & 0xffffff);
  // Made in period p, checked in p+1 after a cookie of p+1 was made: both secrets are kept.
  const sa3 = c.synAck(tuple, syn, cfg, 1460, t0 + 33 * COOKIE_PERIOD);
  assert.equal(k.drawn(), 3);
  assert.ok(c.check(tuple, ackFor(sa2, 1234), t0 + 33 * COOKIE_PERIOD, cfg).ok);
  assert.ok(c.check(tuple, ackFor(sa3, 1234), t0 + 33 * COOKIE_PERIOD, cfg).ok);
});

test('with timestamps, window scale, SACK-permitted and ECN travel in the low 6 bits of TSval and come back in TSecr', () => {
  const c = new SynCookies(keys().next);
  const now = 7_654_321_000;
  const syn = seg({ srcPort: 40000, dstPort: 80, seq: 99, flags: SYN | ECE | CWR, options: synOpts({ mss: 1460, ws: 7, sack: true, tsVal: 4242 }) });
  const sa = c.synAck(tuple, syn, cfg, 1460, now);
  const ts = sa.options.find((o) => o.kind === 'timestamp');
  assert.ok(ts !== undefined && ts.kind === 'timestamp');
  assert.equal(ts.ecr, 4242, 'TSecr echoes the SYN');
  assert.equal(ts.val & 0x3f, 7 | 0x10 | 0x20, 'wscale 7, SACK, ECN');
  const clock = (Math.floor(now / 1000) + c.tsOffset(tuple)) >>> 0;
  const behind = (clock - ts.val) >>> 0;
  assert.ok(behind < 128, `TSval at most two 64 ms slots behind our clock, got ${behind}`);
  const ws = sa.options.find((o) => o.kind === 'wscale');
  assert.ok(ws !== undefined && ws.kind === 'wscale');
  assert.equal(ws.shift, 2, 'our shift for a 128 KiB buffer');
  assert.ok(sa.options.some((o) => o.kind === 'sackOK'));
  const r = c.check(tuple, ackFor(sa, 99, 5000), now + 20_000, cfg);
  assert.ok(r.ok);
  assert.deepEqual({ ws: r.value.sndWscale, sack: r.value.sackOk, ts: r.value.tsOk, ecn: r.value.ecn, mss: r.value.mss }, { ws: 7, sack: true, ts: true, ecn: true, mss: 1460 });

  // No window scale offered: 15 in the low bits; the ACK then restores none.
  const syn2 = seg({ srcPort: 40000, dstPort: 80, seq: 99, flags: SYN, options: synOpts({ mss: 1460, tsVal: 1 }) });
  const sa2 = c.synAck(tuple, syn2, cfg, 1460, now);
  const ts2 = sa2.options.find((o) => o.kind === 'timestamp');
  assert.ok(ts2 !== undefined && ts2.kind === 'timestamp');
  assert.equal(ts2.val & 0x3f, 0x0f);
  assert.ok(!sa2.options.some((o) => o.kind === 'wscale' || o.kind === 'sackOK'));
  const r2 = c.check(tuple, ackFor(sa2, 99, 2), now, cfg);
  assert.ok(r2.ok);
  assert.equal(r2.value.sndWscale, undefined);
  assert.equal(r2.value.sackOk, false);

  // A forged echo naming a shift above 14 is refused.
  const forged = ackFor(sa2, 99, 2);
  forged.options = [{ kind: 'timestamp', val: 2, ecr: ((ts2.val & ~0x3f) | 14) >>> 0 }];
  assert.ok(c.check(tuple, forged, now, cfg).ok, 'shift 14 is legal');
  forged.options = [{ kind: 'timestamp', val: 2, ecr: ((ts2.val & ~0x3f) | 3) >>> 0 }];
  const noWs = { ...cfg, windowScaling: false };
  assert.deepEqual(c.check(tuple, forged, now, noWs), { ok: false, reason: 'badTimestamp' }, 'a shift we never offer');
});

// ------------------------------------------------------------ in a stack

/** Collect an endpoint's reads. */
function reader(ep: TcpEndpoint): { data: string[]; events: string[] } {
  const w = { data: [] as string[], events: [] as string[] };
  ep.setHandler((ev) => {
    if (ev.type !== 'state') w.events.push(ev.type);
    if (ev.type === 'readable') for (let d = ep.read(); d !== null; d = ep.read()) w.data.push(text(d));
  });
  return w;
}

test("synCookies 'always': a real handshake through a cookie, options restored, data both ways, no SYN queue", () => {
  const { clock, a, b } = makePair({ ab: { delay: 1000 }, ba: { delay: 1000 }, stack: { tcp: { ...LINUX_PROFILE, synCookies: 'always' } } });
  const l = b.tcpListen({ port: 80 });
  let server: TcpEndpoint | undefined;
  let sw: ReturnType<typeof reader> | undefined;
  l.onConnection = (ep) => {
    server = ep;
    sw = reader(ep);
  };
  let maxSynQueue = 0;
  b.onConnEvent = () => (maxSynQueue = Math.max(maxSynQueue, l.synQueue.size));
  const c = a.tcpConnect({ remoteAddr: ip(B4), remotePort: 80 });
  const cw = reader(c);
  c.send(bytes('hello'));
  clock.runFor(100_000);
  assert.ok(server !== undefined);
  assert.equal(b.stats.synCookiesSent, 1);
  assert.equal(b.stats.synCookiesValidated, 1);
  assert.equal(b.stats.synCookiesFailed, 0);
  assert.equal(server.state, 'ESTABLISHED');
  assert.equal(server.conn.iss, c.conn.irs, 'the cookie was our ISS');
  const n = server.conn.negotiated;
  assert.equal(n.tsOk, true);
  assert.equal(n.sackOk, true);
  assert.equal(n.sndWscale, c.conn.negotiated.rcvWscale, 'the client shift came back from TSecr');
  assert.equal(n.rcvWscale, c.conn.negotiated.sndWscale);
  assert.equal(n.mss, 1460 - 12, 'MSS 1460 from the table, less the timestamp option');
  server.send(bytes('world'));
  clock.runFor(100_000);
  assert.deepEqual(sw!.data, ['hello']);
  assert.deepEqual(cw.data, ['world']);
  // A large transfer exercises the restored window scale.
  const big = new Uint8Array(300_000).map((_, i) => (i * 7) & 0xff);
  let off = 0;
  const got: Uint8Array[] = [];
  server.setHandler((ev) => {
    if (ev.type === 'readable') for (let d = server!.read(); d !== null; d = server!.read()) got.push(d);
  });
  const pump = (): void => {
    while (off < big.length) {
      const k = c.send(big.subarray(off, off + 16384));
      if (k === 0) break;
      off += k;
    }
  };
  c.setHandler((ev) => {
    if (ev.type === 'writable') pump();
  });
  pump();
  clock.runFor(5_000_000);
  const all = Buffer.concat(got);
  assert.equal(all.length, big.length);
  assert.ok(all.equals(Buffer.from(big)));
  assert.equal(maxSynQueue, 1, 'the cookie connection passes through the SYN queue for one service round only');
  assert.equal(b.stats.drops.listenOverflow, 0);
});

/** Spoofed SYNs from addresses nobody answers for, `count` of them, injected on b's link. */
function flood(send: (p: Uint8Array) => void, count: number, seed: { v: number }): void {
  for (let i = 0; i < count; i++) {
    seed.v = (Math.imul(seed.v, 1103515245) + 12345) >>> 0;
    const host = 3 + (seed.v % 250);
    const port = 1024 + ((seed.v >>> 8) % 60000);
    send(rawTcp(`10.0.0.${host}`, B4, seg({ srcPort: port, dstPort: 80, seq: seed.v, flags: SYN, options: [{ kind: 'mss', mss: 1460 }] })));
  }
}

for (const mode of ['on-overflow', 'off'] as const) {
  test(`under a flood of spoofed SYNs a legitimate client ${mode === 'off' ? 'times out without cookies' : 'gets in with cookies'} (${mode})`, () => {
    const { clock, a, b, link } = makePair({
      ab: { delay: 1000 },
      ba: { delay: 1000 },
      stack: { tcp: { ...LINUX_PROFILE, synCookies: mode }, maxSynQueue: 64 },
    });
    const l = b.tcpListen({ port: 80, backlog: 16 });
    let accepted = 0;
    let said = '';
    l.onConnection = (ep) => {
      accepted++;
      ep.setHandler((ev) => {
        if (ev.type === 'readable') for (let d = ep.read(); d !== null; d = ep.read()) said += text(d);
      });
    };
    const seed = { v: 7 };
    // 40 SYNs every 100 ms for the whole test: far more than the queue holds.
    const tick = (): void => {
      flood((p) => link.a.send(p), 40, seed);
      if (clock.now() < 140_000_000) clock.setTimer(clock.now() + 100_000, tick);
    };
    tick();
    clock.runFor(1_000_000);
    assert.equal(l.synQueue.size, 64, 'the SYN queue is full of spoofed handshakes');
    const c = a.tcpConnect({ remoteAddr: ip(B4), remotePort: 80 });
    const w = reader(c);
    c.send(bytes('legit'));
    clock.runFor(140_000_000);
    assert.ok(l.synQueue.size <= 64, 'the SYN queue never grows past its bound');
    if (mode === 'off') {
      assert.deepEqual(w.events, ['error', 'closed']);
      assert.equal(c.conn.state, 'CLOSED');
      assert.equal(a.stats.tcpErrors.ETIMEDOUT, 1);
      assert.equal(accepted, 0);
      assert.equal(b.stats.synCookiesSent, 0);
      assert.ok(b.stats.drops.listenOverflow > 50_000);
    } else {
      assert.deepEqual(w.events.slice(0, 1), ['established']);
      assert.equal(said, 'legit');
      assert.equal(accepted, 1, 'only the client completes: spoofed sources never ACK');
      assert.equal(b.stats.synCookiesValidated, 1);
      assert.ok(b.stats.synCookiesSent > 50_000);
      assert.equal(b.stats.synCookiesFailed, 0);
      assert.equal(c.conn.negotiated.tsOk, true, 'cookie connections keep timestamps');
    }
  });
}

test('a forged ACK at a listener that sent cookies fails validation, draws a RST, and opens nothing', () => {
  const { clock, b, link } = makePair({ stack: { tcp: { ...LINUX_PROFILE, synCookies: 'always' } } });
  b.tcpListen({ port: 80 });
  const out: Segment[] = [];
  link.a.onReceive = (p) => {
    const t = readTcp(p);
    if (t !== undefined) out.push(t.seg);
  };
  const send = (s: Segment): void => link.a.send(rawTcp('10.0.0.1', B4, s));
  send(seg({ srcPort: 5555, dstPort: 80, seq: 1000, flags: SYN, options: [{ kind: 'mss', mss: 1460 }] }));
  clock.runFor(10_000);
  assert.equal(out.length, 1);
  const cookie = out[0]!.seq;
  // Guesses: the wrong ACK, the wrong SEQ, the wrong port.
  send(seg({ srcPort: 5555, dstPort: 80, seq: 1001, ack: (cookie + 2) >>> 0, flags: ACK }));
  send(seg({ srcPort: 5555, dstPort: 80, seq: 1002, ack: (cookie + 1) >>> 0, flags: ACK }));
  send(seg({ srcPort: 5556, dstPort: 80, seq: 1001, ack: (cookie + 1) >>> 0, flags: ACK }));
  clock.runFor(10_000);
  assert.equal(b.stats.synCookiesFailed, 3);
  assert.equal(b.connectionCount, 0);
  assert.deepEqual(out.slice(1).map((s) => [s.flags, s.seq]), [
    [4, (cookie + 2) >>> 0],
    [4, (cookie + 1) >>> 0],
    [4, (cookie + 1) >>> 0],
  ], '<SEQ=SEG.ACK><CTL=RST> as LISTEN answers an ACK');
  // The right one, carrying data and FIN: a connection, the data, CLOSE_WAIT.
  send(seg({ srcPort: 5555, dstPort: 80, seq: 1001, ack: (cookie + 1) >>> 0, flags: ACK | 1, payload: bytes('hi') }));
  clock.runFor(10_000);
  assert.equal(b.stats.synCookiesValidated, 1);
  const ep = [...b.connections()][0]!;
  assert.equal(ep.state, 'CLOSE_WAIT');
  assert.equal(text(ep.read()!), 'hi');
});

test("'on-overflow': a stray ACK at a listener that sent no cookie is not tried as one", () => {
  const { clock, b, link } = makePair();
  b.tcpListen({ port: 80 });
  link.a.send(rawTcp('10.0.0.1', B4, seg({ srcPort: 5555, dstPort: 80, seq: 1, ack: 2, flags: ACK })));
  clock.runFor(10_000);
  assert.equal(b.stats.synCookiesFailed, 0);
  assert.equal(b.stats.drops.noListener, 1);
});
