// The commands themselves, run as a person would inside a fresh namespace:
// `synack serve` creates its TUN there and configures the kernel's side,
// then curl, nc and ping talk to it; `synack connect` talks to a kernel nc.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../helpers/paths.js';
import { interopSkip, withBareNetns, type BareNetns } from './netns.js';
import { MB, sha256sum, waitForLine, writeDataFile } from './tools.js';

/** Start `synack serve ARGS` in the namespace; resolves once it says it serves. */
async function serve(ns: BareNetns, args: readonly string[]): Promise<{ child: ChildProcess; stdout: () => string; stderr: () => string; exit: Promise<number | null> }> {
  const child = ns.spawn([process.execPath, CLI, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exit = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  try {
    await waitForLine(child.stdout!, /^synack serve: .* on port \d+ of /, 20_000, 'synack serve');
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`${(e as Error).message}\nstderr: ${err}`);
  }
  return { child, stdout: () => out, stderr: () => err, exit };
}

/** RFC 864's pattern, line n, computed here from the RFC's description. */
function rfc864Line(n: number): string {
  let s = '';
  for (let j = 0; j < 72; j++) s += String.fromCharCode(32 + ((n + j) % 95));
  return `${s}\r\n`;
}

test('synack serve --http in a namespace: curl over IPv4 and IPv6, ping, and a clean exit on SIGTERM', { skip: interopSkip(['curl', 'ping']) }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'synack-serve-'));
  try {
    writeFileSync(join(dir, 'index.html'), '<p>served by synack</p>\n');
    writeDataFile(join(dir, 'blob.bin'), 3 * MB, 5);
    const want = sha256sum(join(dir, 'blob.bin'));
    await withBareNetns(async (ns) => {
      const s = await serve(ns, ['--http', dir, '--dev', 'sk0', '-v']);
      try {
        assert.match(s.stdout(), /http \(files of .*\) on port 8080 of 10\.77\.0\.2 and fd77::2 via sk0 \(MTU 1500\)/);
        assert.match(s.stdout(), /kernel's side of sk0 is 10\.77\.0\.1 and fd77::1/);
        // The kernel's side as ip(8) shows it: our addresses, link up.
        const addrs = await ns.run(['ip', '-o', 'addr', 'show', 'dev', 'sk0']);
        assert.match(addrs.stdout, /inet 10\.77\.0\.1\/24/);
        assert.match(addrs.stdout, /inet6 fd77::1\/64/);
        const page = await ns.run(['curl', '-sS', 'http://10.77.0.2:8080/'], { timeoutMs: 30_000 });
        assert.equal(page.stdout, '<p>served by synack</p>\n', page.stderr);
        const out = join(dir, 'got.bin');
        const blob = await ns.run(['curl', '-sS', '-g', '-o', out, 'http://[fd77::2]:8080/blob.bin'], { timeoutMs: 60_000 });
        assert.equal(blob.code, 0, blob.stderr);
        assert.equal(sha256sum(out), want);
        const p4 = await ns.run(['ping', '-n', '-c', '2', '-i', '0.2', '-W', '2', '10.77.0.2'], { timeoutMs: 20_000 });
        assert.match(p4.stdout, /2 packets transmitted, 2 received/);
        const p6 = await ns.run(['ping', '-6', '-n', '-c', '2', '-i', '0.2', '-W', '2', 'fd77::2'], { timeoutMs: 20_000 });
        assert.match(p6.stdout, /2 packets transmitted, 2 received/);
        // -v logs each connection.
        assert.match(s.stderr(), /synack serve: 10\.77\.0\.1:\d+ connected/);
        assert.match(s.stderr(), /synack serve: \[fd77::1\]:\d+ closed \(\d+ bytes in, \d+ out\)/);
      } finally {
        s.child.kill('SIGTERM');
      }
      assert.equal(await s.exit, 0, s.stderr());
      const gone = await ns.run(['ip', 'link', 'show', 'dev', 'sk0']);
      assert.notEqual(gone.code, 0, 'the interface goes with the process');
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('synack serve --dev attaches to an existing persistent TUN; --no-configure leaves the kernel side as it was set up', { skip: interopSkip(['nc']) }, async () => {
  await withBareNetns(async (ns) => {
    // Made and configured beforehand, the way an administrator would.
    for (const cmd of [
      ['ip', 'tuntap', 'add', 'dev', 'skp', 'mode', 'tun'],
      ['ip', 'addr', 'add', '10.99.0.1/24', 'dev', 'skp'],
      ['ip', 'link', 'set', 'dev', 'skp', 'up'],
    ]) {
      const r = await ns.run(cmd);
      assert.equal(r.code, 0, `${cmd.join(' ')}: ${r.stderr}`);
    }
    const s = await serve(ns, ['--echo', '--dev', 'skp', '--no-configure', '--addr', '10.99.0.2/24', '--no-ipv6']);
    try {
      assert.match(s.stdout(), /echo on port 7 of 10\.99\.0\.2 via skp/);
      assert.doesNotMatch(s.stdout(), /kernel's side/);
      const r = await ns.run(['sh', '-c', 'printf attached | nc -N 10.99.0.2 7'], { timeoutMs: 20_000 });
      assert.equal(r.stdout, 'attached', r.stderr);
      const addrs = await ns.run(['ip', '-o', 'addr', 'show', 'dev', 'skp']);
      assert.doesNotMatch(addrs.stdout, /10\.77\.0\.1/, 'nothing was added');
    } finally {
      s.child.kill('SIGTERM');
    }
    assert.equal(await s.exit, 0);
    // A persistent device outlives synack.
    assert.equal((await ns.run(['ip', 'link', 'show', 'dev', 'skp'])).code, 0);
  });
});

test('synack serve --echo, --discard and --chargen answer nc over TCP and UDP', { skip: interopSkip(['nc', 'sha256sum']) }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'synack-serve-'));
  try {
    const data = join(dir, 'data.bin');
    writeDataFile(data, 2 * MB, 9);
    const want = sha256sum(data);
    await withBareNetns(async (ns) => {
      const echo = await serve(ns, ['--echo', '--dev', 'sk1']);
      try {
        const r = await ns.run(['sh', '-c', `nc -N 10.77.0.2 7 < '${data}' | sha256sum`], { timeoutMs: 60_000 });
        assert.equal(r.stdout.split(' ')[0], want, r.stderr);
        const u = await ns.run(['sh', '-c', 'printf "ping over udp" | nc -u -w 1 10.77.0.2 7'], { timeoutMs: 20_000 });
        assert.equal(u.stdout, 'ping over udp');
        const u6 = await ns.run(['sh', '-c', 'printf "and over udp6" | nc -6 -u -w 1 fd77::2 7'], { timeoutMs: 20_000 });
        assert.equal(u6.stdout, 'and over udp6');
      } finally {
        echo.child.kill('SIGTERM');
      }
      assert.equal(await echo.exit, 0);

      const discard = await serve(ns, ['--discard', '--dev', 'sk2', '--port', '9999']);
      try {
        const r = await ns.run(['sh', '-c', `nc -N 10.77.0.2 9999 < '${data}'; echo "exit $?"`], { timeoutMs: 60_000 });
        assert.equal(r.stdout, 'exit 0\n', r.stderr);
      } finally {
        discard.child.kill('SIGTERM');
      }
      assert.equal(await discard.exit, 0);

      const chargen = await serve(ns, ['--chargen', '--dev', 'sk3']);
      try {
        const r = await ns.run(['sh', '-c', 'nc -d 10.77.0.2 19 | head -c 7400'], { timeoutMs: 30_000 });
        const expected = Array.from({ length: 100 }, (_, n) => rfc864Line(n)).join('');
        assert.equal(r.stdout, expected);
        const u = await ns.run(['sh', '-c', 'printf x | nc -u -w 1 10.77.0.2 19'], { timeoutMs: 20_000 });
        assert.ok(u.stdout.length > 0 && u.stdout.length <= 512, `UDP chargen answers with 0 to 512 characters (${u.stdout.length})`);
        assert.ok(u.stdout.startsWith(rfc864Line(0).slice(0, 72)));
      } finally {
        chargen.child.kill('SIGTERM');
      }
      assert.equal(await chargen.exit, 0);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('synack connect: stdin to a kernel nc, half-close on end of input, the reply to stdout; refused is one line and exit 1', { skip: interopSkip(['nc', 'ss', 'sha256sum']) }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'synack-connect-'));
  try {
    const data = join(dir, 'data.bin');
    writeDataFile(data, 1 * MB, 3);
    const want = sha256sum(data);
    const got = join(dir, 'got.bin');
    const out = join(dir, 'out.txt');
    await withBareNetns(async (ns) => {
      // The kernel listens on any address (synack's link does not exist yet),
      // answers after reading everything (-N: its FIN after the reply).
      const script = [
        `(printf 'thanks\\n' | nc -N -l 5000 > '${got}') &`,
        "until ss -Htln 'sport = :5000' | grep -q .; do sleep 0.05; done",
        `${process.execPath} ${CLI} connect --dev sk4 10.77.0.1 5000 < '${data}' > '${out}'`,
        'echo "connect exit $?"',
        'wait',
      ].join('\n');
      const r = await ns.run(['sh', '-c', script], { timeoutMs: 60_000 });
      assert.equal(r.stdout, 'connect exit 0\n', r.stderr);
      assert.equal(sha256sum(got), want, 'what the kernel nc received');
      assert.equal(readFileSync(out, 'utf8'), 'thanks\n', "the kernel's reply on standard output");

      // IPv6, and input that ends at once: the FIN goes first, the reply still arrives.
      const v6 = [`(printf 'hello6\\n' | nc -6 -N -l 5001 > /dev/null) &`, "until ss -Htln 'sport = :5001' | grep -q .; do sleep 0.05; done", `${process.execPath} ${CLI} connect --dev sk5 fd77::1 5001 < /dev/null`, 'wait'].join('\n');
      const r6 = await ns.run(['sh', '-c', v6], { timeoutMs: 60_000 });
      assert.equal(r6.stdout, 'hello6\n', r6.stderr);

      const refused = await ns.run([process.execPath, CLI, 'connect', '--dev', 'sk6', '10.77.0.1', '5999'], { timeoutMs: 30_000 });
      assert.equal(refused.code, 1);
      assert.equal(refused.stderr, 'synack connect: 10.77.0.1 port 5999: connection refused\n');
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
