// `synack serve` and `synack connect` without a network: their options,
// the chargen pattern, the static file server (on Node's own loopback, the
// handler is the same one synack's sockets get), and the one-line errors
// when a TUN cannot be had.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chargenLine, DEFAULT_PORTS, defaultPeer, parseNetworkArgs, parseServeArgs, staticFiles, UsageError } from '../../src/cli/serve.js';
import { parseConnectArgs } from '../../src/cli/connect.js';
import { CLI } from '../helpers/paths.js';

test('network options: documented defaults, the kernel address derived from synack’s, checks with reasons', () => {
  const d = parseNetworkArgs([]).net;
  assert.equal(d.dev, 'synack0');
  assert.equal(d.addr, '10.77.0.2/24');
  assert.equal(d.addr6, 'fd77::2/64');
  assert.equal(d.peer, '10.77.0.1');
  assert.equal(d.peer6, 'fd77::1');
  assert.equal(d.configure, true);
  assert.equal(d.impair, null);

  const n = parseNetworkArgs(['--addr', '192.168.50.1/24', '--addr6', 'fd00:1::7/112', '--dev', 'tunx', '--no-configure', '--mtu', '9000', 'extra']);
  assert.equal(n.net.peer, '192.168.50.2', 'the first address after the network is ours: the next one');
  assert.equal(n.net.peer6, 'fd00:1::1');
  assert.equal(n.net.dev, 'tunx');
  assert.equal(n.net.configure, false);
  assert.equal(n.net.mtu, 9000);
  assert.deepEqual(n.rest, ['extra']);
  assert.equal(parseNetworkArgs(['--no-ipv6']).net.addr6, null);
  assert.equal(parseNetworkArgs(['--no-ipv6']).net.peer6, null);
  assert.deepEqual(parseNetworkArgs(['--loss', '0.05', '--reorder', '0.1', '--delay', '2.5', '--seed', '9']).net.impair, { loss: 0.05, reorder: 0.1, delay: 2500 });

  assert.equal(defaultPeer('10.0.0.77/8'), '10.0.0.1');
  assert.equal(defaultPeer('10.0.0.1/30'), '10.0.0.2');

  const bad: Array<[string[], RegExp]> = [
    [['--addr', '10.77.0.2'], /--addr wants an IPv4 address with its prefix length/],
    [['--addr', 'fd77::2/64'], /--addr wants an IPv4 address/],
    [['--addr', '10.77.0.2/32'], /no room for the kernel's address/],
    [['--addr6', '10.0.0.1/24'], /--addr6 wants an IPv6 address/],
    [['--peer', '10.77.0.2'], /synack's own address/],
    [['--loss', '5'], /--loss wants a probability from 0 to 1, got '5'/],
    [['--mtu', '1000'], /IPv6 needs an MTU of at least 1280/],
    [['--mtu', '70000'], /--mtu wants a whole number from 68 to 65535/],
    [['--dev', 'a-name-longer-than-15'], /invalid interface name/],
    [['--backend', 'perl'], /--backend wants auto, addon or python/],
    [['--dev'], /option --dev needs a value/],
  ];
  for (const [argv, re] of bad) assert.throws(() => parseNetworkArgs(argv), (e: unknown) => e instanceof UsageError && re.test(e.message), argv.join(' '));
  assert.equal(parseNetworkArgs(['--mtu', '1000', '--no-ipv6']).net.mtu, 1000);
});

test('serve options: one service, its well-known port unless --port, --http needs a directory', () => {
  assert.deepEqual(DEFAULT_PORTS, { echo: 7, discard: 9, chargen: 19, http: 8080 });
  assert.equal(parseServeArgs(['--echo']).port, 7);
  assert.equal(parseServeArgs(['--discard']).port, 9);
  assert.equal(parseServeArgs(['--chargen', '--port', '1919']).port, 1919);
  const dir = mkdtempSync(join(tmpdir(), 'synack-serve-args-'));
  try {
    const h = parseServeArgs(['--http', dir, '--addr', '10.9.0.2/24']);
    assert.equal(h.service, 'http');
    assert.equal(h.port, 8080);
    assert.equal(h.dir, dir);
    assert.equal(h.net.peer, '10.9.0.1');
    writeFileSync(join(dir, 'f'), 'x');
    assert.throws(() => parseServeArgs(['--http', join(dir, 'f')]), /not a directory/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.throws(() => parseServeArgs([]), /choose a service/);
  assert.throws(() => parseServeArgs(['--echo', '--chargen']), /choose one service \(--echo and --chargen given\)/);
  assert.throws(() => parseServeArgs(['--http', '/no/such/dir']), /no such directory/);
  assert.throws(() => parseServeArgs(['--echo', '--port', '0']), /--port wants a port from 1 to 65535/);
  assert.throws(() => parseServeArgs(['--echo', '--bogus']), /unknown option '--bogus'/);
});

test('connect options: HOST must be an address, PORT a port', () => {
  const c = parseConnectArgs(['fd77::1', '80', '--dev', 'x0']);
  assert.deepEqual([c.host, c.port, c.net.dev], ['fd77::1', 80, 'x0']);
  assert.throws(() => parseConnectArgs(['example.org', '80']), /synack has no resolver/);
  assert.throws(() => parseConnectArgs(['10.77.0.1']), /give the HOST and the PORT/);
  assert.throws(() => parseConnectArgs(['10.77.0.1', '99999']), /PORT must be from 1 to 65535/);
  assert.throws(() => parseConnectArgs(['fd77::1', '80', '--no-ipv6']), /IPv6 but --no-ipv6/);
});

test('chargen lines follow RFC 864: 72 printable characters, each line starting one further, CR LF', () => {
  const l0 = chargenLine(0).toString('latin1');
  assert.equal(l0, ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefg\r\n');
  assert.equal(chargenLine(1).toString('latin1').slice(0, 3), '!"#');
  // After 95 lines the pattern repeats; line 94 starts with '~' and wraps to ' '.
  assert.equal(chargenLine(95).toString('latin1'), l0);
  assert.equal(chargenLine(94).toString('latin1').slice(0, 3), '~ !');
});

async function withFiles(fn: (base: string, root: string) => Promise<void>): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'synack-static-'));
  const outside = mkdtempSync(join(tmpdir(), 'synack-outside-'));
  writeFileSync(join(root, 'index.html'), '<p>home</p>');
  writeFileSync(join(root, 'data.json'), '{"a":1}');
  writeFileSync(join(root, 'with space.txt'), 'spaced');
  mkdirSync(join(root, 'empty'));
  mkdirSync(join(root, 'list'));
  writeFileSync(join(root, 'list', '<b>.txt'), 'x');
  writeFileSync(join(outside, 'secret'), 'secret');
  symlinkSync(join(outside, 'secret'), join(root, 'leak'));
  const server = http.createServer(staticFiles(root));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    await fn(base, root);
  } finally {
    server.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  }
}

function get(url: string, method = 'GET', rawPath?: string): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request({ host: u.hostname, port: u.port, path: rawPath ?? u.pathname, method }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the static file server: files with their type and length, index.html, listings, 301/404/403/405/400, nothing outside the root', async () => {
  await withFiles(async (base) => {
    const home = await get(`${base}/`);
    assert.deepEqual([home.status, home.body, home.headers['content-type']], [200, '<p>home</p>', 'text/html; charset=utf-8']);
    const json = await get(`${base}/data.json`);
    assert.deepEqual([json.status, json.body, json.headers['content-type'], json.headers['content-length']], [200, '{"a":1}', 'application/json', '7']);
    assert.equal((await get(`${base}/with%20space.txt`)).body, 'spaced');
    const head = await get(`${base}/data.json`, 'HEAD');
    assert.deepEqual([head.status, head.body, head.headers['content-length']], [200, '', '7']);
    const redirect = await get(`${base}/empty`);
    assert.deepEqual([redirect.status, redirect.headers.location], [301, '/empty/']);
    const listing = await get(`${base}/list/`);
    assert.equal(listing.status, 200);
    assert.match(listing.body, /<a href="%3Cb%3E\.txt">&#60;b&#62;\.txt<\/a>/, 'names are escaped in the listing');
    assert.equal((await get(`${base}/missing`)).status, 404);
    assert.equal((await get(`${base}/`, 'GET', '/../../etc/passwd')).status, 403);
    assert.equal((await get(`${base}/`, 'GET', '/%2e%2e/%2e%2e/etc/passwd')).status, 403);
    assert.equal((await get(`${base}/leak`)).status, 403, 'a symbolic link out of the root is refused');
    assert.equal((await get(`${base}/`, 'GET', '/%zz')).status, 400);
    const post = await get(`${base}/`, 'POST');
    assert.deepEqual([post.status, post.headers.allow], [405, 'GET, HEAD']);
  });
});

/** Run the CLI; returns status and output. */
function cli(args: string[], opts: { uid?: number; gid?: number } = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000, ...opts });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('without /dev/net/tun: one clear line and exit status 1 (serve and connect)', { skip: process.platform !== 'linux' ? 'TUN devices are Linux only' : undefined }, () => {
  for (const args of [
    ['serve', '--echo', '--tun-path', '/nonexistent/tun'],
    ['connect', '--tun-path', '/nonexistent/tun', '10.77.0.1', '7'],
  ]) {
    const r = cli(args);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
    assert.match(r.stderr, /^synack (serve|connect): \/nonexistent\/tun does not exist: this kernel or container has no TUN support/);
  }
});

function nonRootSkip(): string | undefined {
  if (process.platform !== 'linux') return 'TUN devices are Linux only';
  if (typeof process.getuid !== 'function') return 'no user ids here';
  if (!existsSync('/dev/net/tun')) return 'no /dev/net/tun here (the missing device is the error then, tested above)';
  if (process.getuid() !== 0) return undefined; // already not root: run as we are
  // As root, run the CLI as nobody: it must be able to read the build.
  const r = spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(CLI)}, 4)`], { uid: 65534, gid: 65534 });
  return r.status === 0 ? undefined : 'the build is not readable by the unprivileged user nobody';
}

test('not root: one clear line and exit status 1 (serve and connect)', { skip: nonRootSkip() }, () => {
  const as = process.getuid!() === 0 ? { uid: 65534, gid: 65534 } : {};
  for (const args of [['serve', '--echo'], ['connect', '10.77.0.1', '7']]) {
    const r = cli(args, as);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
    assert.match(r.stderr, /^synack (serve|connect): creating a TUN device needs root \(CAP_NET_ADMIN\): run as root, or with sudo$/m);
  }
});

test('bad arguments: a one-line reason and exit status 2; -h prints the usage', () => {
  const r = cli(['serve', '--echo', '--loss', 'lots']);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, "synack serve: --loss wants a probability from 0 to 1, got 'lots'\n");
  const c = cli(['connect', 'somewhere']);
  assert.equal(c.status, 2);
  assert.equal(c.stderr, 'synack connect: give the HOST and the PORT to connect to\n');
  const h = cli(['serve', '-h']);
  assert.equal(h.status, 0);
  assert.match(h.stdout, /^usage: synack serve/);
  assert.match(cli(['connect', '--help']).stdout, /^usage: synack connect/);
});
