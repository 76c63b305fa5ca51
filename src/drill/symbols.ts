// The C symbols packetdrill scripts use in system calls (address families,
// socket options, flags, errno names), with the values of the platform a
// script was written for: Linux for the google and kernel suites, FreeBSD
// for the freebsd-net suite. Values matter where a script compares numbers
// (`fcntl(3, F_GETFL) = 0x802`, `[ECONNRESET]` from SO_ERROR); names are
// what the host acts on.

import type { Expr } from './ast.js';

export type Platform = 'linux' | 'freebsd';

/** Errno names with their numbers on each platform. */
const ERRNO: Record<string, [linux: number, freebsd: number]> = {
  EPERM: [1, 1],
  ENOENT: [2, 2],
  EINTR: [4, 4],
  EIO: [5, 5],
  EBADF: [9, 9],
  EAGAIN: [11, 35],
  EWOULDBLOCK: [11, 35],
  ENOMEM: [12, 12],
  EFAULT: [14, 14],
  EINVAL: [22, 22],
  EPIPE: [32, 32],
  EINPROGRESS: [115, 36],
  EALREADY: [114, 37],
  ENOTSOCK: [88, 38],
  EDESTADDRREQ: [89, 39],
  EMSGSIZE: [90, 40],
  ENOPROTOOPT: [92, 42],
  EOPNOTSUPP: [95, 45],
  ENOTSUP: [95, 45],
  EAFNOSUPPORT: [97, 47],
  EADDRINUSE: [98, 48],
  EADDRNOTAVAIL: [99, 49],
  ENETDOWN: [100, 50],
  ENETUNREACH: [101, 51],
  ECONNABORTED: [103, 53],
  ECONNRESET: [104, 54],
  ENOBUFS: [105, 55],
  EISCONN: [106, 56],
  ENOTCONN: [107, 57],
  ETIMEDOUT: [110, 60],
  ECONNREFUSED: [111, 61],
  EHOSTDOWN: [112, 64],
  EHOSTUNREACH: [113, 65],
};

/** Other symbols: [linux, freebsd]; undefined where the platform has no such symbol. */
const SYMBOLS: Record<string, [number | undefined, number | undefined]> = {
  AF_UNSPEC: [0, 0],
  AF_INET: [2, 2],
  AF_INET6: [10, 28],
  PF_INET: [2, 2],
  PF_INET6: [10, 28],
  SOCK_STREAM: [1, 1],
  SOCK_DGRAM: [2, 2],
  SOCK_NONBLOCK: [0x800, 0x20000000],
  SOCK_CLOEXEC: [0x80000, 0x10000000],
  IPPROTO_IP: [0, 0],
  IPPROTO_TCP: [6, 6],
  IPPROTO_UDP: [17, 17],
  IPPROTO_IPV6: [41, 41],
  SOL_SOCKET: [1, 0xffff],
  SOL_TCP: [6, 6],
  SOL_IP: [0, 0],
  SOL_IPV6: [41, 41],
  SO_DEBUG: [1, 1],
  SO_REUSEADDR: [2, 4],
  SO_ERROR: [4, 0x1007],
  SO_SNDBUF: [7, 0x1001],
  SO_RCVBUF: [8, 0x1002],
  SO_KEEPALIVE: [9, 8],
  SO_LINGER: [13, 0x80],
  SO_REUSEPORT: [15, 0x200],
  SO_RCVLOWAT: [18, 0x1004],
  SO_SNDLOWAT: [19, 0x1003],
  TCP_NODELAY: [1, 1],
  TCP_MAXSEG: [2, 2],
  TCP_CORK: [3, undefined],
  TCP_NOPUSH: [undefined, 4],
  TCP_KEEPIDLE: [4, 256],
  TCP_KEEPINTVL: [5, 512],
  TCP_KEEPCNT: [6, 1024],
  TCP_KEEPINIT: [undefined, 128],
  TCP_SYNCNT: [7, undefined],
  TCP_USER_TIMEOUT: [18, undefined],
  F_GETFL: [3, 3],
  F_SETFL: [4, 4],
  O_RDONLY: [0, 0],
  O_WRONLY: [1, 1],
  O_RDWR: [2, 2],
  O_NONBLOCK: [0x800, 0x4],
  MSG_OOB: [1, 1],
  MSG_PEEK: [2, 2],
  MSG_DONTROUTE: [4, 4],
  MSG_EOR: [0x80, 0x8],
  MSG_TRUNC: [0x20, 0x10],
  MSG_DONTWAIT: [0x40, 0x80],
  MSG_WAITALL: [0x100, 0x40],
  MSG_NOSIGNAL: [0x4000, 0x20000],
  MSG_MORE: [0x8000, undefined],
  SHUT_RD: [0, 0],
  SHUT_WR: [1, 1],
  SHUT_RDWR: [2, 2],
  POLLIN: [0x1, 0x1],
  POLLPRI: [0x2, 0x2],
  POLLOUT: [0x4, 0x4],
  POLLERR: [0x8, 0x8],
  POLLHUP: [0x10, 0x10],
  POLLNVAL: [0x20, 0x20],
  POLLRDNORM: [0x40, 0x40],
  POLLRDBAND: [0x80, 0x80],
  POLLWRNORM: [0x100, 0x4],
  POLLWRBAND: [0x200, 0x100],
  POLLRDHUP: [0x2000, 0x4000],
  SIOCINQ: [0x541b, undefined],
  FIONREAD: [0x541b, 0x4004667f],
  SIOCOUTQ: [0x5411, undefined],
  TIOCOUTQ: [0x5411, 0x40047473],
  FIONBIO: [0x5421, 0x8004667e],
  NULL: [0, 0],
};

const index = (p: Platform): 0 | 1 => (p === 'linux' ? 0 : 1);

/** The number of an errno name on a platform (EWOULDBLOCK = EAGAIN, ENOTSUP = EOPNOTSUPP). */
export function errnoValue(name: string, p: Platform): number | undefined {
  return ERRNO[name]?.[index(p)];
}

/** Whether two errno names denote the same error on a platform. */
export function sameErrno(a: string, b: string, p: Platform): boolean {
  if (a === b) return true;
  const x = errnoValue(a, p);
  return x !== undefined && x === errnoValue(b, p);
}

/** The value of a symbol (errno names included) on a platform. */
export function symbolValue(name: string, p: Platform): number | undefined {
  const e = errnoValue(name, p);
  if (e !== undefined) return e;
  return SYMBOLS[name]?.[index(p)];
}

/**
 * The integer value of an expression: numbers, symbols, `A|B`, `htons(N)`,
 * `[N]` (a pointer to one int). Undefined when it is not a constant.
 */
export function evalInt(e: Expr | undefined, p: Platform): number | undefined {
  if (e === undefined) return undefined;
  switch (e.kind) {
    case 'int':
      return e.value;
    case 'word':
      return symbolValue(e.name, p);
    case 'or': {
      const a = evalInt(e.lhs, p);
      const b = evalInt(e.rhs, p);
      return a === undefined || b === undefined ? undefined : (a | b) >>> 0;
    }
    case 'array':
      return e.elements.length === 1 ? evalInt(e.elements[0], p) : undefined;
    case 'call':
      return (e.name === 'htons' || e.name === 'htonl' || e.name === 'ntohs' || e.name === 'ntohl') && e.args.length === 1 ? evalInt(e.args[0], p) : undefined;
    default:
      return undefined;
  }
}

/** Whether an expression names a bit that `value` has (O_NONBLOCK in `O_RDWR|O_NONBLOCK`). */
export function hasFlag(e: Expr | undefined, flag: string, p: Platform): boolean {
  const v = evalInt(e, p);
  const f = symbolValue(flag, p);
  return v !== undefined && f !== undefined && f !== 0 && (v & f) === f;
}
