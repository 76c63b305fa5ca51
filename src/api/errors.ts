// Errors as Node's `net` reports them: system errors (code, errno, syscall,
// address, port) from the stack, and the ERR_* argument errors Node throws
// synchronously for bad arguments.

import { StackError, type StackErrorCode } from '../stack/errors.js';

export { StackError, type StackErrorCode };

/** A system error like Node's, e.g. `connect ECONNREFUSED 10.0.0.2:80`. */
export function systemError(code: StackErrorCode, syscall: string, address?: string, port?: number): StackError {
  return new StackError(code, syscall, address, port);
}

export interface NodeCodedError extends Error {
  code: string;
}

function coded<E extends Error>(err: E, code: string): E & NodeCodedError {
  const e = err as E & NodeCodedError;
  e.code = code;
  return e;
}

/** What Node calls "Received ...": the type and value of a bad argument. */
function received(value: unknown): string {
  if (value === null) return 'Received null';
  if (value === undefined) return 'Received undefined';
  if (typeof value === 'function') return `Received function ${value.name || '<anonymous>'}`;
  if (typeof value === 'object') return `Received an instance of ${(value as object).constructor?.name ?? 'Object'}`;
  let shown = String(value);
  if (typeof value === 'string') shown = `'${shown.length > 25 ? shown.slice(0, 25) + '...' : shown}'`;
  return `Received type ${typeof value} (${shown})`;
}

/** ERR_SOCKET_BAD_PORT (RangeError), as net.connect and server.listen throw it. */
export function errBadPort(name: string, value: unknown, allowZero = true): RangeError & NodeCodedError {
  const op = allowZero ? '>=' : '>';
  return coded(new RangeError(`${name} should be ${op} 0 and < 65536. ${received(value)}.`), 'ERR_SOCKET_BAD_PORT');
}

/** ERR_INVALID_ARG_TYPE (TypeError). */
export function errInvalidArgType(name: string, expected: string, value: unknown): TypeError & NodeCodedError {
  return coded(new TypeError(`The "${name}" argument must be ${expected}. ${received(value)}`), 'ERR_INVALID_ARG_TYPE');
}

/** ERR_INVALID_ARG_VALUE (TypeError). */
export function errInvalidArgValue(name: string, value: unknown, reason = 'is invalid'): TypeError & NodeCodedError {
  return coded(new TypeError(`The argument '${name}' ${reason}. ${received(value).replace('Received type string ', 'Received ')}`), 'ERR_INVALID_ARG_VALUE');
}

/** ERR_INVALID_IP_ADDRESS (TypeError). */
export function errInvalidIp(value: string): TypeError & NodeCodedError {
  return coded(new TypeError(`Invalid IP address: ${value}`), 'ERR_INVALID_IP_ADDRESS');
}

/** ERR_OUT_OF_RANGE (RangeError). */
export function errOutOfRange(name: string, range: string, value: unknown): RangeError & NodeCodedError {
  return coded(new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${String(value)}`), 'ERR_OUT_OF_RANGE');
}

/** ERR_SERVER_ALREADY_LISTEN. */
export function errServerAlreadyListen(): Error & NodeCodedError {
  return coded(new Error('Listen method has been called more than once without closing.'), 'ERR_SERVER_ALREADY_LISTEN');
}

/** ERR_SERVER_NOT_RUNNING. */
export function errServerNotRunning(): Error & NodeCodedError {
  return coded(new Error('Server is not running.'), 'ERR_SERVER_NOT_RUNNING');
}

/** ERR_SOCKET_BUFFER_SIZE (as dgram.Socket throws it for a socket without a connection). */
export function errSocketBufferSize(): Error & NodeCodedError {
  return coded(new Error('Could not get or set buffer size: the socket has no connection'), 'ERR_SOCKET_BUFFER_SIZE');
}

/** ERR_SOCKET_CLOSED. */
export function errSocketClosed(): Error & NodeCodedError {
  return coded(new Error('Socket is closed'), 'ERR_SOCKET_CLOSED');
}

/** A name lookup that cannot succeed: the stack has no resolver (Node: getaddrinfo ENOTFOUND). */
export function errNotFound(hostname: string): Error & NodeCodedError & { errno: number; syscall: string; hostname: string } {
  const e = coded(new Error(`getaddrinfo ENOTFOUND ${hostname}`), 'ENOTFOUND') as Error &
    NodeCodedError & { errno: number; syscall: string; hostname: string };
  // UV_EAI_NONAME, as Node reports it.
  e.errno = -3008;
  e.syscall = 'getaddrinfo';
  e.hostname = hostname;
  return e;
}
