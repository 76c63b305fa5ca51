// Loading scripts from disk: the address family picks the harness symbols,
// and environment scripts resolve beside the script or in an ancestor's common/.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadScript, shellFileReader } from '../../src/drill/load.js';
import { CORPUS } from './corpus.js';

test('an ipv6 script gets the IPv6 harness symbols and addresses; the command line wins', () => {
  const path = join(CORPUS, 'linux', 'tcp_syncookies_ip6_9k.pkt');
  const l = loadScript(path);
  assert.ok(l.ok);
  assert.deepEqual([l.env.ipVersion, l.env.defines['TFO_COOKIE'], l.env.localIp, l.env.mtu], ['ipv6', 'c1d1e9742a47a9bc', 'fd3d:fa7b:d17d::1', 1520]);
  const v4 = loadScript(path, { ipVersion: 'ipv4' });
  assert.ok(v4.ok);
  assert.deepEqual([v4.env.ipVersion, v4.env.defines['TFO_COOKIE'], v4.env.localIp], ['ipv4', '3021b9d889017eeb', '192.168.0.1']);
  const bsd = loadScript(join(CORPUS, 'freebsd', 'snd-syn', 'snd-syn-mss-inherited-from-mtu-9000-ipv4.pkt'));
  assert.ok(bsd.ok);
  assert.deepEqual([bsd.env.ipVersion, bsd.env.toleranceUsecs, bsd.env.tolerancePercent], ['ipv4', 25000, 12.5]);
});

test('defaults.sh resolves through the nearest common/ when the relative path is missing', () => {
  const script = join(CORPUS, 'google', 'gtests', 'net', 'tcp', 'close', 'close-on-syn-sent.pkt');
  const read = shellFileReader(script);
  const text = read('../common/defaults.sh');
  assert.ok(text !== undefined);
  assert.match(text, /sysctl -q net\.ipv4\.tcp_syn_retries=5/);
  assert.equal(read('/tmp/sysctl_restore_${PPID}.sh'), undefined);
  assert.equal(read('no-such-file.sh'), undefined);
});

test('read and parse failures come back typed', () => {
  const missing = loadScript('/nonexistent/x.pkt');
  assert.equal(!missing.ok && missing.stage, 'read');
  const bad = loadScript(join(CORPUS, 'freebsd', 'fast-open', 'client', 'client-handle-cookie-update-of-length-17.pkt'), { name: 'x.pkt' });
  assert.ok(!bad.ok);
  assert.equal(bad.stage, 'parse');
  assert.equal(bad.message, "x.pkt:1:1: expected a time (0, +0.1, *, 0.1~0.2) at the start of an event, got 's'");
});
