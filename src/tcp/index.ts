// The sans-IO TCP core.
export * from './types.js';
export * from './config.js';
export { TcpConnection, resetFor, type OpenOptions, type TcpStats, type NegotiatedOptions } from './connection.js';
export { IsnGenerator } from './isn.js';
export { RtoEstimator } from './rto.js';
export * from './seq.js';
export * from './options.js';
export { SendBuffer } from './send-buffer.js';
export { RecvBuffer } from './recv-buffer.js';
