// Shared TCP header types: used by the wire parser/emitter and by the
// sans-IO core (src/tcp), which speaks in these segments.

/** TCP flag bits (RFC 9293 §3.1, RFC 3168 for ECE/CWR, RFC 9768/AccECN for AE). */
export const FIN = 0x001;
export const SYN = 0x002;
export const RST = 0x004;
export const PSH = 0x008;
export const ACK = 0x010;
export const URG = 0x020;
export const ECE = 0x040;
export const CWR = 0x080;
/** The AE bit lives in the low bit of the data-offset byte; we carry it as bit 8. */
export const AE = 0x100;

/** TCP option kinds (IANA). */
export const OPT_EOL = 0;
export const OPT_NOP = 1;
export const OPT_MSS = 2;
export const OPT_WSCALE = 3;
export const OPT_SACK_PERMITTED = 4;
export const OPT_SACK = 5;
export const OPT_TIMESTAMP = 8;

/** One TCP option, in wire order. Unknown options are kept as their bytes. */
export type TcpOption =
  | { kind: 'eol' }
  | { kind: 'nop' }
  | { kind: 'mss'; mss: number }
  | { kind: 'wscale'; shift: number }
  | { kind: 'sackOK' }
  | { kind: 'sack'; blocks: SackBlock[] }
  | { kind: 'timestamp'; val: number; ecr: number }
  | { kind: 'unknown'; type: number; data: Uint8Array };

/** A SACK block: left edge (first sequence number) and right edge (one past the last). */
export interface SackBlock {
  left: number;
  right: number;
}

/**
 * A TCP segment without its addresses: what the core receives and emits.
 * `window` is the raw 16-bit header field (unscaled).
 */
export interface Segment {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  urgent: number;
  options: TcpOption[];
  payload: Uint8Array;
  /**
   * The IP header's ECN codepoint (RFC 3168 §5: 0 not-ECT, 1 ECT(1), 2
   * ECT(0), 3 CE): what the core asks for on a segment it sends, what a
   * received segment arrived with. Absent: 0.
   */
  ecn?: number;
  /**
   * Segmentation offload (on segments a connection hands its driver): when
   * above 0, `payload` is a train of segments of this many bytes each, to be
   * sent as separate segments with this header, the sequence number
   * advancing, and PSH (if set) on the last one only. 0 or absent: one
   * segment. Never set on received segments, nor read by emitTcp.
   */
  gsoSize?: number;
  /**
   * On a received segment: the payload's buffer is the receiver's to keep
   * (the driver hands over the packet it came in, which nobody else holds
   * or will write to), so a connection may keep the payload as it is
   * instead of copying it. Absent: copy what is kept.
   */
  payloadOwned?: boolean;
}
