#!/usr/bin/env node
// Builds the TUN helper addon (native/tun.c -> build/Release/synack_tun.node)
// with node-gyp, at `npm install` / `npm ci` time.
//
// The addon is optional: without it, src/link/tun/ falls back to opening
// /dev/net/tun from Node and letting a python3 child do the ioctl. So this
// script never fails the install; it says what happened and exits 0.
//
// It never lets node-gyp download Node's headers: it uses the configured
// nodedir (npm_config_nodedir) or, failing that, the headers installed beside
// the running node (PREFIX/include/node), and skips the build when neither
// exists.
//
// SYNACK_TUN_ADDON=0 skips the build.

import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function say(msg) {
  process.stderr.write(`synack: ${msg}\n`);
}

// Keep the build output out of version control without touching the
// repository's own ignore list (node-gyp rebuild wipes build/ first).
function ignoreBuildDir() {
  if (existsSync(join(root, 'build'))) writeFileSync(join(root, 'build', '.gitignore'), '*\n');
}

function skip(reason) {
  ignoreBuildDir();
  say(`TUN addon not built (${reason}); the python3 fallback will be used for TUN devices.`);
  process.exit(0);
}

if (process.env.SYNACK_TUN_ADDON === '0') skip('SYNACK_TUN_ADDON=0');
if (process.platform !== 'linux') skip(`TUN devices are Linux only, this is ${process.platform}`);
if (!existsSync(join(root, 'binding.gyp')) || !existsSync(join(root, 'native', 'tun.c'))) skip('no sources');

function hasHeaders(dir) {
  return existsSync(join(dir, 'include', 'node', 'node_api.h')) && existsSync(join(dir, 'include', 'node', 'common.gypi'));
}

let nodedir = process.env.npm_config_nodedir;
if (nodedir === undefined || nodedir === '') {
  const prefix = resolve(dirname(process.execPath), '..');
  if (hasHeaders(prefix)) nodedir = prefix;
}
if (nodedir === undefined || nodedir === '' || !hasHeaders(nodedir)) {
  skip('no Node headers installed locally (set nodedir to a directory with include/node)');
}

// npm hands lifecycle scripts the path of its own node-gyp; outside npm, look
// for one beside npm or on PATH.
function findNodeGyp() {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) return [process.execPath, fromNpm];
  const candidates = [
    resolve(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed as a package here
  }
  for (const c of candidates) if (existsSync(c)) return [process.execPath, c];
  const which = spawnSync('sh', ['-c', 'command -v node-gyp'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim() !== '') return [which.stdout.trim()];
  return null;
}

const gyp = findNodeGyp();
if (gyp === null) skip('node-gyp not found');

const [cmd, ...pre] = gyp;
const r = spawnSync(cmd, [...pre, 'rebuild', `--nodedir=${nodedir}`], {
  cwd: root,
  stdio: ['ignore', 'inherit', 'inherit'],
  env: { ...process.env, npm_config_nodedir: nodedir },
});
if (r.status !== 0) skip(`node-gyp failed${r.error ? `: ${r.error.message}` : ` with status ${r.status}`} — is a C compiler (build-essential) and python3 installed?`);

ignoreBuildDir();
say('TUN addon built: build/Release/synack_tun.node');
