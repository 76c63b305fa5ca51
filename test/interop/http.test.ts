// HTTP between synack and the kernel, both ways, through a TUN in a private
// namespace:
//   - the kernel's curl fetches files from synack's static file server (the
//     one `synack serve --http` runs) over IPv4 and IPv6; sha256sum judges
//     what curl wrote;
//   - synack's client (Node's http on synack sockets) fetches files from a
//     kernel server (python3 -m http.server inside the namespace).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetStack } from '../../src/api/index.js';
import { startService } from '../../src/cli/serve.js';
import { RealClock } from '../../src/stack/index.js';
import { interopSkip, KERNEL_V4, KERNEL_V6, SYNACK_V4, SYNACK_V6, withNetns, type Netns } from './netns.js';
import { hashStream, MB, sha256sum, waitForLine, writeDataFile } from './tools.js';

function site(): { dir: string; files: Record<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), 'synack-site-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>synack</title><p>hello from synack</p>\n');
  writeDataFile(join(dir, 'ten-mb.bin'), 10 * MB, 1);
  writeDataFile(join(dir, 'odd size.bin'), 1_234_567, 2);
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'a.txt'), 'a\n');
  const files: Record<string, string> = {};
  for (const f of ['index.html', 'ten-mb.bin', 'odd size.bin']) files[f] = sha256sum(join(dir, f));
  return { dir, files };
}

async function curl(ns: Netns, url: string, out: string): Promise<{ code: number | null; status: string; stderr: string }> {
  const r = await ns.run(['curl', '-sS', '-g', '-o', out, '-w', '%{http_code} %{size_download}', url], { timeoutMs: 120_000 });
  return { code: r.code, status: r.stdout, stderr: r.stderr };
}

test("the kernel's curl fetches files from synack's HTTP server over IPv4 and IPv6, byte for byte", { skip: interopSkip(['curl']) }, async () => {
  const { dir, files } = site();
  const out = mkdtempSync(join(tmpdir(), 'synack-curl-'));
  try {
    await withNetns(async (ns) => {
      const stack = new NetStack({ clock: new RealClock() });
      try {
        stack.addInterface({ device: ns.tun, addresses: [`${SYNACK_V4}/24`, `${SYNACK_V6}/64`] });
        const service = startService(stack, { name: 'http', port: 8080, dir });
        await service.listening;
        for (const host of [SYNACK_V4, `[${SYNACK_V6}]`]) {
          for (const [name, sha] of Object.entries(files)) {
            const file = join(out, 'got');
            const r = await curl(ns, `http://${host}:8080/${encodeURIComponent(name)}`, file);
            assert.equal(r.code, 0, `curl ${host} ${name}: ${r.stderr}`);
            assert.equal(r.status.split(' ')[0], '200', `${host} ${name}`);
            assert.equal(sha256sum(file), sha, `${name} through ${host}`);
          }
          // The directory index is index.html; a missing file is a 404.
          const idx = await curl(ns, `http://${host}:8080/`, join(out, 'index'));
          assert.equal(readFileSync(join(out, 'index'), 'utf8'), readFileSync(join(dir, 'index.html'), 'utf8'));
          assert.equal(idx.status.split(' ')[0], '200');
          const missing = await curl(ns, `http://${host}:8080/no-such-file`, join(out, 'missing'));
          assert.equal(missing.status.split(' ')[0], '404');
          // A directory without index.html is listed.
          await curl(ns, `http://${host}:8080/sub/`, join(out, 'listing'));
          assert.match(readFileSync(join(out, 'listing'), 'utf8'), /<a href="a\.txt">a\.txt<\/a>/);
        }
        // Several transfers at once, on both families.
        const many = await Promise.all(
          [SYNACK_V4, `[${SYNACK_V6}]`, SYNACK_V4, `[${SYNACK_V6}]`].map((host, i) => curl(ns, `http://${host}:8080/ten-mb.bin`, join(out, `par${i}`))),
        );
        for (let i = 0; i < many.length; i++) {
          assert.equal(many[i]!.code, 0, many[i]!.stderr);
          assert.equal(sha256sum(join(out, `par${i}`)), files['ten-mb.bin']);
        }
        service.close();
        assert.equal(ns.tun.stats.txErrors, 0, ns.tun.stats.txLastError);
        assert.equal(stack.stats.drops.badChecksum, 0, 'the kernel sent nothing synack found corrupt');
      } finally {
        stack.close();
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  }
});

test("synack's HTTP client fetches files from a kernel server (python3 -m http.server) over IPv4 and IPv6", { skip: interopSkip(['python3']) }, async () => {
  const { dir, files } = site();
  try {
    await withNetns(async (ns) => {
      const stack = new NetStack({ clock: new RealClock() });
      // Bound to ::, which takes IPv4 too (Linux's bindv6only is 0 in a new namespace).
      const server = ns.spawn(['python3', '-u', '-m', 'http.server', '8000', '--bind', '::', '--directory', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
      try {
        stack.addInterface({ device: ns.tun, addresses: [`${SYNACK_V4}/24`, `${SYNACK_V6}/64`] });
        await waitForLine(server.stdout!, /Serving HTTP/, 20_000, 'python3 -m http.server');
        const get = (host: string, path: string): Promise<{ status: number; bytes: number; sha256: string; remote: string | undefined }> =>
          new Promise((resolve, reject) => {
            const req = http.get({ host, port: 8000, path, createConnection: () => stack.connect({ host, port: 8000 }) }, (res) => {
              hashStream(res).then((h) => resolve({ status: res.statusCode ?? 0, ...h, remote: res.socket.remoteAddress }), reject);
            });
            req.on('error', reject);
          });
        for (const host of [KERNEL_V4, KERNEL_V6]) {
          for (const [name, sha] of Object.entries(files)) {
            const r = await get(host, `/${encodeURIComponent(name)}`);
            assert.equal(r.status, 200, `${host} ${name}`);
            assert.equal(r.sha256, sha, `${name} from ${host}`);
            assert.equal(r.remote, host);
          }
          assert.equal((await get(host, '/nothing-here')).status, 404);
        }
        assert.equal(ns.tun.stats.txErrors, 0, ns.tun.stats.txLastError);
      } finally {
        server.kill();
        stack.close();
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
