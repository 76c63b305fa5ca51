// Segmentation offload, the cutting step: the second and later packets of a
// train of TCP segments (Segment.gsoSize) are made from the first one's
// headers, as a NIC cuts a TSO super-segment. Every piece gets the first
// packet's IP and TCP header bytes, then its own payload, sequence number,
// lengths, IPv4 identification and checksums; PSH stays on the last piece
// only. The result is byte for byte what emitTcp and emitIpv4/emitIpv6
// would write for that segment alone, at a fraction of the cost: nothing
// is validated again, options are not written again, and the payloads'
// sums come from one pass over the whole train (pieceSums).

import { get16, put16, put32, u8set } from './bytes.js';
import { fold, onesComplementSum } from './checksum.js';
import { PSH } from './tcp-types.js';

/** The parts of a train's first packet that every later piece starts from. */
export interface TrainHeader {
  /** The first packet's IP and TCP headers (ipLength + tcpLength bytes). */
  bytes: Uint8Array;
  /** 20 for IPv4, 40 for IPv6 (no extension headers). */
  ipLength: number;
  /** The TCP header with its options. */
  tcpLength: number;
  /**
   * The pseudo-header sum without the length (addresses and protocol,
   * folded): pseudoHeaderSum(src, dst, IPPROTO_TCP, 0).
   */
  pseudoSum: number;
  /** Leave the TCP checksum to the device (CHECKSUM_PARTIAL: the pseudo-header sum alone). */
  partial: boolean;
  /**
   * Set by prepareTrain: the sums of the headers with the fields each
   * piece changes taken as zero (IPv4 total length, identification and
   * checksum; TCP sequence number, PSH and checksum), so that a piece's
   * checksums need only its own fields added (RFC 1071 §2: the sum is
   * commutative and associative).
   */
  ipBaseSum: number;
  tcpBaseSum: number;
}

/** Compute the base sums of `h` (once per train, after `bytes` is set). */
export function prepareTrain(h: TrainHeader): void {
  const b = h.bytes;
  const ip = h.ipLength;
  // Each sum less the words that change, word by word (no carries lost:
  // the total stays far below 2^53).
  if (ip === 20) h.ipBaseSum = onesComplementSum(b, 0, 20) + 0x3fffc - get16(b, 2) - get16(b, 4) - get16(b, 10);
  else h.ipBaseSum = 0;
  const flagsWord = get16(b, ip + 12);
  h.tcpBaseSum =
    onesComplementSum(b, ip, ip + h.tcpLength) + 0x3fffc - get16(b, ip + 4) - get16(b, ip + 6) - get16(b, ip + 16) - flagsWord + (flagsWord & ~PSH);
}

/**
 * Write one piece of a train into `out` (exactly header + payload bytes
 * long): the headers of `h`, sequence number `seq`, PSH if `psh` (the
 * first packet of a train of several never has it: a train's PSH goes on
 * its last piece), IPv4 identification `ipId`, and `payload`, whose folded
 * one's-complement sum is `payloadSum` (see pieceSums).
 */
export function writeTrainPiece(h: TrainHeader, out: Uint8Array, seq: number, psh: boolean, ipId: number, payload: Uint8Array, payloadSum: number): void {
  const ip = h.ipLength;
  const headers = ip + h.tcpLength;
  const tcpLen = h.tcpLength + payload.length;
  u8set.call(out, h.bytes);
  if (ip === 20) {
    const total = headers + payload.length;
    put16(out, 2, total);
    put16(out, 4, ipId);
    put16(out, 10, ~fold(h.ipBaseSum + total + ipId) & 0xffff);
  } else {
    put16(out, 4, tcpLen);
  }
  put32(out, ip + 4, seq);
  if (psh) out[ip + 13] = out[ip + 13]! | PSH;
  u8set.call(out, payload, headers);
  // RFC 9293 §3.1: the checksum covers the pseudo-header (whose length
  // field is this piece's), the header and the payload.
  const ps = h.pseudoSum + (tcpLen & 0xffff) + Math.floor(tcpLen / 0x10000);
  if (h.partial) put16(out, ip + 16, fold(ps));
  else {
    const header = h.tcpBaseSum + (seq >>> 16) + (seq & 0xffff) + (psh ? PSH : 0);
    put16(out, ip + 16, ~fold(ps + header + payloadSum) & 0xffff);
  }
}
