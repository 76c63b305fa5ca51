// The stack layer: interfaces, routes, IPv4/IPv6, ICMP, UDP and the driver
// of TCP connections.

export type { Clock, TimerHandle } from './clock.js';
export { RealClock, type RealClockOptions } from './real-clock.js';
export {
  Stack,
  NetInterface,
  DEFAULT_BACKLOG,
  LOOPBACK_MTU,
  type StackOptions,
  type InterfaceOptions,
  type InterfaceAddress,
  type IcmpRateLimit,
  type TcpConnectOptions,
  type TcpListenOptions,
  type PingOptions,
  type PingReply,
} from './stack.js';
export { TcpEndpoint, TcpListener, type AddressInfo, type TcpHost } from './tcp-endpoint.js';
export { UdpSocket, type RemoteInfo, type UdpSocketOptions, type UdpType, type UdpSocketEvents } from './udp-socket.js';
export { StackError, errnoOf, isStackError, type StackErrorCode } from './errors.js';
export { newStats, DROP_REASONS, type StackStats, type DropReason, type DropInfo } from './stats.js';
export { PortAllocator, DEFAULT_EPHEMERAL_RANGE } from './ports.js';
export { PlatformRandom, randomBytes, type RandomSource } from './random.js';
export { TimerHeap, type HeapEntry } from './timer-heap.js';
export { halfSipHash, hashKeyFromBytes, HashInput, type HashKey } from './hash.js';
export { Emitter, type EventMap } from './emitter.js';
export * from './addr.js';
export { RoutingTable, parseCidr, maskAddress, formatCidr, type Route } from './routes.js';
