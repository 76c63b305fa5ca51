// Read a capture file of either format (classic pcap or pcapng), chosen by its
// first four bytes.

import type { CaptureError, CaptureRecord } from './capture.js';
import { PCAPNG_SHB_TYPE, readPcapng } from './pcapng.js';
import { isPcapMagic, readPcap } from './pcap.js';

export interface CaptureFile {
  format: 'pcap' | 'pcapng';
  /**
   * pcap: the file's linktype; pcapng: the first interface's
   * (-1 when the file describes no interface before it stops).
   */
  linktype: number;
  /**
   * The snapshot length as libpcap reports it: 0 or anything above
   * MAX_SNAPLEN in the file is reported as MAX_SNAPLEN.
   */
  snaplen: number;
  /** true for the pcap ns magic; pcapng: the first interface's if_tsresol finer than µs. */
  nanoPrecision: boolean;
  records: CaptureRecord[];
  /** Set when the file stopped early: every good record before it is in `records`. */
  error?: CaptureError;
}

/** Never throws. A file that is not a capture at all gives records [] and error {record:0, offset:0, message}. */
export function readCapture(bytes: Uint8Array): CaptureFile {
  if (bytes.length >= 4) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const first = view.getUint32(0, false);
    // The SHB block type reads the same in both byte orders.
    if (first === PCAPNG_SHB_TYPE) return readPcapng(bytes);
    if (isPcapMagic(first)) return readPcap(bytes);
  }
  // Not a pcapng file: let the pcap reader word the error (short file or
  // unknown magic), as libpcap does when neither format matches.
  return readPcap(bytes);
}
