// Node-compatible sockets over a synack stack.

export { NetStack, createServer, connect, type ConnectArgs } from './net.js';
export { Server, type ServerOptions, type ListenOptions, type DropInfo } from './server.js';
export { Socket, checkPort, type SocketOptions, type SocketConnectOptions, type ReadyState } from './socket.js';
export { isIP, isIPv4, isIPv6, resolveHost } from './address.js';
export * from './errors.js';
