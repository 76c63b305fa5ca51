// Node's own http server and client, unchanged, over synack sockets: two
// simulated hosts, the virtual clock pumped from the real event loop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { makeNetPair, startPump, A4, B4, B6, type NetPair } from './helpers.js';
import type { Socket } from '../../src/api/socket.js';

const MB = 1024 * 1024;

/** Deterministic pseudo-random bytes (xorshift), generated in 64 KiB chunks. */
function* body(total: number, seed: number): Generator<Buffer> {
  let x = seed | 1;
  for (let done = 0; done < total; ) {
    const n = Math.min(65536, total - done);
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      b[i] = x & 0xff;
    }
    done += n;
    yield b;
  }
}

function sha256Of(total: number, seed: number): string {
  const h = createHash('sha256');
  for (const b of body(total, seed)) h.update(b);
  return h.digest('hex');
}

interface Served {
  pair: NetPair;
  stop: () => void;
  httpServer: http.Server;
  /** What the server saw of each upload: sha256 and size. */
  uploads: Array<{ sha: string; size: number; remote: string | undefined }>;
  /** write() calls on the server that returned false, and 'drain' events. */
  pressure: { falseWrites: number; drains: number; maxBuffered: number };
}

function serve(): Served {
  const pair = makeNetPair({ ab: { delay: 500, bandwidth: 200e6 }, ba: { delay: 500, bandwidth: 200e6 }, seed: 42 });
  const stop = startPump(pair.clock);
  const uploads: Served['uploads'] = [];
  const pressure = { falseWrites: 0, drains: 0, maxBuffered: 0 };
  const httpServer = http.createServer((req, res) => {
    if (req.method === 'POST') {
      const h = createHash('sha256');
      let size = 0;
      req.on('data', (d: Buffer) => {
        h.update(d);
        size += d.length;
      });
      req.on('end', () => {
        const sha = h.digest('hex');
        uploads.push({ sha, size, remote: req.socket.remoteAddress });
        res.setHeader('content-type', 'text/plain');
        res.end(`${size} ${sha}`);
      });
      return;
    }
    const m = /^\/bytes\/(\d+)\/(\d+)$/.exec(req.url ?? '');
    if (m === null) {
      res.statusCode = 404;
      res.end('not found');
      return;
    }
    const total = Number(m[1]);
    res.setHeader('content-length', String(total));
    // Write by hand, honouring write()'s return value and 'drain'.
    const chunks = body(total, Number(m[2]));
    const pump = (): void => {
      for (;;) {
        const next = chunks.next();
        if (next.done) {
          res.end();
          return;
        }
        const ok = res.write(next.value);
        pressure.maxBuffered = Math.max(pressure.maxBuffered, res.socket?.writableLength ?? 0);
        if (!ok) {
          pressure.falseWrites++;
          res.once('drain', () => {
            pressure.drains++;
            pump();
          });
          return;
        }
      }
    };
    pump();
  });
  const server = pair.b.createServer((s: Socket) => httpServer.emit('connection', s));
  server.listen(80);
  return { pair, stop, httpServer, uploads, pressure };
}

function request(
  pair: NetPair,
  host: string,
  opts: http.RequestOptions,
  upload?: Readable,
  slowReader = false,
): Promise<{ status: number; sha: string; size: number; text: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ ...opts, createConnection: () => pair.a.connect({ host, port: 80 }) }, (res) => {
      const h = createHash('sha256');
      let size = 0;
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => {
        h.update(d);
        size += d.length;
        if (size <= 4096) parts.push(d);
        if (slowReader && size % (256 * 1024) < d.length) {
          // Stop reading for a while: the window must close, not the memory grow.
          res.pause();
          setTimeout(() => res.resume(), 5);
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, sha: h.digest('hex'), size, text: Buffer.concat(parts).toString(), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (upload !== undefined) upload.pipe(req);
    else req.end();
  });
}

for (const [family, host] of [
  ['IPv4', B4],
  ['IPv6', B6],
] as const) {
  test(`http over ${family}: a small GET, a 404, and a 10 MB download with back-pressure, bytes verified by sha256`, async () => {
    const s = serve();
    try {
      const small = await request(s.pair, host, { path: '/bytes/1000/7' });
      assert.equal(small.status, 200);
      assert.equal(small.size, 1000);
      assert.equal(small.sha, sha256Of(1000, 7));

      const missing = await request(s.pair, host, { path: '/nothing' });
      assert.equal(missing.status, 404);
      assert.equal(missing.text, 'not found');

      const big = await request(s.pair, host, { path: `/bytes/${10 * MB}/99` }, undefined, true);
      assert.equal(big.status, 200);
      assert.equal(big.headers['content-length'], String(10 * MB));
      assert.equal(big.size, 10 * MB);
      assert.equal(big.sha, sha256Of(10 * MB, 99));
      // Back-pressure reached the server: writes were refused and resumed
      // on 'drain', and the socket never buffered more than a few chunks.
      assert.ok(s.pressure.falseWrites > 0, 'write() returned false');
      assert.equal(s.pressure.drains, s.pressure.falseWrites);
      assert.ok(s.pressure.maxBuffered < 1 * MB, `server socket buffered ${s.pressure.maxBuffered} bytes`);
      assert.equal(s.pair.a.stats.drops.badChecksum + s.pair.b.stats.drops.badChecksum, 0);
    } finally {
      s.stop();
    }
  });

  test(`http over ${family}: a 10 MB upload piped into http.request, hashed by the server`, async () => {
    const s = serve();
    try {
      const r = await request(s.pair, host, { method: 'POST', path: '/upload' }, Readable.from(body(10 * MB, 5)));
      assert.equal(r.status, 200);
      const expected = sha256Of(10 * MB, 5);
      assert.equal(r.text, `${10 * MB} ${expected}`);
      assert.equal(s.uploads.length, 1);
      assert.equal(s.uploads[0]!.remote, family === 'IPv4' ? `::ffff:${A4}` : 'fd00::1');
    } finally {
      s.stop();
    }
  });
}

test('http keep-alive: several requests reuse one connection through an Agent', async () => {
  const s = serve();
  try {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    // The agent makes its connections on the stack.
    (agent as unknown as { createConnection: (o: { port?: number }, cb?: unknown) => Socket }).createConnection = () => s.pair.a.connect({ host: B4, port: 80 });
    const results: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await request(s.pair, B4, { path: `/bytes/${100 + i}/1`, agent });
      results.push(r.size);
    }
    assert.deepEqual(results, [100, 101, 102, 103, 104]);
    assert.equal(s.pair.b.stats.tcpPassiveOpens, 1, 'one connection for all five');
    agent.destroy();
  } finally {
    s.stop();
  }
});
