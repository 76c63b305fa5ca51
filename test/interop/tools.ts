// What the interop tests share besides the namespace: test data on disk and
// its sha256 by coreutils (an independent judge of what arrived), the size
// knobs, a tcpdump running on the TUN, and waiting for a line of output.

import { spawnSync } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { closeSync, createReadStream, openSync, writeSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { NetStack } from '../../src/api/index.js';
import type { Socket } from '../../src/api/socket.js';
import type { NetDevice } from '../../src/link/device.js';
import type { Clock } from '../../src/stack/clock.js';
import { RealClock } from '../../src/stack/index.js';
import { SYNACK_V4, SYNACK_V6, type Netns } from './netns.js';

export const MB = 1024 * 1024;

function sizeFromEnv(name: string, dflt: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return dflt;
  const n = Number(text);
  if (!(n > 0) || !Number.isFinite(n)) throw new Error(`${name} must be a positive number of megabytes, got '${text}'`);
  return n;
}

/** Megabytes (MiB) of the bulk transfers: SYNACK_INTEROP_MB, default 100. */
export function interopMB(): number {
  return sizeFromEnv('SYNACK_INTEROP_MB', 100);
}

/**
 * Megabytes synack sends to the kernel through the lossy path:
 * SYNACK_INTEROP_LOSSY_TX_MB, default 100 like the other direction (and
 * never more than SYNACK_INTEROP_MB). With RACK-TLP and undo, synack as a
 * sender moves about 10 Mbit/s under 5% loss and 5% reordering each way on
 * a 2-core machine: 100 MB in about 80 s.
 */
export function lossyTxMB(): number {
  return Math.min(sizeFromEnv('SYNACK_INTEROP_LOSSY_TX_MB', 100), interopMB());
}

/** "100 MB", "2.5 MB". */
export function mbText(mb: number): string {
  return `${Number.isInteger(mb) ? mb : mb.toFixed(1)} MB`;
}

/**
 * Write `bytes` pseudo-random bytes (an AES-128-CTR keystream keyed by
 * `seed`) to `path`. Incompressible, reproducible, and fast to make.
 */
export function writeDataFile(path: string, bytes: number, seed: number): void {
  const key = Buffer.alloc(16);
  key.writeUInt32BE(seed >>> 0, 0);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(MB);
  const fd = openSync(path, 'w');
  try {
    for (let left = bytes; left > 0; ) {
      const n = Math.min(left, zeros.length);
      const chunk = cipher.update(n === zeros.length ? zeros : zeros.subarray(0, n));
      writeSync(fd, chunk);
      left -= n;
    }
  } finally {
    closeSync(fd);
  }
}

/** sha256 of a file by coreutils' sha256sum (not by the code under test). */
export function sha256sum(path: string): string {
  const r = spawnSync('sha256sum', [path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sha256sum ${path}: ${r.stderr}`);
  return r.stdout.split(' ')[0]!;
}

/** A running sha256 and byte count of a stream's data, resolved at its end. */
export function hashStream(stream: Readable): Promise<{ bytes: number; sha256: string }> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    let bytes = 0;
    stream.on('data', (d: Buffer) => {
      bytes += d.length;
      h.update(d);
    });
    stream.once('end', () => resolve({ bytes, sha256: h.digest('hex') }));
    stream.once('error', reject);
  });
}

/** Resolve with the first line of `stream` matching `re` (reject after `timeoutMs`, or if the stream ends first). */
export function waitForLine(stream: Readable, re: RegExp, timeoutMs: number, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${what}: no line matching ${re} within ${timeoutMs} ms; got:\n${seen}`));
    }, timeoutMs);
    const onData = (d: Buffer | string): void => {
      seen += d.toString();
      const line = seen.split('\n').find((l) => re.test(l));
      if (line !== undefined) {
        cleanup();
        resolve(line);
      }
    };
    const onEnd = (): void => {
      cleanup();
      reject(new Error(`${what}: ended before a line matching ${re}; got:\n${seen}`));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
    };
    stream.on('data', onData);
    stream.once('end', onEnd);
  });
}

/** Start tcpdump on the TUN inside the namespace, resolving once it is capturing. `stop()` returns its stderr. */
export function startCapture(ns: Netns, file: string, extra: readonly string[] = []): Promise<{ stop: () => Promise<string> }> {
  return new Promise((resolve, reject) => {
    // -U: write each packet as it comes; -Z root: keep the privileges to write
    // into our private directory; --immediate-mode: no buffering in libpcap;
    // -B 65536: a 64 MiB ring. With the default 2 MiB and a 256 KiB snapshot
    // length the ring holds only a handful of frames, and a burst from the
    // TUN is 'dropped by kernel' before tcpdump reads it.
    const child = ns.spawn(['tcpdump', '-i', ns.ifname, '-nn', '-U', '--immediate-mode', '-B', '65536', '-Z', 'root', ...extra, '-w', file], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let started = false;
    const exited = new Promise<void>((res) => child.once('close', () => res()));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      if (!started && stderr.includes('listening on')) {
        started = true;
        resolve({
          stop: async () => {
            child.kill('SIGINT');
            await exited;
            return stderr;
          },
        });
      }
    });
    child.once('error', reject);
    void exited.then(() => {
      if (!started) reject(new Error(`tcpdump exited before capturing: ${stderr}`));
    });
  });
}

export const HASH_PORT = 5201;

/** A synack server that reads everything, then answers "<bytes> <sha256>\n" and closes. */
export function startHashServer(stack: NetStack, port = HASH_PORT): Promise<void> {
  const server = stack.createServer({ allowHalfOpen: true }, (socket: Socket) => {
    hashStream(socket).then(
      ({ bytes, sha256 }) => socket.end(`${bytes} ${sha256}\n`),
      () => socket.destroy(),
    );
  });
  return new Promise((resolve) => server.listen(port, () => resolve()));
}

/** Send `file` from synack to `host`:`port`, then wait for the connection to close. */
export function sendFile(stack: NetStack, host: string, port: number, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = stack.connect({ host, port }, () => createReadStream(file).pipe(c));
    c.on('error', reject);
    c.on('close', () => resolve());
    c.resume();
  });
}

/**
 * Start `sh -c CMD` inside the namespace, a listener that prints the sha256
 * of what it receives; resolves with that hash. `ready` resolves once the
 * kernel has the listening socket.
 */
export function kernelSink(ns: Netns, cmd: string, port: number): { ready: Promise<void>; sha256: Promise<string> } {
  const child = ns.spawn(['sh', '-c', cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const sha256 = new Promise<string>((resolve, reject) => {
    child.once('close', (code) => (code === 0 ? resolve(out.split(' ')[0]!) : reject(new Error(`${cmd}: exit ${code}: ${err}`))));
  });
  const ready = (async () => {
    for (let i = 0; i < 200; i++) {
      const ss = await ns.run(['ss', '-Htln', `sport = :${port}`], { timeoutMs: 5_000 });
      if (ss.stdout.trim() !== '') return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`${cmd}: not listening on port ${port}: ${err}`);
  })();
  return { ready, sha256 };
}

/** The stack on `device` with both addresses. */
export function stackOn(device: NetDevice, clock: Clock = new RealClock()): NetStack {
  const stack = new NetStack({ clock });
  stack.addInterface({ device, addresses: [`${SYNACK_V4}/24`, `${SYNACK_V6}/64`] });
  return stack;
}
