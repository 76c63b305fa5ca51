// A packet as a capture file stores it, whatever the file format.

/** LINKTYPE_ values (tcpdump.org/linktypes.html). */
export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

export interface CaptureRecord {
  /** Seconds since the epoch (may be negative only in broken files). */
  tsSec: number;
  /** Fraction of the second in nanoseconds (0..999_999_999, unvalidated). */
  tsNsec: number;
  /** Whether the file stored nanosecond precision (pcap ns magic, pcapng if_tsresol finer than µs). */
  nanoPrecision: boolean;
  /** LINKTYPE_ of the interface this packet was captured on. */
  linktype: number;
  /** Bytes on the wire (orig_len). */
  len: number;
  /** The captured bytes (caplen = data.length). */
  data: Uint8Array;
  /** Index of the capture interface (pcapng); 0 for pcap. */
  interfaceId: number;
}

/** A capture file that stopped early: the records before the fault, then the fault. */
export interface CaptureError {
  /** Index (0-based) of the record that could not be read. */
  record: number;
  /** Byte offset in the file where the bad record starts. */
  offset: number;
  message: string;
}
