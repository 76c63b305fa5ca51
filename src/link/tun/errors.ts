// Errors from opening and driving a TUN device: Node-style Error objects
// carrying the errno name in `code` (DESIGN rule 5), with a message that says
// what to do about it.

/** An Error with Node's system-error fields. */
export interface TunError extends Error {
  /** errno name (`EPERM`, `ENOENT`, `EBUSY`, ...) or `ENOTSUP` off Linux. */
  code: string;
  /** Negative errno, as Node reports it, when one is known. */
  errno?: number;
  /** What failed: `open`, `ioctl TUNSETIFF`, `spawn python3`, `read`, `write`. */
  syscall?: string;
  /** The file involved, when there is one. */
  path?: string;
}

export function tunError(code: string, message: string, extra?: { errno?: number; syscall?: string; path?: string }): TunError {
  const err = new Error(message) as TunError;
  err.code = code;
  if (extra?.errno !== undefined) err.errno = extra.errno;
  if (extra?.syscall !== undefined) err.syscall = extra.syscall;
  if (extra?.path !== undefined) err.path = extra.path;
  return err;
}

/** The code of a caught value, when it carries one. */
export function errorCode(e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e) {
    const code = (e as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

function errnoOf(e: unknown): number | undefined {
  if (typeof e === 'object' && e !== null && 'errno' in e) {
    const n = (e as { errno: unknown }).errno;
    if (typeof n === 'number') return n;
  }
  return undefined;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Turn a failure to open the clone device or attach an interface into an
 * error that names the cause. `step` is 'open' (opening `path`) or
 * 'attach' (the TUNSETIFF ioctl for `name`, empty when the kernel chooses).
 */
export function openError(e: unknown, step: 'open' | 'attach', path: string, name: string): TunError {
  const code = errorCode(e) ?? 'EUNKNOWN';
  const extra = { errno: errnoOf(e), syscall: step === 'open' ? 'open' : 'ioctl TUNSETIFF', path };
  const iface = name === '' ? 'a TUN interface' : `TUN interface '${name}'`;
  switch (code) {
    case 'EPERM':
    case 'EACCES':
      return tunError(
        code,
        step === 'open'
          ? `cannot open ${path}: permission denied (creating a TUN device needs root or CAP_NET_ADMIN)`
          : `cannot create ${iface}: operation not permitted (needs root or CAP_NET_ADMIN)`,
        extra,
      );
    case 'ENOENT':
      return tunError(code, `${path} does not exist: this kernel has no TUN device node (load the tun module, or create it with 'mknod ${path} c 10 200')`, extra);
    case 'ENODEV':
    case 'ENXIO':
      return tunError(code, `${path} exists but no TUN driver answers it (load the tun module: 'modprobe tun')`, extra);
    case 'ENOTTY':
      return tunError(code, `${path} is not a TUN clone device (the TUNSETIFF ioctl is not understood)`, extra);
    case 'EBUSY':
      return tunError(code, `cannot attach to ${iface}: it exists and is in use (a single-queue device takes one descriptor; use multiQueue on every queue)`, extra);
    case 'EINVAL':
      return tunError(
        code,
        `cannot attach to ${iface}: invalid request (the name may be malformed, or the interface exists with other flags: TAP, or multi-queue where this asks for single-queue or the reverse)`,
        extra,
      );
    default:
      return tunError(code, `cannot ${step === 'open' ? `open ${path}` : `create ${iface}`}: ${messageOf(e)}`, extra);
  }
}
