// Lets a protocol printer hand an embedded datagram back to the IP printer
// (ICMP errors quote the datagram that caused them).
export interface PacketPrinters {
  ipv4(offset: number, length: number): void;
}
