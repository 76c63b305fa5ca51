// A Stack with Node's `net` API on it: stack.createServer(),
// stack.connect() / stack.createConnection(). The stack layer knows
// nothing of streams (DESIGN: api → stack); this is where they meet.

import { Stack, type StackOptions } from '../stack/stack.js';
import { HOST_PROFILE } from '../tcp/config.js';
import { Server, type ServerOptions } from './server.js';
import { Socket, type SocketConnectOptions } from './socket.js';

export type ConnectArgs =
  | [options: SocketConnectOptions & { allowHalfOpen?: boolean }, connectListener?: () => void]
  | [port: number | string, host?: string, connectListener?: () => void]
  | [port: number | string, connectListener?: () => void];

/** `net.createServer([options][, connectionListener])` on `stack`. */
export function createServer(stack: Stack, options?: ServerOptions | ((socket: Socket) => void), connectionListener?: (socket: Socket) => void): Server {
  if (typeof options === 'function') return new Server(stack, {}, options);
  return new Server(stack, options ?? {}, connectionListener);
}

/** `net.connect(...)` / `net.createConnection(...)` on `stack`. */
export function connect(stack: Stack, ...args: ConnectArgs): Socket {
  const first = args[0];
  const allowHalfOpen = typeof first === 'object' && first !== null ? first.allowHalfOpen : undefined;
  const socket = new Socket(allowHalfOpen === undefined ? { stack } : { stack, allowHalfOpen });
  return (socket.connect as (...a: unknown[]) => Socket)(...args);
}

export class NetStack extends Stack {
  /** Without `opts.tcp`, connections get HOST_PROFILE: Linux's defaults with auto-tuned buffers. */
  constructor(opts: StackOptions) {
    super(opts.tcp === undefined ? { ...opts, tcp: HOST_PROFILE } : opts);
  }

  createServer(options?: ServerOptions | ((socket: Socket) => void), connectionListener?: (socket: Socket) => void): Server {
    return createServer(this, options, connectionListener);
  }

  connect(...args: ConnectArgs): Socket {
    return connect(this, ...args);
  }

  createConnection(...args: ConnectArgs): Socket {
    return connect(this, ...args);
  }
}
