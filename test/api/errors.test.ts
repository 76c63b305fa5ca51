// Every error code a socket or server reports, each from a real situation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { makeNetPair, startPump, A4, B4, B6 } from './helpers.js';
import type { Socket } from '../../src/api/socket.js';
import type { StackError } from '../../src/stack/errors.js';

type SysErr = Error & { code: string; errno: number; syscall: string; address?: string; port?: number };

test('ECONNREFUSED: connecting to a closed port', async () => {
  const { clock, a } = makeNetPair({ ab: { delay: 1000 }, ba: { delay: 1000 } });
  const stop = startPump(clock);
  try {
    const s = a.connect({ host: B4, port: 9 });
    assert.equal(s.connecting, true);
    assert.equal(s.readyState, 'opening');
    const closed = new Promise((resolve) => s.once('close', (...args: unknown[]) => resolve(args)));
    const [err] = (await once(s, 'error')) as [SysErr];
    assert.equal(err.code, 'ECONNREFUSED');
    assert.equal(err.errno, -111);
    assert.equal(err.syscall, 'connect');
    assert.equal(err.address, B4);
    assert.equal(err.port, 9);
    assert.equal(err.message, `connect ECONNREFUSED ${B4}:9`);
    assert.ok(err instanceof Error);
    assert.deepEqual(await closed, [true], "'close' says hadError");
    assert.equal(s.connecting, false);
    assert.equal(s.destroyed, true);
    assert.equal(s.readyState, 'closed');
  } finally {
    stop();
  }
});

test('ETIMEDOUT: a dead peer never answers the SYN (6 retries, 127 s of virtual time)', async () => {
  const { clock, a, link } = makeNetPair();
  link.b.onReceive = () => {};
  const stop = startPump(clock);
  try {
    const s = a.connect(80, B6);
    const [err] = (await once(s, 'error')) as [SysErr];
    assert.equal(err.code, 'ETIMEDOUT');
    assert.equal(err.errno, -110);
    assert.equal(err.syscall, 'connect');
    assert.equal(err.message, `connect ETIMEDOUT ${B6}:80`);
    assert.equal(clock.now(), 127_000_000);
  } finally {
    stop();
  }
});

test('ETIMEDOUT: keepalive probes to a peer that died after the handshake', async () => {
  const { clock, a, b, link } = makeNetPair();
  const stop = startPump(clock);
  try {
    b.createServer(() => {}).listen(80);
    const s = a.connect({ host: B4, port: 80, keepAlive: true, keepAliveInitialDelay: 10_000 });
    await once(s, 'connect');
    const t0 = clock.now();
    link.b.onReceive = () => {}; // the peer vanishes without a word
    const [err] = (await once(s, 'error')) as [SysErr];
    assert.equal(err.code, 'ETIMEDOUT');
    assert.equal(err.syscall, 'read');
    // 10 s idle, then 9 unanswered probes 75 s apart (Linux defaults).
    assert.equal(clock.now() - t0, 10_000_000 + 9 * 75_000_000);
  } finally {
    stop();
  }
});

test('ETIMEDOUT: data retransmitted to a dead peer until retries2 gives up', async () => {
  const { clock, a, b, link } = makeNetPair();
  const stop = startPump(clock);
  try {
    b.createServer(() => {}).listen(80);
    const s = a.connect({ host: B4, port: 80 });
    await once(s, 'connect');
    link.b.onReceive = () => {};
    s.write('hello?');
    const [err] = (await once(s, 'error')) as [SysErr];
    assert.equal(err.code, 'ETIMEDOUT');
    assert.ok(a.stats.tcpRetransmits >= 15, `${a.stats.tcpRetransmits} retransmissions`);
  } finally {
    stop();
  }
});

test('ECONNRESET: the peer resets the connection', async () => {
  const { clock, a, b } = makeNetPair();
  const stop = startPump(clock);
  try {
    const server = b.createServer((sock) => sock.resetAndDestroy());
    server.listen(80);
    const s = a.connect({ host: B4, port: 80 });
    const [err] = (await once(s, 'error')) as [SysErr];
    assert.equal(err.code, 'ECONNRESET');
    assert.equal(err.errno, -104);
    assert.equal(err.syscall, 'read');
    assert.equal(err.message, 'read ECONNRESET');
  } finally {
    stop();
  }
});

test('EADDRINUSE: a second server on the same port, and a connect bound to a listening port', async () => {
  const { clock, a } = makeNetPair();
  const stop = startPump(clock);
  try {
    const first = a.createServer();
    first.listen(8080);
    await once(first, 'listening');
    const second = a.createServer();
    second.listen(8080);
    const [err] = (await once(second, 'error')) as [SysErr];
    assert.equal(err.code, 'EADDRINUSE');
    assert.equal(err.errno, -98);
    assert.equal(err.syscall, 'listen');
    assert.equal(err.address, '::');
    assert.equal(err.port, 8080);
    assert.equal(err.message, 'listen EADDRINUSE: address already in use :::8080');
    assert.equal(second.listening, false);
    assert.equal(second.address(), null);

    const s = a.connect({ host: B4, port: 80, localPort: 8080 });
    const [err2] = (await once(s, 'error')) as [SysErr];
    assert.equal(err2.code, 'EADDRINUSE');
    assert.equal(err2.syscall, 'bind');
  } finally {
    stop();
  }
});

test('writing after end(): ERR_STREAM_WRITE_AFTER_END, as Node does', async () => {
  const { clock, a, b } = makeNetPair();
  const stop = startPump(clock);
  try {
    b.createServer((sock) => sock.resume()).listen(80);
    const s = a.connect({ host: B4, port: 80 });
    await once(s, 'connect');
    s.end('bye');
    let cbErr: Error | null | undefined;
    s.write('too late', (e) => (cbErr = e));
    const [err] = (await once(s, 'error')) as [Error & { code: string }];
    assert.equal(err.code, 'ERR_STREAM_WRITE_AFTER_END');
    assert.equal((cbErr as { code?: string } | undefined)?.code, 'ERR_STREAM_WRITE_AFTER_END');
  } finally {
    stop();
  }
});

test('EPIPE: writing on after the peer closed, until its RST comes back (Linux: RST in CLOSE_WAIT)', async () => {
  const { clock, a, b } = makeNetPair({ ab: { delay: 1000 }, ba: { delay: 1000 } });
  const stop = startPump(clock);
  try {
    let serverSide: Socket | undefined;
    let ended: Promise<unknown> | undefined;
    const server = b.createServer({ allowHalfOpen: true }, (sock) => {
      serverSide = sock;
      ended = once(sock, 'end');
      sock.resume();
    });
    server.listen(80);
    const s = a.connect({ host: B4, port: 80 });
    await once(s, 'connect');
    // The client closes completely: FIN, and nobody reads what comes after.
    s.end();
    s.destroy();
    while (serverSide === undefined) await new Promise((r) => setImmediate(r));
    const peer = serverSide;
    await ended;
    assert.equal(peer.readyState, 'writeOnly');
    const errP = once(peer, 'error');
    // The half-open side keeps writing; the closed peer answers with RST.
    const tick = setInterval(() => {
      if (!peer.destroyed) peer.write('still talking');
    }, 1);
    try {
      const [err] = (await errP) as [SysErr];
      assert.equal(err.code, 'EPIPE');
      assert.equal(err.errno, -32);
      assert.equal(err.syscall, 'write');
      assert.equal(err.message, 'write EPIPE');
    } finally {
      clearInterval(tick);
    }
  } finally {
    stop();
  }
});

test("bad arguments throw Node's ERR_* errors synchronously", () => {
  const { a } = makeNetPair();
  const code = (fn: () => unknown): string => {
    try {
      fn();
    } catch (e) {
      return `${(e as Error).constructor.name}/${(e as { code: string }).code}`;
    }
    return 'no throw';
  };
  assert.equal(code(() => a.connect({ host: B4, port: 70000 })), 'RangeError/ERR_SOCKET_BAD_PORT');
  assert.equal(code(() => a.connect({ host: B4, port: -1 })), 'RangeError/ERR_SOCKET_BAD_PORT');
  assert.equal(code(() => a.connect({ host: B4, port: 'http' })), 'RangeError/ERR_SOCKET_BAD_PORT');
  assert.equal(code(() => a.connect({ host: B4, port: {} as unknown as number })), 'TypeError/ERR_INVALID_ARG_TYPE');
  assert.equal(code(() => a.connect({ host: B4, port: 80, localAddress: 'not-an-ip' })), 'TypeError/ERR_INVALID_IP_ADDRESS');
  assert.equal(code(() => a.connect({ host: B4, port: 80, localPort: 1.5 })), 'TypeError/ERR_INVALID_ARG_TYPE');
  assert.equal(code(() => a.createServer().listen(65536)), 'RangeError/ERR_SOCKET_BAD_PORT');
  const srv = a.createServer();
  srv.listen(1234);
  assert.equal(code(() => srv.listen(1235)), 'Error/ERR_SERVER_ALREADY_LISTEN');
  const s = a.connect({ host: B4, port: 80 });
  s.on('error', () => {});
  assert.equal(code(() => s.setTimeout(-1)), 'RangeError/ERR_OUT_OF_RANGE');
  assert.equal(code(() => s.setTimeout('5' as unknown as number)), 'TypeError/ERR_INVALID_ARG_TYPE');
  assert.equal(code(() => s.connect({ host: B4, port: 81 })), 'StackError/EISCONN');
  s.destroy();
  srv.close();
});

test('EINVAL, ENETUNREACH, ENOTFOUND: connect failures found by the stack arrive as errors', async () => {
  const { clock, a } = makeNetPair();
  const stop = startPump(clock);
  try {
    // An IPv6 local address for an IPv4 destination: bind EINVAL.
    const s1 = a.connect({ host: B4, port: 80, localAddress: 'fd00::1' });
    const [e1] = (await once(s1, 'error')) as [SysErr];
    assert.equal(e1.code, 'EINVAL');
    assert.equal(e1.errno, -22);
    assert.equal(e1.syscall, 'bind');
    // A local address that is not ours.
    const s2 = a.connect({ host: B4, port: 80, localAddress: '10.0.0.99' });
    const [e2] = (await once(s2, 'error')) as [SysErr];
    assert.equal(e2.code, 'EADDRNOTAVAIL');
    // No route.
    const s3 = a.connect({ host: '198.51.100.1', port: 80 });
    const [e3] = (await once(s3, 'error')) as [SysErr];
    assert.equal(e3.code, 'ENETUNREACH');
    assert.equal(e3.message, 'connect ENETUNREACH 198.51.100.1:80');
    // No resolver: names other than localhost are not found.
    const s4 = a.connect({ host: 'example.com', port: 80 });
    const [e4] = (await once(s4, 'error')) as [SysErr & { hostname: string }];
    assert.equal(e4.code, 'ENOTFOUND');
    assert.equal(e4.syscall, 'getaddrinfo');
    assert.equal(e4.hostname, 'example.com');
    const srv = a.createServer();
    srv.listen(80, '192.0.2.55');
    const [e5] = (await once(srv, 'error')) as [StackError];
    assert.equal(e5.code, 'EADDRNOTAVAIL');
    assert.equal(e5.syscall, 'listen');
  } finally {
    stop();
  }
});

test('errors of a failed connect are Error instances with the properties Node gives them', async () => {
  const { clock, a } = makeNetPair();
  const stop = startPump(clock);
  try {
    const s = a.connect({ host: A4, port: 1 }); // our own address, nothing listening
    const [err] = (await once(s, 'error')) as [SysErr];
    assert.equal(Object.prototype.toString.call(err), '[object Error]');
    assert.equal(err.name, 'Error');
    assert.deepEqual(
      { code: err.code, errno: err.errno, syscall: err.syscall, address: err.address, port: err.port },
      { code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address: A4, port: 1 },
    );
  } finally {
    stop();
  }
});
