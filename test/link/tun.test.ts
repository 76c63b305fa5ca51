// The TUN device: opening and its errors, the interface the kernel makes,
// and packets both ways through a private namespace, for each backend (the
// native addon and the python3-assisted fallback). Tests that need root or
// /dev/net/tun report themselves skipped with the reason.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openTun, type TunOptions } from '../../src/link/tun/index.js';
import { emitIpv4, parseIpv4, parseIpv4Address } from '../../src/wire/ipv4.js';
import { emitIpv6, parseIpv6Address } from '../../src/wire/ipv6.js';
import { emitUdp, IPPROTO_UDP, parseUdp } from '../../src/wire/udp.js';
import { backendSkip, interopSkip, KERNEL_V4, KERNEL_V6, SYNACK_V4, SYNACK_V6, withNetns, type Netns } from '../interop/netns.js';
import { peerPayload } from '../interop/udp-peer.js';

const here = dirname(fileURLToPath(import.meta.url));
const CHILD = join(here, 'tun-child.js');
const UDP_PEER = join(here, '..', 'interop', 'udp-peer.js');
const BACKENDS = ['addon', 'python'] as const;
type Backend = (typeof BACKENDS)[number];

const isLinux = process.platform === 'linux';
const notLinux = isLinux ? undefined : `TUN devices are Linux only (this is ${process.platform})`;

/** Skip reason for tests that open real devices (root, /dev/net/tun, ip, the backend). */
function rootSkip(backend: Backend): string | undefined {
  return interopSkip() ?? backendSkip(backend);
}

let nameCounter = 0;
/** An interface name unique to this process and call (at most 15 bytes). */
function uniqueName(): string {
  return `sk${process.pid % 1_000_000}x${nameCounter++}`;
}

/** `ip -o link show dev NAME` in the root namespace, or null when there is no such interface. */
function linkShow(name: string): string | null {
  const r = spawnSync('ip', ['-o', 'link', 'show', 'dev', name], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout : null;
}

async function rejectsWith(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof Error, 'an Error object');
    assert.equal((e as { code?: unknown }).code, code, `code of: ${e.message}`);
    assert.match(e.message, message);
    return true;
  });
}

// ---------------------------------------------------------------- options

test('bad options are refused with EINVAL before anything is opened', { skip: notLinux }, async () => {
  const cases: [TunOptions, RegExp][] = [
    [{ name: 'a-name-of-16-byt' }, /longer than 15 bytes/],
    [{ name: 'bad/name' }, /not a valid interface name/],
    [{ name: 'two words' }, /not a valid interface name/],
    [{ mtu: 67 }, /MTU must be a whole number from 68 to 65535, got 67/],
    [{ mtu: 65536 }, /got 65536/],
    [{ mtu: 1500.5 }, /got 1500.5/],
    [{ batch: 0 }, /batch must be/],
    [{ txQueueLen: -1 }, /txQueueLen must be/],
  ];
  for (const [opts, message] of cases) {
    // A path that does not exist: were the options not checked first, the
    // error would be ENOENT instead.
    await rejectsWith(openTun({ ...opts, path: '/nonexistent/tun' }), 'EINVAL', message);
  }
});

for (const backend of BACKENDS) {
  test(`a missing clone device is ENOENT, naming the path (${backend})`, { skip: notLinux ?? (backend === 'addon' ? backendSkip('addon') : undefined) }, async () => {
    await rejectsWith(openTun({ backend, path: '/nonexistent/net/tun' }), 'ENOENT', /\/nonexistent\/net\/tun does not exist.*mknod/);
  });

  test(`a file that is not a TUN clone device is ENOTTY (${backend})`, { skip: notLinux ?? backendSkip(backend) }, async () => {
    await rejectsWith(openTun({ backend, path: '/dev/null' }), 'ENOTTY', /\/dev\/null is not a TUN clone device/);
  });
}

/** Runs test/link/tun-child.js; resolves with its stdout once it exits. */
function runChild(args: string[], opts: { uid?: number; gid?: number; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, ...args], { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function permissionSkip(backend: Backend): string | undefined {
  if (notLinux !== undefined) return notLinux;
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun does not exist';
  return backendSkip(backend);
}

for (const backend of BACKENDS) {
  test(`without root, opening is refused with a permission error that says so (${backend})`, { skip: permissionSkip(backend) }, async (t) => {
    let out: { code: string; message: string };
    if (isRoot) {
      // Drop to nobody in a child.
      const r = await runChild(['open-error', JSON.stringify({ backend })], { uid: 65534, gid: 65534 });
      assert.equal(r.code, 0, r.stderr);
      out = JSON.parse(r.stdout) as { code: string; message: string };
    } else {
      try {
        const tun = await openTun({ backend });
        tun.close();
        await tun.closed;
        t.skip('this process creates TUN devices without being root (it has CAP_NET_ADMIN)');
        return;
      } catch (e) {
        out = { code: String((e as { code?: unknown }).code), message: (e as Error).message };
      }
    }
    // /dev/net/tun mode 0600 refuses the open (EACCES); mode 0666 lets it
    // open and the ioctl is refused instead (EPERM).
    assert.ok(out.code === 'EACCES' || out.code === 'EPERM', `code ${out.code}: ${out.message}`);
    assert.match(out.message, /needs root or CAP_NET_ADMIN/);
  });
}

test("backend 'addon' without the addon is ENOTSUP; the default falls back to python3", { skip: rootSkip('python') }, async () => {
  const env = { ...process.env, SYNACK_TUN_ADDON: '0' };
  const strict = JSON.parse((await runChild(['open-error', JSON.stringify({ backend: 'addon' })], { env })).stdout) as { code: string; message: string };
  assert.equal(strict.code, 'ENOTSUP');
  assert.match(strict.message, /addon is not available: disabled by SYNACK_TUN_ADDON=0/);
  const auto = JSON.parse((await runChild(['open-error', '{}'], { env })).stdout) as { code: string; backend?: string };
  assert.deepEqual(auto, { code: '', message: '', backend: 'python' });
});

// ---------------------------------------------------------------- the interface

for (const backend of BACKENDS) {
  test(`opens the interface with the name, MTU and queue length asked for; it goes away on close (${backend})`, { skip: rootSkip(backend) }, async () => {
    const name = uniqueName();
    const tun = await openTun({ backend, name, mtu: 9000, txQueueLen: 5000 });
    try {
      assert.equal(tun.name, name);
      assert.equal(tun.mtu, 9000);
      assert.equal(tun.backendKind, backend);
      const shown = linkShow(name);
      assert.ok(shown !== null, 'ip link shows the interface');
      assert.match(shown, /<POINTOPOINT,MULTICAST,NOARP>/, 'a TUN: point-to-point, no ARP, down until configured');
      assert.match(shown, / mtu 9000 /);
      assert.match(shown, / qlen 5000/);
      assert.match(shown, /link\/none/, 'no link-layer header (IFF_TUN, not TAP)');
    } finally {
      tun.close();
      await tun.closed;
    }
    assert.equal(linkShow(name), null, 'a non-persistent interface disappears with its last descriptor');
  });

  test(`the kernel numbers a %d name, and leaves MTU 1500 when none is asked for (${backend})`, { skip: rootSkip(backend) }, async () => {
    const tun = await openTun({ backend, name: `sk${process.pid % 100000}n%d` });
    try {
      assert.match(tun.name, new RegExp(`^sk${process.pid % 100000}n\\d+$`));
      assert.equal(tun.mtu, 1500);
      assert.ok(linkShow(tun.name) !== null);
    } finally {
      tun.close();
      await tun.closed;
    }
  });

  test(`a name in use: EBUSY for single-queue; multi-queue attaches several queues, not mixed with single (${backend})`, { skip: rootSkip(backend) }, async () => {
    const single = uniqueName();
    const a = await openTun({ backend, name: single });
    try {
      await rejectsWith(openTun({ backend, name: single }), 'EBUSY', new RegExp(`'${single}': it exists and is in use`));
      await rejectsWith(openTun({ backend, name: single, multiQueue: true }), 'EINVAL', /exists with other flags/);
    } finally {
      a.close();
      await a.closed;
    }
    const multi = uniqueName();
    const q1 = await openTun({ backend, name: multi, multiQueue: true });
    const q2 = await openTun({ backend, name: multi, multiQueue: true });
    try {
      assert.equal(q1.name, multi);
      assert.equal(q2.name, multi);
      assert.notEqual(q1.fd, q2.fd);
      await rejectsWith(openTun({ backend, name: multi }), 'EINVAL', /exists with other flags/);
    } finally {
      q1.close();
      await q1.closed;
      assert.ok(linkShow(multi) !== null, 'the interface lives while one queue is open');
      q2.close();
      await q2.closed;
    }
    assert.equal(linkShow(multi), null);
  });

  test(`refused writes are counted, never thrown (${backend})`, { skip: rootSkip(backend) }, async () => {
    const tun = await openTun({ backend });
    try {
      const good = udp4(new Uint8Array(8), 9);
      // The interface is down: the kernel refuses every packet with EIO.
      tun.send(good);
      tun.flush();
      assert.equal(tun.stats.txErrors, 1);
      assert.equal(tun.stats.txLastError, 'EIO');
      assert.equal(tun.stats.txPackets, 0);
      assert.equal(spawnSync('ip', ['link', 'set', 'dev', tun.name, 'up']).status, 0);
      // Up, but not IPv4 nor IPv6 (version nibble 0): EINVAL, alone and inside a batch.
      tun.send(new Uint8Array(20));
      tun.flush();
      assert.equal(tun.stats.txErrors, 2);
      assert.equal(tun.stats.txLastError, 'EINVAL');
      tun.sendBatch([udp4(new Uint8Array(8), 9), new Uint8Array(40), udp4(new Uint8Array(100), 9)]);
      assert.equal(tun.stats.txErrors, 3);
      assert.equal(tun.stats.txPackets, 2);
      assert.equal(tun.stats.txBytes, 28 + 8 + 28 + 100);
    } finally {
      tun.close();
      await tun.closed;
    }
    tun.send(udp4(new Uint8Array(1), 9));
    assert.equal(tun.stats.txAfterClose, 1);
  });

  test(`process.exit() returns at once with a device open; unref() lets the process end; open it keeps it alive (${backend})`, { skip: rootSkip(backend) }, async () => {
    const started = Date.now();
    const exited = await runChild(['exit', backend]);
    assert.equal(exited.code, 0, exited.stderr);
    assert.match(exited.stdout, /^open \S+\n$/);
    const unrefd = await runChild(['unref', backend]);
    assert.equal(unrefd.code, 0, unrefd.stderr);
    assert.match(unrefd.stdout, /^open \S+\n$/);
    // Generous: only a hang (a read stuck in the thread pool, a helper left
    // running) would take this long.
    assert.ok(Date.now() - started < 15_000, 'both children ended by themselves');

    const child = spawn(process.execPath, [CHILD, 'ref', backend], { stdio: ['ignore', 'pipe', 'inherit'] });
    const name = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => {
        out += s;
        const m = /^open (\S+)\n/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('close', () => reject(new Error('the child ended although its device was open')));
    });
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(child.exitCode, null, 'still running with its device open');
    assert.ok(linkShow(name) !== null);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('close', r));
  });
}

// ---------------------------------------------------------------- packets through a namespace

const SRC4 = bytes4(SYNACK_V4);
const DST4 = bytes4(KERNEL_V4);

function bytes4(text: string): Uint8Array {
  const r = parseIpv4Address(text);
  if (!r.ok) throw new Error(r.error.reason);
  return r.value;
}

function bytes6(text: string): Uint8Array {
  const r = parseIpv6Address(text);
  if (!r.ok) throw new Error(r.error.reason);
  return r.value;
}

/** An IPv4/UDP packet from synack (port 4000) to the kernel side. */
function udp4(payload: Uint8Array, dstPort: number, identification = 0): Uint8Array {
  const out = new Uint8Array(28 + payload.length);
  emitIpv4({ ttl: 64, protocol: IPPROTO_UDP, src: SRC4, dst: DST4, identification, flags: { DF: true } }, 8 + payload.length, out);
  emitUdp({ srcPort: 4000, dstPort, payload }, SRC4, DST4, out, 20);
  return out;
}

/** An IPv6/UDP packet from synack (port 4000) to the kernel side. */
function udp6(payload: Uint8Array, dstPort: number): Uint8Array {
  const src = bytes6(SYNACK_V6);
  const dst = bytes6(KERNEL_V6);
  const out = new Uint8Array(48 + payload.length);
  emitIpv6({ nextHeader: IPPROTO_UDP, hopLimit: 64, src, dst }, 8 + payload.length, out);
  emitUdp({ srcPort: 4000, dstPort, payload }, src, dst, out, 40);
  return out;
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** Start the UDP peer receiving inside the namespace; resolves when it is bound. */
function startReceiver(ns: Netns, port: number, count: number): Promise<{ done: Promise<{ from: string; data: string }[]> }> {
  return new Promise((resolve, reject) => {
    const child = ns.spawn([process.execPath, UDP_PEER, 'recv', '6', String(port), String(count)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let ready = false;
    const done = new Promise<{ from: string; data: string }[]>((res) => {
      child.once('close', () =>
        res(
          out
            .split('\n')
            .filter((l) => l.startsWith('{'))
            .map((l) => JSON.parse(l) as { from: string; data: string }),
        ),
      );
    });
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
    child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      if (!ready && out.startsWith('ready\n')) {
        ready = true;
        resolve({ done });
      }
    });
    child.once('error', reject);
    void done.then(() => {
      if (!ready) reject(new Error(`udp peer ended before it was ready: ${err}`));
    });
  });
}

for (const backend of BACKENDS) {
  test(`kernel UDP datagrams arrive one packet per read, intact, each in a buffer of its own (${backend})`, { skip: interopSkip() ?? backendSkip(backend) }, async () => {
    await withNetns(
      async (ns) => {
        const received: Uint8Array[] = [];
        const vouched: boolean[] = [];
        ns.tun.onReceive = (p, checksumValid) => {
          received.push(p);
          vouched.push(checksumValid === true);
        };
        // Empty, tiny, full-MTU and in between; 200 of them so that reads come in batches.
        const sizes = [0, 1, 8972, 1472, 1473, 4000];
        for (let k = sizes.length; k < 200; k++) sizes.push((k * 37) % 1400);
        const r = await ns.run([process.execPath, UDP_PEER, 'send', SYNACK_V4, '9', ...sizes.map(String)], { timeoutMs: 20_000 });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, `sent ${sizes.length}\n`);
        const deadline = Date.now() + 5000;
        const datagrams = (): Uint8Array[] =>
          received.flatMap((p, i) => {
            const ip = parseIpv4(p);
            if (!ip.ok || ip.value.protocol !== IPPROTO_UDP) return [];
            // With checksum offload the kernel leaves the checksum to the
            // device (only the pseudo-header sum is there): not verified.
            const u = vouched[i] ? parseUdp(ip.value.payload) : parseUdp(ip.value.payload, { src: ip.value.src, dst: ip.value.dst });
            return u.ok && u.value.dstPort === 9 ? [u.value.payload] : [];
          });
        while (datagrams().length < sizes.length && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
        // Checked only now, after every read: a buffer reused by a later
        // read would show another datagram's bytes here.
        const got = datagrams();
        assert.equal(got.length, sizes.length);
        got.forEach((payload, k) => assert.equal(hex(payload), hex(peerPayload(k, sizes[k]!)), `datagram ${k} (${sizes[k]} bytes)`));
        const buffers = new Set(received.map((p) => p.buffer));
        assert.equal(buffers.size, received.length, 'no two packets share memory');
        // The addon opens the device with virtio headers and checksum
        // offload; the python3 fallback cannot.
        assert.equal(ns.tun.checksumOffload, backend === 'addon');
        assert.equal(vouched.every((v) => v === ns.tun.checksumOffload), true);
        const s = ns.tun.stats;
        assert.equal(s.rxPackets, received.length);
        assert.equal(s.rxBytes, received.reduce((n, p) => n + p.length, 0));
        assert.ok(s.rxBatches >= 1 && s.rxBatches <= s.rxPackets);
      },
      { tun: { backend, mtu: 9000 } },
    );
  });

  test(`UDP written by synack reaches a kernel socket intact; send() in one tick goes out in batches (${backend})`, { skip: interopSkip() ?? backendSkip(backend) }, async () => {
    await withNetns(
      async (ns) => {
        const port = 5555;
        const payloads: Uint8Array[] = [];
        // Mostly small, so that a burst fits the receiving socket's buffer.
        for (let k = 0; k < 130; k++) payloads.push(peerPayload(k, [0, 1, 1472][k] ?? (k * 53) % 500));
        const v6payload = peerPayload(999, 1452); // fills a 1500-byte IPv6 packet
        const receiver = await startReceiver(ns, port, payloads.length + 1);
        const before = ns.tun.stats.txBatches;
        // 100 in one tick: the first 64 fill a batch and go at once, the
        // other 36 at the end of the tick.
        for (let k = 0; k < 100; k++) ns.tun.send(udp4(payloads[k]!, port, k));
        assert.equal(ns.tun.stats.txBatches - before, 1);
        await Promise.resolve();
        assert.equal(ns.tun.stats.txBatches - before, 2);
        ns.tun.sendBatch(payloads.slice(100).map((p, i) => udp4(p, port, 100 + i)));
        ns.tun.send(udp6(v6payload, port));
        ns.tun.flush();
        assert.equal(ns.tun.stats.txBatches - before, 4);
        assert.equal(ns.tun.stats.txErrors, 0, ns.tun.stats.txLastError);
        const got = await receiver.done;
        const want = [...payloads.map((p) => `::ffff:${SYNACK_V4}:4000 ${hex(p)}`), `${SYNACK_V6}:4000 ${hex(v6payload)}`];
        assert.deepEqual(got.map((g) => `${g.from} ${g.data}`).sort(), want.sort());
      },
      { tun: { backend } },
    );
  });
}
