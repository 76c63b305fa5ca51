// A kernel-side TCP client for the interop tests, run with `node -e` inside
// a namespace: it sends SIZE patterned bytes to HOST:PORT, half-closes, and
// prints how many bytes came back and their sha256 as JSON.

import { createHash } from 'node:crypto';

/** The client's script: argv HOST PORT SIZE. */
export const ECHO_CLIENT = `
const net = require('node:net');
const crypto = require('node:crypto');
const [host, port, size] = process.argv.slice(1);
const data = Buffer.alloc(Number(size));
for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 8)) & 0xff;
const hash = crypto.createHash('sha256');
let got = 0;
const c = net.connect(Number(port), host, () => c.end(data));
c.on('data', (d) => { got += d.length; hash.update(d); });
c.on('end', () => console.log(JSON.stringify({ got, sha256: hash.digest('hex') })));
c.on('error', (e) => { console.error(e.message); process.exitCode = 1; });
`;

/** What ECHO_CLIENT prints when all `size` bytes came back unchanged. */
export function echoedIntact(size: number): { got: number; sha256: string } {
  const data = Buffer.alloc(size);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 8)) & 0xff;
  return { got: size, sha256: createHash('sha256').update(data).digest('hex') };
}
