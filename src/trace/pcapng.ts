// pcapng capture files (draft-ietf-opsawg-pcapng): reader.
//
// A file is a sequence of blocks, each
//   block type (4) | block total length (4) | body | block total length (4)
// with the total length a multiple of 4 and at least 12. A Section Header
// Block (SHB) opens every section and fixes the byte order of the blocks
// that follow it; Interface Description Blocks (IDB) describe the capture
// interfaces of that section, numbered from 0 in order of appearance; packets
// come in Enhanced (EPB), Simple (SPB) or the obsolete Packet Blocks (PB).
// Every other block (Name Resolution, Interface Statistics, Decryption
// Secrets, custom, ...) is skipped.
//
// Unlike libpcap, which refuses interfaces whose link types or snapshot
// lengths differ from the first one's, this reader keeps each packet's own
// interface link type and timestamp resolution, and accepts sections of
// either byte order in one file.

import type { CaptureError, CaptureRecord } from './capture.js';
import type { CaptureFile } from './read-capture.js';
import { MAX_SNAPLEN } from './pcap.js';

/** Section Header Block type; the same bytes in both byte orders (draft §4.1). */
export const PCAPNG_SHB_TYPE = 0x0a0d0d0a;
export const PCAPNG_IDB_TYPE = 0x00000001;
/** Obsolete Packet Block (draft Appendix A). */
export const PCAPNG_PB_TYPE = 0x00000002;
export const PCAPNG_SPB_TYPE = 0x00000003;
export const PCAPNG_NRB_TYPE = 0x00000004;
export const PCAPNG_ISB_TYPE = 0x00000005;
export const PCAPNG_EPB_TYPE = 0x00000006;
/** Byte-order magic of the SHB, as written by the section's writer. */
export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** IDB option codes (draft §4.2). */
const OPT_ENDOFOPT = 0;
const IF_TSRESOL = 9;
const IF_TSOFFSET = 14;

const SHB_MIN_LEN = 28;
const BLOCK_MIN_LEN = 12;

interface Interface {
  linktype: number;
  /** Adjusted like libpcap: 0 (no limit) or > MAX_SNAPLEN becomes MAX_SNAPLEN. */
  snaplen: number;
  /** if_tsresol: timestamp units are 10^-exp s (base 10) or 2^-exp s (base 2). Default 10^-6. */
  base: 10 | 2;
  exp: number;
  /** Units per second, for the exact (bigint) path. */
  unitsPerSec: bigint;
  /** if_tsoffset: seconds to add to every timestamp. */
  tsOffset: number;
  nano: boolean;
}

function makeInterface(linktype: number, rawSnaplen: number, base: 10 | 2, exp: number, tsOffset: number): Interface {
  const unitsPerSec = base === 10 ? 10n ** BigInt(exp) : 1n << BigInt(exp);
  return {
    linktype,
    snaplen: rawSnaplen === 0 || rawSnaplen > MAX_SNAPLEN ? MAX_SNAPLEN : rawSnaplen,
    base,
    exp,
    unitsPerSec,
    tsOffset,
    // Finer than a microsecond: more than 10^6 units per second.
    nano: unitsPerSec > 1_000_000n,
  };
}

const TWO_POW_21 = 0x200000;

/**
 * Split a 64-bit timestamp (hi:lo, in the interface's units) into whole
 * seconds and nanoseconds (truncated), then apply if_tsoffset.
 */
function splitTimestamp(iface: Interface, hi: number, lo: number): { sec: number; nsec: number } {
  if (iface.base === 10 && iface.exp <= 9 && hi < TWO_POW_21) {
    // Exact in doubles: ts < 2^53 and every step is an integer operation.
    const ts = hi * 0x100000000 + lo;
    const div = 10 ** iface.exp;
    const frac = ts % div;
    return { sec: (ts - frac) / div + iface.tsOffset, nsec: frac * 10 ** (9 - iface.exp) };
  }
  const ts = (BigInt(hi) << 32n) | BigInt(lo);
  const sec = ts / iface.unitsPerSec;
  const frac = ts % iface.unitsPerSec;
  return { sec: Number(sec) + iface.tsOffset, nsec: Number((frac * 1_000_000_000n) / iface.unitsPerSec) };
}

function fail(file: Omit<CaptureFile, 'error'>, record: number, offset: number, message: string): CaptureFile {
  const error: CaptureError = { record, offset, message };
  return { ...file, error };
}

function hex32(v: number): string {
  return '0x' + v.toString(16).padStart(8, '0');
}

/** Read a pcapng file. Never throws; damage ends the file with `error`. */
export function readPcapng(bytes: Uint8Array): CaptureFile {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: CaptureRecord[] = [];
  const file: Omit<CaptureFile, 'error'> = { format: 'pcapng', linktype: -1, snaplen: 0, nanoPrecision: false, records };
  let haveFirstInterface = false;

  /** Byte order of the current section; null before the first SHB. */
  let le: boolean | null = null;
  let interfaces: Interface[] = [];

  if (bytes.length === 0) return fail(file, 0, 0, 'not a pcapng file: it is empty');
  let off = 0;
  while (off < bytes.length) {
    const index = records.length;
    const avail = bytes.length - off;
    if (avail < 8) {
      return fail(file, index, off, `truncated pcapng file; tried to read 8 block header bytes, only got ${avail}`);
    }
    const typeBE = view.getUint32(off, false);
    let blockLe: boolean;
    if (typeBE === PCAPNG_SHB_TYPE) {
      if (avail < 12) {
        return fail(file, index, off, `truncated pcapng file; tried to read 12 section header bytes, only got ${avail}`);
      }
      const bom = view.getUint32(off + 8, false);
      if (bom === PCAPNG_BYTE_ORDER_MAGIC) blockLe = false;
      else if (bom === 0x4d3c2b1a) blockLe = true;
      else return fail(file, index, off, `Section Header Block has bad byte-order magic ${hex32(bom)}`);
    } else if (le === null) {
      return fail(file, index, off, `not a pcapng file: first block type is ${hex32(typeBE)}, not a Section Header Block`);
    } else {
      blockLe = le;
    }
    const type = view.getUint32(off, blockLe);
    const total = view.getUint32(off + 4, blockLe);
    const minLen = type === PCAPNG_SHB_TYPE ? SHB_MIN_LEN : BLOCK_MIN_LEN;
    if (total < minLen) {
      return fail(file, index, off, `block of type ${hex32(type)} has total length ${total}, less than ${minLen}`);
    }
    if (total % 4 !== 0) {
      return fail(file, index, off, `block of type ${hex32(type)} has total length ${total}, not a multiple of 4`);
    }
    if (total > avail) {
      return fail(file, index, off, `truncated pcapng file; tried to read ${total} block bytes, only got ${avail}`);
    }
    const trailer = view.getUint32(off + total - 4, blockLe);
    if (trailer !== total) {
      return fail(file, index, off, `block of type ${hex32(type)} has total length ${total} at its start but ${trailer} at its end`);
    }
    const body = off + 8;
    const bodyLen = total - 12;

    switch (type) {
      case PCAPNG_SHB_TYPE: {
        // body: byte-order magic (4), major (2), minor (2), section length (8), options.
        const major = view.getUint16(body + 4, blockLe);
        const minor = view.getUint16(body + 6, blockLe);
        if (major !== 1) return fail(file, index, off, `unsupported pcapng section version ${major}.${minor}`);
        le = blockLe;
        // Interface ids are numbered per section (draft §4.2).
        interfaces = [];
        break;
      }
      case PCAPNG_IDB_TYPE: {
        if (bodyLen < 8) return fail(file, index, off, `Interface Description Block body is ${bodyLen} bytes, less than 8`);
        const linktype = view.getUint16(body, blockLe);
        const rawSnaplen = view.getUint32(body + 4, blockLe);
        let base: 10 | 2 = 10;
        let exp = 6;
        let tsOffset = 0;
        // Options: code (2), length (2), value padded to 4 bytes.
        let o = body + 8;
        const end = body + bodyLen;
        while (end - o >= 4) {
          const code = view.getUint16(o, blockLe);
          const len = view.getUint16(o + 2, blockLe);
          if (code === OPT_ENDOFOPT) break;
          const padded = (len + 3) & ~3;
          if (o + 4 + padded > end) {
            return fail(file, index, off, `Interface Description Block option ${code} of length ${len} runs past the end of the block`);
          }
          if (code === IF_TSRESOL) {
            if (len !== 1) return fail(file, index, off, `if_tsresol option has length ${len}, not 1`);
            const v = bytes[o + 4]!;
            // MSB clear: 10^-v seconds; MSB set: 2^-(v & 0x7f) seconds.
            base = (v & 0x80) === 0 ? 10 : 2;
            exp = v & 0x7f;
          } else if (code === IF_TSOFFSET) {
            if (len !== 8) return fail(file, index, off, `if_tsoffset option has length ${len}, not 8`);
            tsOffset = Number(view.getBigInt64(o + 4, blockLe));
          }
          o += 4 + padded;
        }
        const iface = makeInterface(linktype, rawSnaplen, base, exp, tsOffset);
        interfaces.push(iface);
        if (!haveFirstInterface) {
          haveFirstInterface = true;
          file.linktype = iface.linktype;
          file.snaplen = iface.snaplen;
          file.nanoPrecision = iface.nano;
        }
        break;
      }
      case PCAPNG_EPB_TYPE:
      case PCAPNG_PB_TYPE: {
        const name = type === PCAPNG_EPB_TYPE ? 'Enhanced Packet Block' : 'Packet Block';
        if (bodyLen < 20) return fail(file, index, off, `${name} body is ${bodyLen} bytes, less than 20`);
        // EPB: interface id (4); PB: interface id (2), drops count (2).
        const ifId = type === PCAPNG_EPB_TYPE ? view.getUint32(body, blockLe) : view.getUint16(body, blockLe);
        const tsHigh = view.getUint32(body + 4, blockLe);
        const tsLow = view.getUint32(body + 8, blockLe);
        const caplen = view.getUint32(body + 12, blockLe);
        const len = view.getUint32(body + 16, blockLe);
        if (caplen > bodyLen - 20) {
          return fail(file, index, off, `${name} captured length ${caplen} is larger than the ${bodyLen - 20} bytes the block holds`);
        }
        const iface = interfaces[ifId];
        if (iface === undefined) {
          return fail(file, index, off, `${name} refers to interface ${ifId}, but the section describes ${interfaces.length}`);
        }
        const { sec, nsec } = splitTimestamp(iface, tsHigh, tsLow);
        const kept = Math.min(caplen, iface.snaplen);
        records.push({
          tsSec: sec,
          tsNsec: nsec,
          nanoPrecision: iface.nano,
          linktype: iface.linktype,
          len,
          data: bytes.subarray(body + 20, body + 20 + kept),
          interfaceId: ifId,
        });
        break;
      }
      case PCAPNG_SPB_TYPE: {
        if (bodyLen < 4) return fail(file, index, off, `Simple Packet Block body is ${bodyLen} bytes, less than 4`);
        const iface = interfaces[0];
        if (iface === undefined) {
          return fail(file, index, off, 'Simple Packet Block before any Interface Description Block');
        }
        const len = view.getUint32(body, blockLe);
        // draft §4.4: the captured length is the smaller of the original
        // length and the snapshot length; the block carries no timestamp.
        const kept = Math.min(len, iface.snaplen, bodyLen - 4);
        records.push({
          tsSec: 0,
          tsNsec: 0,
          nanoPrecision: iface.nano,
          linktype: iface.linktype,
          len,
          data: bytes.subarray(body + 4, body + 4 + kept),
          interfaceId: 0,
        });
        break;
      }
      default:
        // NRB, ISB, DSB, custom and unknown blocks carry no packets.
        break;
    }
    off += total;
  }
  return file;
}
