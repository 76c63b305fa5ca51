// Classic libpcap capture files ("pcap"): reader and writer.
//
// Layout (all fields in the writer's byte order, told by the magic):
//   file header, 24 bytes: magic, version_major, version_minor, thiszone,
//                           sigfigs, snaplen, linktype
//   per record,  16 bytes: ts_sec, ts_usec|ts_nsec, incl_len, orig_len,
//                           then incl_len bytes of packet data.
// The reader follows libpcap 1.10's rules for damaged files so that a
// printer built on it stops where tcpdump stops, with the same message.

import type { CaptureError, CaptureRecord } from './capture.js';
import type { CaptureFile } from './read-capture.js';

/** Microsecond timestamps. */
export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
/** Nanosecond timestamps. */
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;
/** Alexey Kuznetzov's patched format: 24-byte record headers (ifindex, protocol, pkt_type, pad). */
export const PCAP_MAGIC_KUZNETZOV = 0xa1b2cd34;

/** libpcap's largest snapshot length for ordinary link types (MAXIMUM_SNAPLEN). */
export const MAX_SNAPLEN = 262144;
/** Snapshot length written when the caller gives none (tcpdump's default). */
export const DEFAULT_SNAPLEN = 262144;

const FILE_HEADER_LEN = 24;
const RECORD_HEADER_LEN = 16;
const KUZNETZOV_RECORD_HEADER_LEN = 24;
/** The low 26 bits of the header's linktype are the LINKTYPE_ value; the rest is FCS information. */
const LINKTYPE_MASK = 0x03ffffff;

function byteSwap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

/** True if `magic` (read big-endian) is a pcap magic in either byte order. */
export function isPcapMagic(magic: number): boolean {
  return magicInfo(magic) !== null;
}

interface MagicInfo {
  littleEndian: boolean;
  nano: boolean;
  recordHeaderLen: number;
}

/** `magic` is the first four bytes read big-endian. */
function magicInfo(magic: number): MagicInfo | null {
  for (const littleEndian of [false, true]) {
    const m = littleEndian ? byteSwap32(magic) : magic;
    if (m === PCAP_MAGIC_USEC) return { littleEndian, nano: false, recordHeaderLen: RECORD_HEADER_LEN };
    if (m === PCAP_MAGIC_NSEC) return { littleEndian, nano: true, recordHeaderLen: RECORD_HEADER_LEN };
    if (m === PCAP_MAGIC_KUZNETZOV) return { littleEndian, nano: false, recordHeaderLen: KUZNETZOV_RECORD_HEADER_LEN };
  }
  return null;
}

/** libpcap's pcap_adjust_snapshot(): 0 or an absurd value means "the maximum". */
function adjustSnaplen(snaplen: number): number {
  return snaplen === 0 || snaplen > MAX_SNAPLEN ? MAX_SNAPLEN : snaplen;
}

/**
 * How old files stored caplen and len (libpcap's lengths-swapped rule):
 * before version 2.3 the two fields were written in the other order; in 2.3
 * some writers swapped them and some did not, so they are swapped only when
 * caplen > len.
 */
type LengthSwap = 'none' | 'always' | 'if-caplen-bigger';

function failed(
  partial: Omit<CaptureFile, 'records' | 'error'>,
  records: CaptureRecord[],
  record: number,
  offset: number,
  message: string,
): CaptureFile {
  const error: CaptureError = { record, offset, message };
  return { ...partial, records, error };
}

/** Read a classic pcap file. Never throws; damage ends the file with `error`. */
export function readPcap(bytes: Uint8Array): CaptureFile {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: CaptureRecord[] = [];
  const unknown = { format: 'pcap' as const, linktype: -1, snaplen: 0, nanoPrecision: false };

  if (bytes.length < 4) {
    return failed(unknown, records, 0, 0, `truncated dump file; tried to read 4 file header bytes, only got ${bytes.length}`);
  }
  const magic = magicInfo(view.getUint32(0, false));
  if (magic === null) return failed(unknown, records, 0, 0, 'unknown file format');
  const le = magic.littleEndian;
  const nano = magic.nano;
  unknown.nanoPrecision = nano;
  if (bytes.length < FILE_HEADER_LEN) {
    return failed(
      unknown,
      records,
      0,
      0,
      `truncated dump file; tried to read ${FILE_HEADER_LEN - 4} file header bytes, only got ${bytes.length - 4}`,
    );
  }
  const versionMajor = view.getUint16(4, le);
  const versionMinor = view.getUint16(6, le);
  const rawSnaplen = view.getUint32(16, le);
  const linktype = view.getUint32(20, le) & LINKTYPE_MASK;
  const snaplen = adjustSnaplen(rawSnaplen);
  const head = { format: 'pcap' as const, linktype, snaplen, nanoPrecision: nano };

  if (versionMajor < 2) return failed(head, records, 0, 0, 'archaic pcap savefile format');
  if (versionMajor !== 2 || versionMinor > 4) {
    return failed(head, records, 0, 0, `unsupported pcap savefile version ${versionMajor}.${versionMinor}`);
  }
  const swap: LengthSwap = versionMinor < 3 ? 'always' : versionMinor === 3 ? 'if-caplen-bigger' : 'none';

  const hdrLen = magic.recordHeaderLen;
  let off = FILE_HEADER_LEN;
  while (off < bytes.length) {
    const index = records.length;
    const avail = bytes.length - off;
    if (avail < hdrLen) {
      return failed(head, records, index, off, `truncated dump file; tried to read ${hdrLen} header bytes, only got ${avail}`);
    }
    // ts_sec is a signed 32-bit field in libpcap's struct pcap_timeval.
    const tsSec = view.getInt32(off, le);
    const tsFrac = view.getUint32(off + 4, le);
    let caplen = view.getUint32(off + 8, le);
    let len = view.getUint32(off + 12, le);
    if (swap === 'always' || (swap === 'if-caplen-bigger' && caplen > len)) {
      const t = caplen;
      caplen = len;
      len = t;
    }
    if (caplen > MAX_SNAPLEN) {
      return failed(head, records, index, off, `invalid packet capture length ${caplen}, bigger than maximum of ${MAX_SNAPLEN}`);
    }
    const dataStart = off + hdrLen;
    const bodyAvail = bytes.length - dataStart;
    let kept = caplen;
    if (caplen > snaplen) {
      // libpcap keeps the first snaplen bytes and discards the rest.
      if (bodyAvail < snaplen) {
        return failed(head, records, index, off, `truncated dump file; tried to read ${snaplen} captured bytes, only got ${bodyAvail}`);
      }
      kept = snaplen;
    }
    if (bodyAvail < caplen) {
      return failed(head, records, index, off, `truncated dump file; tried to read ${caplen} captured bytes, only got ${bodyAvail}`);
    }
    records.push({
      tsSec,
      tsNsec: nano ? tsFrac : tsFrac * 1000,
      nanoPrecision: nano,
      linktype,
      len,
      data: bytes.subarray(dataStart, dataStart + kept),
      interfaceId: 0,
    });
    off = dataStart + caplen;
  }
  return { ...head, records };
}

export interface PcapWriterOptions {
  /** LINKTYPE_ value written in the file header. */
  linktype: number;
  /** Snapshot length in the header; records longer than it are cut. Default 262144. */
  snaplen?: number;
  /** Nanosecond timestamps (magic 0xa1b23c4d) instead of microseconds. */
  nano?: boolean;
}

function checkUint32(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new RangeError(`${name} must be an integer in 0..4294967295, got ${v}`);
  }
}

/**
 * Writes a little-endian pcap, version 2.4, thiszone 0, sigfigs 0, one
 * piece at a time (for a tap that streams packets to a file).
 * Throws RangeError on arguments that the format cannot hold.
 */
export class PcapWriter {
  readonly linktype: number;
  readonly snaplen: number;
  readonly nano: boolean;

  constructor(opts: PcapWriterOptions) {
    const snaplen = opts.snaplen ?? DEFAULT_SNAPLEN;
    checkUint32('linktype', opts.linktype);
    checkUint32('snaplen', snaplen);
    if (snaplen === 0) throw new RangeError('snaplen must be at least 1');
    this.linktype = opts.linktype;
    this.snaplen = snaplen;
    this.nano = opts.nano ?? false;
  }

  /** The 24-byte file header. */
  header(): Uint8Array {
    const out = new Uint8Array(FILE_HEADER_LEN);
    const v = new DataView(out.buffer);
    v.setUint32(0, this.nano ? PCAP_MAGIC_NSEC : PCAP_MAGIC_USEC, true);
    v.setUint16(4, 2, true);
    v.setUint16(6, 4, true);
    v.setInt32(8, 0, true); // thiszone
    v.setUint32(12, 0, true); // sigfigs
    v.setUint32(16, this.snaplen, true);
    v.setUint32(20, this.linktype, true);
    return out;
  }

  /**
   * One record: header plus at most `snaplen` bytes of `data` (copied).
   * `tsNsec` is nanoseconds whatever the precision; a microsecond file
   * stores floor(tsNsec / 1000). `len` (bytes on the wire) defaults to
   * data.length and is never written smaller than the stored length.
   */
  record(tsSec: number, tsNsec: number, data: Uint8Array, len?: number): Uint8Array {
    if (!Number.isInteger(tsSec) || tsSec < -0x80000000 || tsSec > 0xffffffff) {
      throw new RangeError(`tsSec does not fit the 32-bit ts_sec field: ${tsSec}`);
    }
    if (!Number.isInteger(tsNsec) || tsNsec < 0) throw new RangeError(`tsNsec must be a non-negative integer, got ${tsNsec}`);
    const frac = this.nano ? tsNsec : Math.floor(tsNsec / 1000);
    checkUint32(this.nano ? 'ts_nsec' : 'ts_usec', frac);
    const caplen = Math.min(data.length, this.snaplen);
    const origLen = Math.max(len ?? data.length, caplen);
    checkUint32('len', origLen);
    const out = new Uint8Array(RECORD_HEADER_LEN + caplen);
    const v = new DataView(out.buffer);
    v.setUint32(0, tsSec >>> 0, true);
    v.setUint32(4, frac, true);
    v.setUint32(8, caplen, true);
    v.setUint32(12, origLen, true);
    out.set(data.subarray(0, caplen), RECORD_HEADER_LEN);
    return out;
  }
}

/** A whole pcap file in one buffer. Throws RangeError like PcapWriter. */
export function writePcap(
  records: Iterable<{ tsSec: number; tsNsec: number; len?: number; data: Uint8Array }>,
  opts: PcapWriterOptions,
): Uint8Array {
  const w = new PcapWriter(opts);
  const parts: Uint8Array[] = [w.header()];
  let total = parts[0]!.length;
  for (const r of records) {
    const p = w.record(r.tsSec, r.tsNsec, r.data, r.len);
    parts.push(p);
    total += p.length;
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
