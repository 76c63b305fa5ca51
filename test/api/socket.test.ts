// net.Socket and net.Server behaviour over the stack.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Duplex } from 'node:stream';
import { makeNetPair, startPump, A4, A6, B4, B6 } from './helpers.js';
import { Socket } from '../../src/api/socket.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100_000 && !cond(); i++) await tick();
  assert.ok(cond(), `timed out waiting for ${what}`);
}

test('a connected pair: events in order, addresses, families, byte counts, readyState', async () => {
  const { clock, a, b } = makeNetPair({ ab: { delay: 2000 }, ba: { delay: 2000 } });
  const stop = startPump(clock);
  try {
    const accepted: Socket[] = [];
    const server = b.createServer((s) => accepted.push(s));
    server.listen(7000, '::');
    await once(server, 'listening');
    assert.deepEqual(server.address(), { address: '::', family: 'IPv6', port: 7000 });
    assert.equal(server.listening, true);

    for (const [host, local, remote, fam] of [
      [B6, A6, B6, 'IPv6'],
      [B4, A4, B4, 'IPv4'],
    ] as const) {
      const order: string[] = [];
      const t0 = clock.now();
      const s = a.connect({ host, port: 7000 }, () => order.push('callback'));
      assert.ok(s instanceof Duplex);
      assert.equal(s.pending, true);
      s.on('connect', () => order.push('connect'));
      s.on('ready', () => order.push('ready'));
      await once(s, 'ready');
      assert.deepEqual(order, ['callback', 'connect', 'ready']);
      assert.equal(s.pending, false);
      assert.equal(s.readyState, 'open');
      assert.equal(s.remoteAddress, remote);
      assert.equal(s.remotePort, 7000);
      assert.equal(s.remoteFamily, fam);
      assert.equal(s.localAddress, local);
      assert.deepEqual(s.address(), { address: local, family: fam, port: s.localPort });
      assert.equal(clock.now() - t0, 4000, 'connect completes after one round trip');

      await until(() => accepted.length > 0, 'accept');
      const peer = accepted.shift()!;
      assert.equal(peer.remotePort, s.localPort);
      assert.equal(peer.remoteAddress, fam === 'IPv4' ? `::ffff:${A4}` : A6, 'dual-stack server sees mapped IPv4');
      assert.equal(peer.remoteFamily, 'IPv6');

      s.write('ping ');
      s.end('and goodbye');
      assert.equal(s.bytesWritten, 16);
      const chunks: Buffer[] = [];
      peer.on('data', (d: Buffer) => chunks.push(d));
      await once(peer, 'end');
      assert.equal(Buffer.concat(chunks).toString(), 'ping and goodbye');
      assert.equal(peer.bytesRead, 16);
      // allowHalfOpen is false: the server side ends too, and both close.
      await Promise.all([once(peer, 'close'), once(s, 'close')]);
      assert.equal(s.readyState, 'closed');
    }
    server.close();
    await once(server, 'close');
  } finally {
    stop();
  }
});

test('half-close with allowHalfOpen: the server keeps writing after the client’s FIN', async () => {
  const { clock, a, b } = makeNetPair();
  const stop = startPump(clock);
  try {
    const server = b.createServer({ allowHalfOpen: true }, (sock) => {
      const got: Buffer[] = [];
      sock.on('data', (d: Buffer) => got.push(d));
      sock.on('end', () => {
        assert.equal(sock.readyState, 'writeOnly');
        sock.write('you said: ');
        setTimeout(() => sock.end(Buffer.concat(got).toString().toUpperCase()), 2);
      });
    });
    server.listen(80);
    const s = a.connect(80, B4);
    s.end('hello');
    const parts: string[] = [];
    s.setEncoding('utf8');
    s.on('data', (d: string) => parts.push(d));
    await once(s, 'end');
    assert.equal(parts.join(''), 'you said: HELLO');
  } finally {
    stop();
  }
});

test('back-pressure: write() returns false while the peer does not read, then drains; nothing is lost', async () => {
  const { clock, a, b } = makeNetPair({ ab: { delay: 500 }, ba: { delay: 500 } });
  const stop = startPump(clock);
  try {
    let peer: Socket | undefined;
    b.createServer({ pauseOnConnect: true }, (s) => (peer = s)).listen(80);
    const s = a.connect({ host: B4, port: 80 });
    await once(s, 'connect');
    await until(() => peer !== undefined, 'accept');
    const chunk = Buffer.alloc(16 * 1024, 0x61);
    let written = 0;
    while (s.write(chunk)) written += chunk.length;
    written += chunk.length;
    // TCP's send buffer (128 KiB) takes bytes at once; then the stream
    // buffers up to its high-water mark (16 KiB) and says stop.
    assert.ok(written >= 128 * 1024 && written <= 128 * 1024 + 32 * 1024, `write() said stop after ${written} bytes`);
    // Keep writing (ignoring the signal) for a while: the TCP window fills.
    for (let i = 0; i < 40; i++) {
      s.write(chunk);
      written += chunk.length;
    }
    await until(() => clock.now() > 2_000_000, 'virtual time to pass');
    // The peer's receive buffer (128 KiB) and our send buffer (128 KiB) hold
    // the rest; the remainder waits in the stream.
    assert.ok(s.writableLength > 0, 'data waits in the stream');
    assert.ok(peer!.bytesRead === 0, 'the paused peer read nothing');
    const drained = once(s, 'drain');
    let received = 0;
    peer!.on('data', (d: Buffer) => (received += d.length));
    peer!.resume();
    await drained;
    await until(() => received === written, 'all bytes to arrive');
    assert.equal(s.bytesWritten, written);
  } finally {
    stop();
  }
});

test('setTimeout: idle sockets get one "timeout" per idle period, measured on the stack clock', async () => {
  const { clock, a, b } = makeNetPair();
  const stop = startPump(clock);
  try {
    b.createServer((sock) => sock.resume()).listen(80);
    const s = a.connect({ host: B4, port: 80, timeout: 3000 });
    assert.equal(s.timeout, 3000);
    await once(s, 'connect');
    const connectedAt = clock.now();
    await once(s, 'timeout');
    assert.equal(clock.now() - connectedAt, 3_000_000);
    // Activity restarts the idle period.
    s.write('x');
    const wroteAt = clock.now();
    await once(s, 'timeout');
    assert.ok(clock.now() - wroteAt >= 3_000_000);
    // 0 disables it.
    s.setTimeout(0);
    assert.equal(s.timeout, undefined);
    s.destroy();
    await once(s, 'close');
  } finally {
    stop();
  }
});

test('destroy() closes with FIN; resetAndDestroy() with RST', async () => {
  const { clock, a, b } = makeNetPair();
  const stop = startPump(clock);
  try {
    const peers: Socket[] = [];
    b.createServer((s) => peers.push(s)).listen(80);
    const s1 = a.connect(80, B4);
    await once(s1, 'connect');
    await until(() => peers.length === 1, 'accept');
    const p1 = peers[0]!;
    p1.resume();
    s1.destroy();
    await once(p1, 'end');
    assert.equal(b.stats.tcpResetsIn, 0);

    const s2 = a.connect(80, B4);
    await once(s2, 'connect');
    await until(() => peers.length === 2, 'accept');
    const p2 = peers[1]!;
    const errP = once(p2, 'error');
    s2.resetAndDestroy();
    const [err] = (await errP) as [Error & { code: string }];
    assert.equal(err.code, 'ECONNRESET');
    assert.equal(b.stats.tcpResetsIn, 1);
  } finally {
    stop();
  }
});

test('a reset in LAST-ACK after end(), with the peer\'s FIN not yet read: no error, the socket reads its EOF and closes (as Node\'s would)', { timeout: 20_000 }, async () => {
  const { clock, a, b, link } = makeNetPair();
  const stop = startPump(clock);
  try {
    const peers: Socket[] = [];
    b.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (s) => peers.push(s)).listen(80);
    // B's FIN never reaches A, so B stays in LAST-ACK until A's reset.
    const isFin = (p: Uint8Array): boolean => p[9] === 6 && (p[(p[0]! & 15) * 4 + 13]! & 1) !== 0;
    link.ba.dropWhere(isFin);
    const c = a.connect(80, B4);
    await once(c, 'connect');
    await until(() => peers.length === 1, 'accept');
    const p = peers[0]!;
    const errors: Error[] = [];
    p.on('error', (e: Error) => errors.push(e));
    const closed = new Promise<void>((r) => p.once('close', () => r()));
    c.end('last words');
    await until(() => [...b.connections()].some((ep) => ep.state === 'CLOSE_WAIT'), 'the FIN at B');
    p.end();
    await until(() => [...b.connections()].some((ep) => ep.state === 'LAST_ACK'), 'LAST-ACK at B');
    c.resetAndDestroy(); // A is in FIN-WAIT-2: its reset carries B's RCV.NXT exactly
    await until(() => b.stats.tcpResetsIn === 1, 'the reset at B');
    const got: Buffer[] = [];
    p.on('data', (d: Buffer) => got.push(d));
    p.resume();
    await closed;
    assert.deepEqual(errors, []);
    assert.equal(Buffer.concat(got).toString(), 'last words');
  } finally {
    stop();
  }
});

test('server.close() waits for its connections; getConnections counts them; maxConnections drops extras', async () => {
  const { clock, a, b } = makeNetPair();
  const stop = startPump(clock);
  try {
    const peers: Socket[] = [];
    const server = b.createServer((s) => peers.push(s));
    server.maxConnections = 2;
    const drops: unknown[] = [];
    server.on('drop', (d) => drops.push(d));
    server.listen(80);
    const clients = [a.connect(80, B4), a.connect(80, B4), a.connect(80, B4)];
    for (const c of clients) c.on('error', () => {});
    await until(() => peers.length === 2 && drops.length === 1, 'two accepted, one dropped');
    const count = await new Promise<number>((r) => server.getConnections((_e, n) => r(n)));
    assert.equal(count, 2);
    let closed = false;
    server.close(() => (closed = true));
    assert.equal(server.listening, false);
    await tick();
    await tick();
    assert.equal(closed, false, 'connections still open');
    for (const p of peers) p.destroy();
    await until(() => closed, "server 'close'");
    // A second close reports that it was not running.
    const err = await new Promise<Error | undefined>((r) => server.close(r));
    assert.equal((err as { code?: string }).code, 'ERR_SERVER_NOT_RUNNING');
  } finally {
    stop();
  }
});

test('setNoDelay and setKeepAlive return the socket and reach the connection', async () => {
  const { clock, a, b, link } = makeNetPair();
  const stop = startPump(clock);
  try {
    b.createServer((s) => s.resume()).listen(80);
    const s = a.connect(80, B4);
    assert.equal(s.setNoDelay(true), s);
    assert.equal(s.setKeepAlive(true, 2000), s);
    await once(s, 'connect');
    // Keepalive probes start after 2 s of silence.
    let probes = 0;
    const t0 = clock.now();
    link.ab.watch((e) => {
      if (e.kind === 'send' && clock.now() - t0 >= 2_000_000) probes++;
    });
    await until(() => probes > 0, 'a keepalive probe');
    assert.equal(clock.now() - t0, 2_000_000);
    s.destroy();
  } finally {
    stop();
  }
});

test('pending writes before the handshake go out once connected', async () => {
  const { clock, a, b } = makeNetPair({ ab: { delay: 5000 }, ba: { delay: 5000 } });
  const stop = startPump(clock);
  try {
    let got = '';
    b.createServer((s) => {
      s.setEncoding('utf8');
      s.on('data', (d: string) => (got += d));
    }).listen(80);
    const s = a.connect(80, B6);
    assert.equal(s.connecting, true);
    s.write('early ');
    s.write('bird');
    await until(() => got === 'early bird', 'data');
    assert.equal(s.connecting, false);
  } finally {
    stop();
  }
});

test('buffer sizes: the net API auto-tunes from 128 KB with window scale 7; set/getRecvBufferSize and set/getSendBufferSize act on the open connection', async () => {
  const { clock, a, b } = makeNetPair();
  const stop = startPump(clock);
  try {
    const peers: Socket[] = [];
    b.createServer((s) => peers.push(s)).listen(80);
    const unconnected = new Socket({ stack: a });
    const notYet = (f: () => unknown): void => assert.throws(f, (e: Error & { code?: string }) => e.code === 'ERR_SOCKET_BUFFER_SIZE');
    notYet(() => unconnected.getRecvBufferSize());
    notYet(() => unconnected.setSendBufferSize(65536));
    const s = a.connect(80, B4);
    await once(s, 'connect');
    await until(() => peers.length === 1, 'accept');
    // HOST_PROFILE: 128 KB to start, a window scale for the 6 MiB cap.
    assert.equal(s.getRecvBufferSize(), 131072);
    assert.equal(s.getSendBufferSize(), 131072);
    const ep = (s as unknown as { ep: { conn: { negotiated: { sndWscale: number; rcvWscale: number } } } }).ep;
    assert.equal(ep.conn.negotiated.rcvWscale, 7);
    assert.equal(ep.conn.negotiated.sndWscale, 7);
    s.setRecvBufferSize(1 << 20);
    s.setSendBufferSize(3 << 20);
    assert.equal(s.getRecvBufferSize(), 1 << 20);
    assert.equal(s.getSendBufferSize(), 3 << 20);
    assert.throws(() => s.setRecvBufferSize(0), (e: Error & { code?: string }) => e.code === 'ERR_OUT_OF_RANGE');
    assert.throws(() => s.setRecvBufferSize(1.5), (e: Error & { code?: string }) => e.code === 'ERR_OUT_OF_RANGE');
    // Data still flows after the resize.
    const got: Buffer[] = [];
    peers[0]!.on('data', (d: Buffer) => got.push(d));
    s.write(Buffer.alloc(300_000, 7));
    await until(() => got.reduce((n, d) => n + d.length, 0) === 300_000, 'the data');
    s.destroy();
  } finally {
    stop();
  }
});
