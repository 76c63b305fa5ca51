// TCP header view and builder (RFC 9293 §3.1) with its options (RFC 9293
// §3.2, RFC 7323 window scale and timestamps, RFC 2018 SACK).

import { internetChecksum, onesComplementSum, pseudoHeaderSum } from './checksum.js';
import { checkRoom, checkUint, copyAll, get16, get32, put16, put32, u8sub } from './bytes.js';
import { hex16, wireError, type Parsed, type WireError } from './errors.js';
import {
  OPT_EOL,
  OPT_MSS,
  OPT_NOP,
  OPT_SACK,
  OPT_SACK_PERMITTED,
  OPT_TIMESTAMP,
  OPT_WSCALE,
  type SackBlock,
  type Segment,
  type TcpOption,
} from './tcp-types.js';

/** IP protocol number of TCP. */
export const IPPROTO_TCP = 6;

const MIN_HEADER = 20;
/** Data Offset is 4 bits of 32-bit words: at most 60 bytes, 40 of them options. */
export const TCP_MAX_OPTIONS = 40;

/**
 * A parsed TCP header: the Segment fields plus what only the wire has.
 * `payload` and the `data` of unknown options are views aliasing the buffer
 * given to `parseTcp`: copy them before that buffer is reused (a queued
 * payload must never share a receive buffer).
 */
export interface TcpHeaderView extends Segment {
  /** Data Offset: header length in 32-bit words (5..15). */
  dataOffset: number;
  /** Header length in bytes (dataOffset * 4). */
  headerLength: number;
  /** The three reserved bits between Data Offset and AE (must be zero when sent). */
  reserved: number;
  checksum: number;
}

export interface TcpParseOptions {
  /**
   * The IP source and destination (both 4 or both 16 bytes). When given, the
   * checksum is verified and a mismatch is an error.
   */
  src?: Uint8Array;
  dst?: Uint8Array;
}

function optionName(kind: number): string {
  switch (kind) {
    case OPT_MSS:
      return 'mss';
    case OPT_WSCALE:
      return 'wscale';
    case OPT_SACK_PERMITTED:
      return 'sackOK';
    case OPT_SACK:
      return 'sack';
    case OPT_TIMESTAMP:
      return 'timestamp';
    default:
      return `kind ${kind}`;
  }
}

/** A timestamp option object, for parseTcpInto to fill in. */
export type TimestampOption = Extract<TcpOption, { kind: 'timestamp' }>;

/** The option objects without fields are shared: parsed lists hold these two, never written. */
const NOP_OPTION: TcpOption = { kind: 'nop' };
const EOL_OPTION: TcpOption = { kind: 'eol' };

/**
 * Parse the option bytes of a TCP header (RFC 9293 §3.2). An End of Option
 * List stops the walk (it is reported once; what follows is padding). Never
 * throws: an option with a length its kind does not allow, or one that runs
 * past the end, is an error naming it.
 */
export function parseTcpOptions(b: Uint8Array): Parsed<TcpOption[]> {
  const out: TcpOption[] = [];
  const r = parseTcpOptionsAt(b, 0, b.length, out);
  return typeof r === 'number' ? { ok: true, value: out } : { ok: false, error: r };
}

/**
 * parseTcpOptions over b[start, end), written to out[0..] by index: returns
 * how many (the caller sets out.length), or the error. Writing by index
 * lets a reused list keep its storage: emptying an array (length = 0) and
 * pushing again makes V8 allocate a new backing store every time.
 */
function parseTcpOptionsAt(b: Uint8Array, start: number, n: number, out: TcpOption[], tsSlot?: TimestampOption): WireError | number {
  let i = start;
  let k = 0;
  let ts = tsSlot;
  while (i < n) {
    const kind = b[i]!;
    if (kind === OPT_EOL) {
      out[k++] = EOL_OPTION;
      break;
    }
    if (kind === OPT_NOP) {
      out[k++] = NOP_OPTION;
      i++;
      continue;
    }
    if (i + 1 >= n) return optionError(`option ${optionName(kind)} truncated: no length byte`);
    const len = b[i + 1]!;
    let expected: number | undefined;
    switch (kind) {
      case OPT_MSS:
        expected = 4;
        break;
      case OPT_WSCALE:
        expected = 3;
        break;
      case OPT_SACK_PERMITTED:
        expected = 2;
        break;
      case OPT_TIMESTAMP:
        expected = 10;
        break;
    }
    if (expected !== undefined && len !== expected) {
      return optionError(`option ${optionName(kind)} length ${len} (expected ${expected})`);
    }
    // RFC 2018 §3: 8 bytes per block; at most 4 blocks fit in 40 bytes of options.
    if (kind === OPT_SACK && (len < 10 || len > 34 || (len - 2) % 8 !== 0)) {
      return optionError(`option sack length ${len} (expected 2+8n, n in 1..4)`);
    }
    if (len < 2) return optionError(`option ${optionName(kind)} length ${len} (< 2)`);
    if (i + len > n) return optionError(`option ${optionName(kind)} length ${len} runs past the options (${n - i} bytes left)`);
    switch (kind) {
      case OPT_MSS:
        out[k++] = { kind: 'mss', mss: get16(b, i + 2) };
        break;
      case OPT_WSCALE:
        out[k++] = { kind: 'wscale', shift: b[i + 2]! };
        break;
      case OPT_SACK_PERMITTED:
        out[k++] = { kind: 'sackOK' };
        break;
      case OPT_TIMESTAMP:
        if (ts !== undefined) {
          // The caller's object, filled in (once: a second option gets its own).
          ts.val = get32(b, i + 2);
          ts.ecr = get32(b, i + 6);
          out[k++] = ts;
          ts = undefined;
        } else {
          out[k++] = { kind: 'timestamp', val: get32(b, i + 2), ecr: get32(b, i + 6) };
        }
        break;
      case OPT_SACK: {
        const blocks: SackBlock[] = [];
        for (let j = i + 2; j < i + len; j += 8) blocks.push({ left: get32(b, j), right: get32(b, j + 4) });
        out[k++] = { kind: 'sack', blocks };
        break;
      }
      default:
        out[k++] = { kind: 'unknown', type: kind, data: b.subarray(i + 2, i + len) };
    }
    i += len;
  }
  return k;
}

function optionError(reason: string): WireError {
  return { layer: 'tcp', reason };
}

/** A header view to fill with `parseTcpInto` (and to fill again: it can be reused). */
export function emptyTcpHeaderView(): TcpHeaderView {
  return {
    srcPort: 0,
    dstPort: 0,
    seq: 0,
    ack: 0,
    flags: 0,
    window: 0,
    urgent: 0,
    options: [],
    payload: EMPTY_PAYLOAD,
    ecn: 0,
    dataOffset: 0,
    headerLength: 0,
    reserved: 0,
    checksum: 0,
  };
}

const EMPTY_PAYLOAD = new Uint8Array(0);

/**
 * Parse a TCP segment (header, options and payload) at the start of `buf`,
 * which must end where the IP layer says the segment ends. Never throws.
 */
export function parseTcp(buf: Uint8Array, opts?: TcpParseOptions): Parsed<TcpHeaderView> {
  // Errors in this order: the header's length, the checksum, the options.
  const headerLength = buf.length >= MIN_HEADER ? (buf[12]! >>> 4) * 4 : 0;
  if (opts?.src && opts.dst && headerLength >= MIN_HEADER && buf.length >= headerLength) {
    const ps = pseudoHeaderSum(opts.src, opts.dst, IPPROTO_TCP, buf.length);
    if (onesComplementSum(buf, 0, buf.length, ps) !== 0xffff) {
      const expected = internetChecksum(buf, 18, buf.length, onesComplementSum(buf, 0, 16, ps));
      return wireError('tcp', `bad checksum ${hex16(get16(buf, 16))}, expected ${hex16(expected)}`);
    }
  }
  const view = emptyTcpHeaderView();
  const error = parseTcpInto(buf, view);
  return error === undefined ? { ok: true, value: view } : { ok: false, error };
}

/**
 * parseTcp without the checksum, into `view` (its options list is emptied
 * and refilled), allocating nothing for an ordinary segment but its
 * payload view (and a timestamp option, unless `tsSlot` is given to be
 * filled in): the receive path's parser. The segment is buf[start, end).
 * The error, if any (`view` then holds no meaning).
 */
export function parseTcpInto(buf: Uint8Array, view: TcpHeaderView, tsSlot?: TimestampOption, start = 0, end = buf.length): WireError | undefined {
  const length = end - start;
  if (length < MIN_HEADER) return optionError(`truncated: ${length} bytes, header needs ${MIN_HEADER}`);
  const b12 = buf[start + 12]!;
  const dataOffset = b12 >>> 4;
  const headerLength = dataOffset * 4;
  if (headerLength < MIN_HEADER) return optionError(`data offset ${headerLength} bytes < ${MIN_HEADER}`);
  if (length < headerLength) return optionError(`truncated: ${length} bytes, header needs ${headerLength}`);
  const options = view.options;
  const count = parseTcpOptionsAt(buf, start + MIN_HEADER, start + headerLength, options, tsSlot);
  if (typeof count !== 'number') return count;
  // Shortened only when the count changes (see parseTcpOptionsAt).
  if (options.length !== count) options.length = count;
  view.srcPort = get16(buf, start);
  view.dstPort = get16(buf, start + 2);
  view.seq = get32(buf, start + 4);
  view.ack = get32(buf, start + 8);
  // The AE bit (low bit of byte 12) is carried as flag bit 8.
  view.flags = buf[start + 13]! | ((b12 & 1) << 8);
  view.window = get16(buf, start + 14);
  view.urgent = get16(buf, start + 18);
  view.payload = headerLength === length ? EMPTY_PAYLOAD : u8sub(buf, start + headerLength, end);
  view.ecn = 0;
  view.dataOffset = dataOffset;
  view.headerLength = headerLength;
  view.reserved = (b12 >>> 1) & 0x07;
  view.checksum = get16(buf, start + 16);
  return undefined;
}

/**
 * Whether the checksum of a whole TCP segment verifies against the IP
 * pseudo-header of `src` and `dst` (4 or 16 bytes each; RFC 9293 §3.1,
 * RFC 8200 §8.1).
 */
export function verifyTcpChecksum(segment: Uint8Array, src: Uint8Array, dst: Uint8Array, start = 0, end = segment.length): boolean {
  const ps = pseudoHeaderSum(src, dst, IPPROTO_TCP, end - start);
  return onesComplementSum(segment, start, end, ps) === 0xffff;
}

/** Bytes one option takes on the wire, checking it can be written. */
function optionLength(o: TcpOption): number {
  switch (o.kind) {
    case 'eol':
    case 'nop':
      return 1;
    case 'mss':
      checkUint('mss', o.mss, 16);
      return 4;
    case 'wscale':
      checkUint('wscale shift', o.shift, 8);
      return 3;
    case 'sackOK':
      return 2;
    case 'timestamp':
      checkUint('timestamp val', o.val, 32);
      checkUint('timestamp ecr', o.ecr, 32);
      return 10;
    case 'sack':
      if (o.blocks.length < 1 || o.blocks.length > 4) {
        throw new RangeError(`a sack option carries 1 to 4 blocks, got ${o.blocks.length}`);
      }
      for (const blk of o.blocks) {
        checkUint('sack left edge', blk.left, 32);
        checkUint('sack right edge', blk.right, 32);
      }
      return 2 + 8 * o.blocks.length;
    case 'unknown':
      checkUint('option type', o.type, 8);
      if (o.type === OPT_EOL || o.type === OPT_NOP) {
        throw new RangeError(`option type ${o.type} has no length byte: use { kind: 'eol' } or { kind: 'nop' }`);
      }
      if (o.data.length > TCP_MAX_OPTIONS - 2) throw new RangeError(`option data too long: ${o.data.length} bytes`);
      return 2 + o.data.length;
  }
}

function rawOptionsLength(options: readonly TcpOption[]): number {
  let n = 0;
  for (let i = 0; i < options.length; i++) {
    const o = options[i]!;
    if (o.kind === 'eol' && i !== options.length - 1) throw new RangeError('eol must be the last option');
    n += optionLength(o);
  }
  if (n > TCP_MAX_OPTIONS) throw new RangeError(`TCP options take ${n} bytes, at most ${TCP_MAX_OPTIONS} fit`);
  return n;
}

/**
 * Bytes the options occupy in the header once padded to a multiple of 4
 * (0..40). Throws RangeError if they cannot be written.
 */
export function tcpOptionsLength(options: readonly TcpOption[]): number {
  return (rawOptionsLength(options) + 3) & ~3;
}

/** Header length in bytes of a segment with these options. */
export function tcpHeaderLength(options: readonly TcpOption[]): number {
  return MIN_HEADER + tcpOptionsLength(options);
}

/** Write options at out[i]; returns the index after them (unpadded). */
function writeOptions(options: readonly TcpOption[], out: Uint8Array, i: number): number {
  // Indexed loops here and below: a for-of iterator is an object per
  // segment wherever V8 does not inline this.
  for (let k = 0; k < options.length; k++) {
    const o = options[k]!;
    switch (o.kind) {
      case 'eol':
        out[i++] = OPT_EOL;
        break;
      case 'nop':
        out[i++] = OPT_NOP;
        break;
      case 'mss':
        out[i] = OPT_MSS;
        out[i + 1] = 4;
        put16(out, i + 2, o.mss);
        i += 4;
        break;
      case 'wscale':
        out[i] = OPT_WSCALE;
        out[i + 1] = 3;
        out[i + 2] = o.shift;
        i += 3;
        break;
      case 'sackOK':
        out[i] = OPT_SACK_PERMITTED;
        out[i + 1] = 2;
        i += 2;
        break;
      case 'timestamp':
        out[i] = OPT_TIMESTAMP;
        out[i + 1] = 10;
        put32(out, i + 2, o.val);
        put32(out, i + 6, o.ecr);
        i += 10;
        break;
      case 'sack':
        out[i] = OPT_SACK;
        out[i + 1] = 2 + 8 * o.blocks.length;
        i += 2;
        for (let b = 0; b < o.blocks.length; b++) {
          const blk = o.blocks[b]!;
          put32(out, i, blk.left);
          put32(out, i + 4, blk.right);
          i += 8;
        }
        break;
      case 'unknown':
        out[i] = o.type;
        out[i + 1] = 2 + o.data.length;
        out.set(o.data, i + 2);
        i += 2 + o.data.length;
        break;
    }
  }
  return i;
}

/**
 * Write `seg` as a TCP segment at out[offset]: header, options, payload and
 * the checksum over the pseudo-header of `src` and `dst` (both 4 or both 16
 * bytes). Options are written in the order given and padded with zero bytes
 * (End of Option List, RFC 9293 §3.1) to a multiple of 4, so a list whose
 * length is not a multiple of 4 and does not end in `eol` reads back with one
 * `eol` appended. Returns the bytes written. Throws RangeError only on misuse
 * (a field out of range, more than 40 option bytes, `eol` not last, a buffer
 * too small). With `partialChecksum` the checksum field gets only the
 * pseudo-header sum (folded, not complemented): a device with checksum
 * offload completes it, as Linux leaves CHECKSUM_PARTIAL segments to a NIC.
 */
export function emitTcp(seg: Segment, src: Uint8Array, dst: Uint8Array, out: Uint8Array, offset = 0, partialChecksum = false): number {
  if (src.length !== dst.length || (src.length !== 4 && src.length !== 16)) {
    throw new RangeError(`src and dst must both be 4 or both 16 bytes, got ${src.length} and ${dst.length}`);
  }
  checkUint('srcPort', seg.srcPort, 16);
  checkUint('dstPort', seg.dstPort, 16);
  checkUint('seq', seg.seq, 32);
  checkUint('ack', seg.ack, 32);
  checkUint('flags', seg.flags, 9);
  checkUint('window', seg.window, 16);
  checkUint('urgent', seg.urgent, 16);
  const rawOpt = rawOptionsLength(seg.options);
  const headerLength = MIN_HEADER + ((rawOpt + 3) & ~3);
  const length = headerLength + seg.payload.length;
  if (src.length === 4) checkUint('IPv4 TCP segment length', length, 16);
  checkRoom(out, offset, length);
  return writeTcp(seg, src, dst, out, offset, partialChecksum, headerLength);
}

/**
 * Header length of a segment with these options, like tcpHeaderLength but
 * without checking them: for segments the stack's own connections made,
 * whose fields are in range by construction.
 */
export function ownTcpHeaderLength(options: readonly TcpOption[]): number {
  let n = 0;
  for (let i = 0; i < options.length; i++) {
    const o = options[i]!;
    // The options of an ordinary segment first (nop, nop, timestamp).
    n += o.kind === 'nop' ? 1 : o.kind === 'timestamp' ? 10 : optionLength(o);
  }
  return MIN_HEADER + ((n + 3) & ~3);
}

/**
 * emitTcp for a segment the stack's own connection made, whose fields and
 * options are in range by construction and whose header is
 * `headerLength` bytes (ownTcpHeaderLength): the same bytes, without
 * checking any field again (a per-packet cost on the stack's send path;
 * test/wire/tcp.test.ts holds the two writers to the same output).
 */
export function writeTcp(seg: Segment, src: Uint8Array, dst: Uint8Array, out: Uint8Array, offset: number, partialChecksum: boolean, headerLength: number): number {
  const length = headerLength + seg.payload.length;
  put16(out, offset, seg.srcPort);
  put16(out, offset + 2, seg.dstPort);
  put32(out, offset + 4, seg.seq);
  put32(out, offset + 8, seg.ack);
  out[offset + 12] = ((headerLength >>> 2) << 4) | (seg.flags >>> 8);
  out[offset + 13] = seg.flags & 0xff;
  put16(out, offset + 14, seg.window);
  put16(out, offset + 16, 0);
  put16(out, offset + 18, seg.urgent);
  let i = writeOptions(seg.options, out, offset + MIN_HEADER);
  while (i < offset + headerLength) out[i++] = OPT_EOL;
  // Most segments the stack sends are ACKs, or carry a few bytes: those
  // are copied by a loop (copyAll), without a call to `set`.
  const payload = seg.payload;
  if (payload.length > 0) copyAll(out, offset + headerLength, payload);
  const ps = pseudoHeaderSum(src, dst, IPPROTO_TCP, length);
  put16(out, offset + 16, partialChecksum ? ps : internetChecksum(out, offset, offset + length, ps));
  return length;
}
