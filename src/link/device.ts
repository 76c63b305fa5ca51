// A link-layer device carries whole IP packets (no link header), like a TUN.

export interface NetDevice {
  /** Largest IP packet the device carries. */
  readonly mtu: number;
  /**
   * Transmit one IP packet. Ownership of `packet` passes to the device: the
   * caller must not write to it afterwards (DESIGN rule 7).
   */
  send(packet: Uint8Array): void;
  /** Called for every IP packet received; set by whoever owns the device. */
  onReceive: ((packet: Uint8Array) => void) | null;
  close(): void;
}
