// Errors the stack's user calls fail with (DESIGN rule 5): shaped like
// Node's system errors — an Error with `code`, `errno` (negative, as libuv
// reports it; the Linux numbers) and `syscall`, and the message Node would
// print, e.g. "connect ECONNREFUSED 10.0.0.2:80".

export type StackErrorCode =
  | 'ECONNREFUSED'
  | 'ECONNRESET'
  | 'ETIMEDOUT'
  | 'EPIPE'
  | 'EHOSTUNREACH'
  | 'ENETUNREACH'
  | 'EADDRINUSE'
  | 'EADDRNOTAVAIL'
  | 'EAFNOSUPPORT'
  | 'EINVAL'
  | 'EMSGSIZE'
  | 'ENOTCONN'
  | 'EISCONN'
  | 'ECONNABORTED'
  | 'ECANCELED'
  | 'EBADF'
  /** The stack's connection limit is reached (StackOptions.maxConnections). */
  | 'ENOBUFS';

/** Linux errno values; Node reports them negated (uv error codes). */
const ERRNO: Record<StackErrorCode, number> = {
  EPIPE: 32,
  ENOBUFS: 105,
  EINVAL: 22,
  EBADF: 9,
  EMSGSIZE: 90,
  EAFNOSUPPORT: 97,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENETUNREACH: 101,
  ECONNABORTED: 103,
  ECONNRESET: 104,
  EISCONN: 106,
  ENOTCONN: 107,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTUNREACH: 113,
  ECANCELED: 125,
};

const DESCRIPTION: Record<StackErrorCode, string> = {
  EPIPE: 'broken pipe',
  ENOBUFS: 'no buffer space available',
  EINVAL: 'invalid argument',
  EBADF: 'bad file descriptor',
  EMSGSIZE: 'message too long',
  EAFNOSUPPORT: 'address family not supported',
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available',
  ENETUNREACH: 'network is unreachable',
  ECONNABORTED: 'connection aborted',
  ECONNRESET: 'connection reset by peer',
  EISCONN: 'socket is already connected',
  ENOTCONN: 'socket is not connected',
  ETIMEDOUT: 'connection timed out',
  ECONNREFUSED: 'connection refused',
  EHOSTUNREACH: 'host is unreachable',
  ECANCELED: 'operation canceled',
};

/** The negative errno Node reports for `code`. */
export function errnoOf(code: StackErrorCode): number {
  return -ERRNO[code];
}

export class StackError extends Error {
  readonly code: StackErrorCode;
  readonly errno: number;
  readonly syscall: string;
  readonly address?: string;
  readonly port?: number;

  /**
   * @param syscall the call that failed, as Node names it ('connect', 'read', 'write', 'listen', 'bind', 'send'...)
   * @param address and `port`, when the call concerned one (they end the message as Node's do)
   */
  constructor(code: StackErrorCode, syscall: string, address?: string, port?: number) {
    // Node: "connect ECONNREFUSED 127.0.0.1:80", "listen EADDRINUSE: address already in use :::80",
    // "read ECONNRESET", "write EPIPE".
    let message = `${syscall} ${code}`;
    if (syscall === 'listen' || syscall === 'bind') message += `: ${DESCRIPTION[code]}`;
    if (address !== undefined) message += port !== undefined ? ` ${address}:${port}` : ` ${address}`;
    super(message);
    this.code = code;
    this.errno = errnoOf(code);
    this.syscall = syscall;
    if (address !== undefined) this.address = address;
    if (port !== undefined) this.port = port;
  }
}

export function isStackError(e: unknown): e is StackError {
  return e instanceof StackError;
}
