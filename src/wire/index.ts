// The wire layer: packet views (parse) and builders (emit).

export * from './errors.js';
export * from './checksum.js';
export * from './tcp-types.js';
export * from './ipv4.js';
export * from './ipv6.js';
export * from './tcp.js';
export * from './udp.js';
export * from './icmp.js';
export * from './icmpv6.js';
