// A link-layer device carries whole IP packets (no link header), like a TUN.

export interface NetDevice {
  /** Largest IP packet the device carries. */
  readonly mtu: number;
  /**
   * Whether the device offloads TCP checksums: it accepts segments whose
   * checksum field holds only the pseudo-header sum (`send(packet, true)`)
   * and may deliver TCP/UDP packets with `checksumValid` set, whose
   * checksum must then not be verified (it may be partial). Absent: no.
   */
  readonly checksumOffload?: boolean;
  /**
   * Segmentation offload (TSO), only where `checksumOffload`: the largest
   * TCP super-segment, in bytes of IP packet, the device takes with a GSO
   * size (`send(packet, true, gsoSize)`) and cuts into segments of
   * `gsoSize` payload bytes each, as a NIC cuts a TSO super-segment: the
   * headers of the first on each, the sequence number advanced, the IPv4
   * identification counted up from the super-segment's, PSH and FIN on the
   * last only, CWR on the first only, the checksums completed. Absent or 0:
   * none; every packet sent is one segment no larger than the MTU.
   */
  readonly gsoMaxSize?: number;
  /**
   * Transmit one IP packet. Ownership of `packet` passes to the device: the
   * caller must not write to it afterwards (DESIGN rule 7).
   * `partialChecksum` (only where `checksumOffload`): a TCP segment whose
   * checksum the device completes. `gsoSize` (only where `gsoMaxSize`, with
   * `partialChecksum`): a super-segment to cut (see gsoMaxSize).
   */
  send(packet: Uint8Array, partialChecksum?: boolean, gsoSize?: number): void;
  /**
   * Called for every IP packet received; set by whoever owns the device.
   * The packet becomes the receiver's: the device does not write to it or
   * hand it to anyone else afterwards (a device that reads into a buffer it
   * reuses hands over copies, DESIGN rule 7), so the receiver may keep
   * views of it (the stack keeps large TCP payloads as they are).
   * `checksumValid`: the device vouches for the TCP/UDP checksum (it may
   * hold only the pseudo-header sum), so it must not be verified.
   * `exclusive`: besides, nobody else holds or will take a view of the
   * packet's bytes (nothing was shown it on the way, no tap, no log), so
   * once the receiver keeps no view either, it may reuse the buffer for a
   * packet of its own (Slab.recycle). Absent: false.
   */
  onReceive: ((packet: Uint8Array, checksumValid?: boolean, exclusive?: boolean) => void) | null;
  /**
   * Whether the device hands over what one read (one wake-up, one
   * interrupt) brought as a batch: a run of `onReceive` calls followed, in
   * the same task, by one `onReceiveBatchEnd` call, always. The owner may
   * then hold its answers until the batch ends, as a kernel's receive
   * offload (GRO) does: one ACK for a burst instead of one per second
   * segment. Absent: no, every packet stands alone.
   */
  readonly receiveBatches?: boolean;
  /** Called after the last `onReceive` of each batch (only where `receiveBatches`); set by the device's owner. */
  onReceiveBatchEnd?: (() => void) | null;
  /**
   * Set by the device's owner: it takes a TCP super-segment whole (one
   * packet larger than the MTU standing for a run of segments, as a
   * kernel's GRO hands its TCP one), from a device that may receive them
   * (a TUN with segmentation offload). Unset or false: such a device cuts
   * them into their segments first.
   */
  takesSuperSegments?: boolean;
  close(): void;
}
