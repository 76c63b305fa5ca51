// The few text protocols tcpdump recognises by port on TCP payloads: HTTP,
// RTSP, SMTP, FTP (request/response lines) and the SSH version banner.

import { isPrint } from './chars.js';
import type { PrintContext } from './context.js';

const HTTP_METHODS = new Set([
  'GET', 'PUT', 'COPY', 'HEAD', 'LOCK', 'MOVE', 'POLL', 'POST', 'BCOPY', 'BMOVE', 'MKCOL', 'TRACE', 'LABEL',
  'MERGE', 'DELETE', 'SEARCH', 'UNLOCK', 'REPORT', 'UPDATE', 'NOTIFY', 'BDELETE', 'CONNECT', 'OPTIONS',
  'CHECKIN', 'PROPFIND', 'CHECKOUT', 'CCM_POST', 'SUBSCRIBE', 'PROPPATCH', 'BPROPFIND', 'BPROPPATCH',
  'UNCHECKOUT', 'MKACTIVITY', 'MKWORKSPACE', 'UNSUBSCRIBE', 'RPC_CONNECT', 'VERSION-CONTROL', 'BASELINE-CONTROL',
]);

const RTSP_METHODS = new Set([
  'DESCRIBE', 'ANNOUNCE', 'GET_PARAMETER', 'OPTIONS', 'PAUSE', 'PLAY', 'RECORD', 'REDIRECT', 'SETUP',
  'SET_PARAMETER', 'TEARDOWN',
]);

const MAX_TOKEN = 128;

/** Reads one token at `idx`; returns the index after it and any following blanks, or 0 if there is none. */
function fetchToken(ctx: PrintContext, p: number, idx: number, len: number): { next: number; token: string } {
  let token = '';
  for (; idx < len; idx++) {
    if (!ctx.has(p + idx, 1)) return { next: 0, token: '' };
    const c = ctx.data[p + idx]!;
    if (c >= 0x80) return { next: 0, token: '' };
    if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a) break;
    if (!isPrint(c)) return { next: 0, token: '' };
    if (token.length + 2 > MAX_TOKEN + 1) return { next: 0, token: '' };
    token += String.fromCharCode(c);
  }
  if (token.length === 0) return { next: 0, token: '' };
  for (; idx < len; idx++) {
    if (!ctx.has(p + idx, 1)) break;
    const c = ctx.data[p + idx]!;
    if (c === 0x0d || c === 0x0a) break;
    if (!isPrint(c)) break;
    if (c !== 0x20 && c !== 0x09) break;
  }
  return { next: idx, token };
}

function latin(ctx: PrintContext, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(ctx.data[i]!);
  return s;
}

/** Prints one text line after `prefix`; returns the index after its line end, or 0 to stop. */
function printTextLine(ctx: PrintContext, prefix: string, p: number, idx: number, len: number): number {
  const start = idx;
  while (idx < len) {
    const c = ctx.u8(p + idx);
    if (c === 0x0a) {
      ctx.out(prefix + latin(ctx, p + start, p + idx));
      return idx + 1;
    }
    if (c === 0x0d) {
      if (idx + 1 >= len) return 0;
      if (ctx.u8(p + idx + 1) === 0x0a) {
        ctx.out(prefix + latin(ctx, p + start, p + idx));
        return idx + 2;
      }
      return 0;
    }
    if (!isPrint(c) && c !== 0x09) return 0;
    idx++;
  }
  // Printable to the end without a line ending: shown as cut short.
  ctx.out(prefix + latin(ctx, p + start, p + idx));
  ctx.printTrunc();
  return 0;
}

/**
 * A line-oriented text protocol. With a method list, only payloads that start
 * with a request (a known method) or a response (a 3-digit status as the
 * second token) are shown.
 */
export function textProtocol(ctx: PrintContext, p: number, len: number, verbose: number, methods: Set<string> | null): void {
  let printThis = methods === null;
  if (methods !== null) {
    let t = fetchToken(ctx, p, 0, len);
    if (t.next !== 0) {
      if (methods.has(t.token.toUpperCase())) printThis = true;
      t = fetchToken(ctx, p, t.next, len);
      if (t.next !== 0 && /^[0-9]{3}$/.test(t.token)) printThis = true;
    }
  }
  ctx.out(ctx.protocol.toUpperCase());
  if (!printThis) return;
  if (verbose > 0) {
    ctx.out(`, length: ${len}`);
    let idx = 0;
    while (idx < len) {
      const eol = printTextLine(ctx, '\n\t', p, idx, len);
      if (eol === 0) break;
      idx = eol;
    }
  } else {
    printTextLine(ctx, ': ', p, 0, len);
  }
}

export function httpPrint(ctx: PrintContext, p: number, len: number, verbose: number): void {
  ctx.protocol = 'http';
  textProtocol(ctx, p, len, verbose, HTTP_METHODS);
}

export function rtspPrint(ctx: PrintContext, p: number, len: number, verbose: number): void {
  ctx.protocol = 'rtsp';
  textProtocol(ctx, p, len, verbose, RTSP_METHODS);
}

export function smtpPrint(ctx: PrintContext, p: number, len: number, verbose: number): void {
  ctx.protocol = 'smtp';
  textProtocol(ctx, p, len, verbose, null);
}

export function ftpPrint(ctx: PrintContext, p: number, len: number, verbose: number): void {
  ctx.protocol = 'ftp';
  textProtocol(ctx, p, len, verbose, null);
}

/** The SSH identification string (RFC 4253 §4.2), when the payload starts with one. */
export function sshPrint(ctx: PrintContext, p: number, len: number): void {
  ctx.protocol = 'ssh';
  const magic = [0x53, 0x53, 0x48, 0x2d]; // "SSH-"
  for (let i = 0; i < 4; i++) if (ctx.u8(p + i) !== magic[i]) return;
  let idx = 4;
  while (idx < len) {
    const c = ctx.u8(p + idx);
    if (c === 0x0a) break;
    if (c === 0x0d) {
      if (idx + 1 >= len) return;
      if (ctx.u8(p + idx + 1) === 0x0a) break;
      return;
    }
    if (!isPrint(c)) return;
    idx++;
  }
  if (idx >= len) return;
  ctx.out(': SSH: ' + latin(ctx, p, p + idx));
}
