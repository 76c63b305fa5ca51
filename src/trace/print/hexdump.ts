// The -x / -X / -A dumps that follow a packet's line.

import { isGraph } from './chars.js';

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** -x: 16 bytes a line as 8 groups of 4 hex digits. */
export function hexLines(d: Uint8Array, start: number, end: number, ident = '\n\t'): string {
  let s = '';
  let oset = 0;
  let i = 0;
  const n = end - start;
  for (; i + 1 < n; i += 2) {
    if (i % 16 === 0) {
      s += `${ident}0x${oset.toString(16).padStart(4, '0')}: `;
      oset += 16;
    }
    s += ` ${hex2(d[start + i]!)}${hex2(d[start + i + 1]!)}`;
  }
  if (i < n) {
    if (i % 16 === 0) s += `${ident}0x${oset.toString(16).padStart(4, '0')}: `;
    s += ` ${hex2(d[start + i]!)}`;
  }
  return s;
}

/** -X: the hex groups padded to 40 columns, then the printable characters. */
export function hexAsciiLines(d: Uint8Array, start: number, end: number): string {
  let s = '';
  let oset = 0;
  for (let line = start; line < end; line += 16) {
    const stop = Math.min(line + 16, end);
    let hex = '';
    let asc = '';
    let i = line;
    for (; i + 1 < stop; i += 2) {
      hex += ` ${hex2(d[i]!)}${hex2(d[i + 1]!)}`;
      asc += (isGraph(d[i]!) ? String.fromCharCode(d[i]!) : '.') + (isGraph(d[i + 1]!) ? String.fromCharCode(d[i + 1]!) : '.');
    }
    if (i < stop) {
      hex += ` ${hex2(d[i]!)}`;
      asc += isGraph(d[i]!) ? String.fromCharCode(d[i]!) : '.';
    }
    s += `\n\t0x${oset.toString(16).padStart(4, '0')}: ${hex.padEnd(40, ' ')}  ${asc}`;
    oset += 16;
  }
  return s;
}

/** -A: the bytes as text, non-printing ones as dots, CRs before LFs dropped. */
export function asciiText(d: Uint8Array, start: number, end: number): string {
  let s = '\n';
  for (let i = start; i < end; i++) {
    const c = d[i]!;
    const remaining = end - i - 1;
    if (c === 0x0d) {
      if (remaining > 1 && d[i + 1] !== 0x0a) s += '.';
    } else if (!isGraph(c) && c !== 0x09 && c !== 0x20 && c !== 0x0a) {
      s += '.';
    } else {
      s += String.fromCharCode(c);
    }
  }
  return s;
}
