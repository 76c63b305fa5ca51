// `synack serve`: synack on a real network. It creates (or attaches to) a
// TUN interface, gives the stack its addresses, configures the kernel's end
// of the link with ip(8), and serves one of the classic services on both
// IPv4 and IPv6: echo (RFC 862), discard (RFC 863), chargen (RFC 864), or
// static files over HTTP (Node's own http server on synack sockets). The
// stack answers pings by itself.
//
// The network part (options, TUN, kernel side, errors) is shared with
// `synack connect`.

import http from 'node:http';
import { spawnSync } from 'node:child_process';
import { createReadStream, promises as fsp, realpathSync, statSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';
import { NetStack } from '../api/net.js';
import type { Server } from '../api/server.js';
import type { Socket } from '../api/socket.js';
import { impair, type ImpairSpec } from '../link/impair.js';
import type { NetDevice } from '../link/device.js';
import { openTun, type TunDevice } from '../link/tun/index.js';
import { formatAddress } from '../stack/addr.js';
import { RealClock } from '../stack/real-clock.js';
import { maskAddress, parseCidr } from '../stack/routes.js';
import type { UdpSocket } from '../stack/udp-socket.js';

// ------------------------------------------------------------------ network options

export const NETWORK_OPTIONS = `network options (serve and connect):
  --dev NAME        TUN interface to create, or to attach to if it exists (default synack0)
  --addr A/N        synack's IPv4 address and prefix (default 10.77.0.2/24)
  --addr6 A/N       synack's IPv6 address and prefix (default fd77::2/64)
  --no-ipv6         no IPv6 address
  --peer A          the kernel's IPv4 address on the link (default: the first
                    address of --addr's network that is not synack's, 10.77.0.1)
  --peer6 A         the kernel's IPv6 address (likewise, default fd77::1)
  --no-configure    leave the kernel's side of the interface alone (addresses,
                    link up): for a device configured beforehand
  --mtu N           interface MTU (default 1500)
  --loss P --reorder P --duplicate P --corrupt P
                    impair synack's traffic both ways with these probabilities
  --delay MS --jitter MS --seed N
                    ... and this delay (milliseconds), from this seed
  --tun-path PATH   the TUN clone device (default /dev/net/tun)
  --backend B       how to reach the TUN device: auto, addon or python
  -v                log each connection on standard error
`;

export class UsageError extends Error {}

export interface NetworkArgs {
  dev: string;
  /** CIDR text of synack's addresses. */
  addr: string;
  addr6: string | null;
  /** The kernel's addresses (no prefix: it takes synack's). */
  peer: string;
  peer6: string | null;
  configure: boolean;
  mtu: number | undefined;
  impair: ImpairSpec | null;
  seed: number;
  tunPath: string | undefined;
  backend: 'auto' | 'addon' | 'python';
  verbose: boolean;
}

export const DEFAULT_DEV = 'synack0';
export const DEFAULT_ADDR = '10.77.0.2/24';
export const DEFAULT_ADDR6 = 'fd77::2/64';

/**
 * The kernel's default address beside synack's: the first address of the
 * network (after the network address itself) that is not synack's.
 */
export function defaultPeer(cidr: string): string {
  const c = parseCidr(cidr);
  if (c === undefined) throw new UsageError(`invalid address '${cidr}'`);
  const net = maskAddress(c.addr, c.prefixLength);
  for (let add = 1; add <= 2; add++) {
    const a = Uint8Array.from(net);
    // Add `add` to the address as one big number.
    let carry = add;
    for (let i = a.length - 1; i >= 0 && carry > 0; i--) {
      const v = a[i]! + carry;
      a[i] = v & 0xff;
      carry = v >> 8;
    }
    if (formatAddress(a) !== formatAddress(c.addr)) return formatAddress(a);
  }
  throw new UsageError(`no room for the kernel's address beside '${cidr}'`);
}

function checkCidr(text: string, family: 4 | 6, name: string): string {
  const c = parseCidr(text);
  if (c === undefined || !text.includes('/') || (c.addr.length === 4) !== (family === 4)) {
    throw new UsageError(`${name} wants an IPv${family} address with its prefix length (like ${family === 4 ? DEFAULT_ADDR : DEFAULT_ADDR6}), got '${text}'`);
  }
  if (c.prefixLength > (family === 4 ? 30 : 126)) throw new UsageError(`${name} '${text}': the prefix leaves no room for the kernel's address`);
  return text;
}

function checkAddress(text: string, family: 4 | 6, name: string): string {
  const c = parseCidr(text);
  if (c === undefined || text.includes('/') || (c.addr.length === 4) !== (family === 4)) {
    throw new UsageError(`${name} wants an IPv${family} address, got '${text}'`);
  }
  return text;
}

function probabilityArg(v: string, name: string): number {
  const p = Number(v);
  if (v.trim() === '' || !(p >= 0 && p <= 1)) throw new UsageError(`${name} wants a probability from 0 to 1, got '${v}'`);
  return p;
}

function millisArg(v: string, name: string): number {
  const ms = Number(v);
  if (v.trim() === '' || !(ms >= 0) || !Number.isFinite(ms)) throw new UsageError(`${name} wants milliseconds, got '${v}'`);
  return Math.round(ms * 1000);
}

/**
 * Parse the network options out of `argv`; returns the parsed options and
 * the arguments left over (in order) for the command.
 */
export function parseNetworkArgs(argv: readonly string[]): { net: NetworkArgs; rest: string[] } {
  const net: NetworkArgs = {
    dev: DEFAULT_DEV,
    addr: DEFAULT_ADDR,
    addr6: DEFAULT_ADDR6,
    peer: '',
    peer6: '',
    configure: true,
    mtu: undefined,
    impair: null,
    seed: 1,
    tunPath: undefined,
    backend: 'auto',
    verbose: false,
  };
  let peer: string | undefined;
  let peer6: string | undefined;
  let noIpv6 = false;
  const spec: ImpairSpec = {};
  const rest: string[] = [];
  const value = (i: number, name: string): string => {
    const v = argv[i];
    if (v === undefined) throw new UsageError(`option ${name} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    switch (a) {
      case '--dev':
        net.dev = value(++i, a);
        if (net.dev === '' || Buffer.byteLength(net.dev) > 15 || /[\s/:]/.test(net.dev)) throw new UsageError(`invalid interface name '${net.dev}'`);
        break;
      case '--addr':
        net.addr = checkCidr(value(++i, a), 4, a);
        break;
      case '--addr6':
        net.addr6 = checkCidr(value(++i, a), 6, a);
        break;
      case '--no-ipv6':
        noIpv6 = true;
        break;
      case '--peer':
        peer = checkAddress(value(++i, a), 4, a);
        break;
      case '--peer6':
        peer6 = checkAddress(value(++i, a), 6, a);
        break;
      case '--no-configure':
        net.configure = false;
        break;
      case '--mtu': {
        const v = value(++i, a);
        const n = Number(v);
        if (!/^[0-9]+$/.test(v) || n < 68 || n > 65535) throw new UsageError(`--mtu wants a whole number from 68 to 65535, got '${v}'`);
        net.mtu = n;
        break;
      }
      case '--loss':
      case '--reorder':
      case '--duplicate':
      case '--corrupt':
        spec[a.slice(2) as 'loss' | 'reorder' | 'duplicate' | 'corrupt'] = probabilityArg(value(++i, a), a);
        break;
      case '--delay':
      case '--jitter':
        spec[a.slice(2) as 'delay' | 'jitter'] = millisArg(value(++i, a), a);
        break;
      case '--seed': {
        const v = value(++i, a);
        if (!/^-?[0-9]+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new UsageError(`--seed wants a whole number, got '${v}'`);
        net.seed = Number(v);
        break;
      }
      case '--tun-path':
        net.tunPath = value(++i, a);
        break;
      case '--backend': {
        const v = value(++i, a);
        if (v !== 'auto' && v !== 'addon' && v !== 'python') throw new UsageError(`--backend wants auto, addon or python, got '${v}'`);
        net.backend = v;
        break;
      }
      case '-v':
      case '--verbose':
        net.verbose = true;
        break;
      default:
        rest.push(a);
    }
  }
  if (noIpv6) net.addr6 = null;
  net.peer = peer ?? defaultPeer(net.addr);
  net.peer6 = net.addr6 === null ? null : (peer6 ?? defaultPeer(net.addr6));
  if (net.peer === net.addr.split('/')[0]) throw new UsageError(`--peer ${net.peer} is synack's own address`);
  if (net.addr6 !== null && net.peer6 !== null && parseCidr(net.peer6)!.addr.join() === parseCidr(net.addr6)!.addr.join()) {
    throw new UsageError(`--peer6 ${net.peer6} is synack's own address`);
  }
  if (Object.keys(spec).length > 0) net.impair = spec;
  if (net.mtu !== undefined && net.mtu < 1280 && net.addr6 !== null) {
    throw new UsageError(`IPv6 needs an MTU of at least 1280 (--mtu ${net.mtu}); add --no-ipv6`);
  }
  return { net, rest };
}

// ------------------------------------------------------------------ the network itself

/** A failure to report as one line, with the exit status to leave with. */
export class CliFailure extends Error {}

/** One line saying why the TUN device could not be opened, for a person. */
export function tunErrorLine(err: unknown, args: Pick<NetworkArgs, 'dev' | 'tunPath'>): string {
  const code = (err as { code?: unknown }).code;
  const path = args.tunPath ?? '/dev/net/tun';
  switch (code) {
    case 'EPERM':
    case 'EACCES':
      return `creating a TUN device needs root (CAP_NET_ADMIN): run as root, or with sudo`;
    case 'ENOENT':
      return `${path} does not exist: this kernel or container has no TUN support (modprobe tun, or mknod ${path} c 10 200)`;
    case 'ENODEV':
    case 'ENXIO':
      return `${path} exists but no TUN driver answers it (modprobe tun)`;
    case 'ENOTTY':
      return `${path} is not a TUN clone device`;
    case 'EBUSY':
      return `interface '${args.dev}' is in use by another program (choose another with --dev)`;
    case 'ENOTSUP':
      return err instanceof Error ? err.message : 'TUN devices are not supported here';
    default:
      return `cannot open TUN interface '${args.dev}': ${err instanceof Error ? err.message : String(err)}`;
  }
}

function ipCommand(args: readonly string[], tolerateExists: boolean): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.error !== undefined) {
    const missing = (r.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new CliFailure(
      missing
        ? "the 'ip' command (iproute2) is needed to configure the kernel's side of the interface (install it, or configure it yourself and pass --no-configure)"
        : `ip ${args.join(' ')}: ${r.error.message}`,
    );
  }
  if (r.status !== 0) {
    const msg = (r.stderr || r.stdout).trim();
    if (tolerateExists && /File exists/i.test(msg)) return;
    throw new CliFailure(`ip ${args.join(' ')}: ${msg}`);
  }
}

export interface Network {
  stack: NetStack;
  tun: TunDevice;
  /** What the stack sends through: the TUN, or the impairment layer around it. */
  device: NetDevice;
  args: NetworkArgs;
  /** Close the stack and the device; resolves when the interface is released. */
  close(): Promise<void>;
}

/**
 * Open (or attach to) the TUN interface, configure the kernel's side unless
 * told not to, and put a stack on it with synack's addresses. Throws
 * CliFailure with a one-line reason.
 */
export async function openNetwork(args: NetworkArgs): Promise<Network> {
  let tun: TunDevice;
  try {
    const opts: Parameters<typeof openTun>[0] = { name: args.dev, txQueueLen: 5000, backend: args.backend };
    if (args.mtu !== undefined) opts.mtu = args.mtu;
    if (args.tunPath !== undefined) opts.path = args.tunPath;
    tun = await openTun(opts);
  } catch (e) {
    throw new CliFailure(tunErrorLine(e, args));
  }
  try {
    if (args.configure) {
      const len = parseCidr(args.addr)!.prefixLength;
      ipCommand(['addr', 'add', `${args.peer}/${len}`, 'dev', tun.name], true);
      if (args.addr6 !== null && args.peer6 !== null) {
        const len6 = parseCidr(args.addr6)!.prefixLength;
        ipCommand(['-6', 'addr', 'add', `${args.peer6}/${len6}`, 'dev', tun.name, 'nodad'], true);
      }
      ipCommand(['link', 'set', 'dev', tun.name, 'up'], false);
    }
    const clock = new RealClock();
    const stack = new NetStack({ clock });
    const device: NetDevice = args.impair === null ? tun : impair(tun, { clock, seed: args.seed, tx: args.impair, rx: args.impair });
    const addresses = args.addr6 === null ? [args.addr] : [args.addr, args.addr6];
    // Everything goes out through the TUN: the kernel forwards what is not its own.
    stack.addInterface({ device, addresses, name: tun.name, defaultRoute: true });
    let closing: Promise<void> | null = null;
    return {
      stack,
      tun,
      device,
      args,
      close: () => {
        closing ??= (async () => {
          stack.close();
          device.close();
          await tun.closed;
        })();
        return closing;
      },
    };
  } catch (e) {
    tun.close();
    await tun.closed;
    throw e;
  }
}

/** Text of where synack is: "10.77.0.2 and fd77::2". */
export function ourAddresses(args: NetworkArgs): string {
  const v4 = args.addr.split('/')[0]!;
  return args.addr6 === null ? v4 : `${v4} and ${args.addr6.split('/')[0]!}`;
}

// ------------------------------------------------------------------ services

export type ServiceName = 'echo' | 'discard' | 'chargen' | 'http';

/** The well-known ports (RFC 862, 863, 864), and 8080 for HTTP. */
export const DEFAULT_PORTS: Readonly<Record<ServiceName, number>> = { echo: 7, discard: 9, chargen: 19, http: 8080 };

/** RFC 864: lines of 72 printable characters, each starting one further along the 95 printable ASCII codes. */
export const CHARGEN_LINE = 72;
const PRINTABLE = 95;

/** Line `n` (from 0) of the chargen pattern, with its CR LF. */
export function chargenLine(n: number): Buffer {
  const b = Buffer.allocUnsafe(CHARGEN_LINE + 2);
  const start = n % PRINTABLE;
  for (let j = 0; j < CHARGEN_LINE; j++) b[j] = 32 + ((start + j) % PRINTABLE);
  b[CHARGEN_LINE] = 13;
  b[CHARGEN_LINE + 1] = 10;
  return b;
}

/** One full cycle of the pattern (95 lines), repeated to at least 60 KB: what is written at a time. */
const CHARGEN_BLOCK: Buffer = (() => {
  const cycle = Buffer.concat(Array.from({ length: PRINTABLE }, (_, n) => chargenLine(n)));
  return Buffer.concat(Array.from({ length: Math.ceil(60_000 / cycle.length) }, () => cycle));
})();

/** RFC 864 over TCP: send the pattern until the client goes away; what it sends is thrown away. */
export function chargenConnection(socket: Socket): void {
  let stopped = false;
  const pump = (): void => {
    while (!stopped && socket.write(CHARGEN_BLOCK));
  };
  socket.on('drain', pump);
  socket.on('end', () => {
    stopped = true;
  });
  socket.on('close', () => {
    stopped = true;
  });
  // A client that closes with our data unread resets the connection: that is its way to stop us.
  socket.on('error', () => {
    stopped = true;
  });
  socket.resume();
  pump();
}

/** RFC 863 over TCP: read and throw away; close when the client does. */
export function discardConnection(socket: Socket): void {
  socket.on('error', () => {});
  socket.resume();
}

/** RFC 862 over TCP: send back what arrives; close after the client's FIN once all is echoed. */
export function echoConnection(socket: Socket): void {
  socket.on('error', () => {});
  socket.pipe(socket);
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.pdf': 'application/pdf',
  '.wasm': 'application/wasm',
  '.pcap': 'application/vnd.tcpdump.pcap',
};

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function plain(res: http.ServerResponse, status: number, text: string, head: boolean, headers: Record<string, string> = {}): void {
  const body = Buffer.from(`${text}\n`);
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(body.length), ...headers });
  res.end(head ? undefined : body);
}

/**
 * A static file server rooted at `dir`: GET and HEAD, index.html or a
 * listing for directories, nothing outside `dir` (symbolic links that lead
 * out of it included).
 */
export function staticFiles(dir: string): http.RequestListener {
  const root = realpathSync(resolve(dir));
  const inside = (p: string): boolean => p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);
  return (req, res) => {
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      plain(res, 405, 'method not allowed', false, { allow: 'GET, HEAD' });
      return;
    }
    const rawPath = (req.url ?? '/').split('?')[0]!;
    let urlPath: string;
    try {
      urlPath = decodeURIComponent(rawPath);
    } catch {
      plain(res, 400, 'bad request: malformed percent-encoding', head);
      return;
    }
    if (!urlPath.startsWith('/') || urlPath.includes('\0')) {
      plain(res, 400, 'bad request', head);
      return;
    }
    const wanted = resolve(root, `.${urlPath}`);
    if (!inside(wanted)) {
      plain(res, 403, 'forbidden', head);
      return;
    }
    void (async () => {
      let real: string;
      try {
        real = await fsp.realpath(wanted);
      } catch {
        plain(res, 404, 'not found', head);
        return;
      }
      if (!inside(real)) {
        plain(res, 403, 'forbidden', head);
        return;
      }
      let st = await fsp.stat(real);
      let file = real;
      if (st.isDirectory()) {
        if (!rawPath.endsWith('/')) {
          plain(res, 301, 'moved', head, { location: `${rawPath}/` });
          return;
        }
        const index = join(real, 'index.html');
        const ist = await fsp.stat(index).catch(() => null);
        if (ist === null || !ist.isFile()) {
          const names = (await fsp.readdir(real, { withFileTypes: true })).map((d) => (d.isDirectory() ? `${d.name}/` : d.name)).sort();
          const title = escapeHtml(urlPath);
          const items = names.map((n) => `<li><a href="${escapeHtml(encodeURIComponent(n.replace(/\/$/, '')))}${n.endsWith('/') ? '/' : ''}">${escapeHtml(n)}</a></li>`);
          const body = Buffer.from(`<!doctype html>\n<title>${title}</title>\n<h1>${title}</h1>\n<ul>\n${items.join('\n')}\n</ul>\n`);
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': String(body.length) });
          res.end(head ? undefined : body);
          return;
        }
        file = index;
        st = ist;
      }
      if (!st.isFile()) {
        plain(res, 403, 'forbidden', head);
        return;
      }
      res.writeHead(200, {
        'content-type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
        'content-length': String(st.size),
        'last-modified': st.mtime.toUTCString(),
      });
      if (head) {
        res.end();
        return;
      }
      const stream = createReadStream(file);
      stream.on('error', () => res.destroy());
      stream.pipe(res);
    })().catch(() => {
      if (!res.headersSent) plain(res, 500, 'internal error', head);
      else res.destroy();
    });
  };
}

export interface Service {
  readonly name: ServiceName;
  readonly port: number;
  readonly tcp: Server;
  /** The UDP side of echo, discard and chargen. */
  readonly udp: UdpSocket | null;
  /** Resolves once the TCP server listens. */
  readonly listening: Promise<void>;
  close(): void;
}

export interface ServiceOptions {
  name: ServiceName;
  port: number;
  /** The directory of `http`. */
  dir?: string;
  /** Called for each connection accepted and closed (the -v log). */
  log?: (line: string) => void;
}

/**
 * Start one service on `stack`, on both families (the TCP server listens on
 * ::, which takes IPv4 too). Echo, discard and chargen answer over UDP as
 * well (RFC 862, 863, 864 each define both).
 */
export function startService(stack: NetStack, opts: ServiceOptions): Service {
  const log = opts.log;
  let handler: (socket: Socket) => void;
  switch (opts.name) {
    case 'echo':
      handler = echoConnection;
      break;
    case 'discard':
      handler = discardConnection;
      break;
    case 'chargen':
      handler = chargenConnection;
      break;
    case 'http': {
      if (opts.dir === undefined) throw new UsageError('http needs a directory');
      const httpServer = http.createServer(staticFiles(opts.dir));
      handler = (socket) => httpServer.emit('connection', socket);
      break;
    }
  }
  const tcp = stack.createServer({ allowHalfOpen: opts.name === 'echo' }, (socket) => {
    if (log !== undefined) {
      const addr = (socket.remoteAddress ?? '').replace(/^::ffff:(?=[0-9.]+$)/, '');
      const who = `${addr.includes(':') ? `[${addr}]` : addr}:${socket.remotePort}`;
      log(`${who} connected`);
      socket.once('close', () => log(`${who} closed (${socket.bytesRead} bytes in, ${socket.bytesWritten} out)`));
    }
    handler(socket);
  });
  const listening = new Promise<void>((resolveListening, reject) => {
    tcp.once('error', reject);
    tcp.listen({ port: opts.port, host: '::' }, () => resolveListening());
  });
  let udp: UdpSocket | null = null;
  if (opts.name !== 'http') {
    const u = stack.createUdpSocket({ type: 'udp6' });
    u.bind(opts.port, '::');
    let line = 0;
    u.on('message', (msg, rinfo) => {
      try {
        if (opts.name === 'echo') u.send(msg, rinfo.port, rinfo.address);
        else if (opts.name === 'chargen') {
          // RFC 864 (UDP): one datagram of 0 to 512 characters per datagram received.
          const out = Buffer.concat([chargenLine(line), chargenLine(line + 1), chargenLine(line + 2), chargenLine(line + 3), chargenLine(line + 4), chargenLine(line + 5)]);
          line = (line + 1) % PRINTABLE;
          u.send(out.subarray(0, 444), rinfo.port, rinfo.address);
        }
      } catch {
        // A reply that cannot be sent (no route, too big) is dropped, as UDP would.
      }
    });
    udp = u;
  }
  return {
    name: opts.name,
    port: opts.port,
    tcp,
    udp,
    listening,
    close: () => {
      tcp.close();
      udp?.close();
    },
  };
}

// ------------------------------------------------------------------ the command

export const SERVE_USAGE = `usage: synack serve (--echo | --discard | --chargen | --http DIR) [--port N] [network options]
  Creates the TUN interface (or attaches to it), gives synack its addresses,
  gives the kernel its own on the same link and brings it up, then serves on
  both IPv4 and IPv6 (TCP, and UDP for echo, discard and chargen):
  --echo            RFC 862 echo (default port 7)
  --discard         RFC 863 discard (port 9)
  --chargen         RFC 864 character generator (port 19)
  --http DIR        the files under DIR over HTTP/1.1 (port 8080)
  --port N          another port
  synack answers pings on its addresses. It runs until interrupted (Ctrl-C).
  Needs root (CAP_NET_ADMIN) and /dev/net/tun.

${NETWORK_OPTIONS}
example (as root):
  synack serve --http ./site &
  curl http://10.77.0.2:8080/
`;

export interface ServeArgs {
  net: NetworkArgs;
  service: ServiceName;
  dir?: string;
  port: number;
}

export function parseServeArgs(argv: readonly string[]): ServeArgs {
  if (argv.includes('-h') || argv.includes('--help')) throw new UsageError('');
  const { net, rest } = parseNetworkArgs(argv);
  let service: ServiceName | undefined;
  let dir: string | undefined;
  let port: number | undefined;
  const pick = (s: ServiceName): void => {
    if (service !== undefined && service !== s) throw new UsageError(`choose one service (--${service} and --${s} given)`);
    service = s;
  };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--echo' || a === '--discard' || a === '--chargen') pick(a.slice(2) as ServiceName);
    else if (a === '--http') {
      pick('http');
      dir = rest[++i];
      if (dir === undefined) throw new UsageError('--http needs a directory');
    } else if (a === '--port') {
      const v = rest[++i];
      if (v === undefined || !/^[0-9]+$/.test(v) || Number(v) < 1 || Number(v) > 65535) throw new UsageError(`--port wants a port from 1 to 65535, got '${v ?? ''}'`);
      port = Number(v);
    } else if (a.startsWith('-')) throw new UsageError(`unknown option '${a}'`);
    else throw new UsageError(`unexpected argument '${a}'`);
  }
  if (service === undefined) throw new UsageError('choose a service: --echo, --discard, --chargen or --http DIR');
  const out: ServeArgs = { net, service, port: port ?? DEFAULT_PORTS[service] };
  if (dir !== undefined) {
    let st;
    try {
      st = statSync(dir);
    } catch {
      throw new UsageError(`--http ${dir}: no such directory`);
    }
    if (!st.isDirectory()) throw new UsageError(`--http ${dir}: not a directory`);
    out.dir = dir;
  }
  return out;
}

function fail(cmd: string, message: string): void {
  process.stderr.write(`synack ${cmd}: ${message}\n`);
  process.exitCode = 1;
}

async function serve(args: ServeArgs): Promise<void> {
  const network = await openNetwork(args.net);
  const { stack, tun } = network;
  const log = args.net.verbose ? (line: string) => process.stderr.write(`synack serve: ${line}\n`) : undefined;
  const svcOpts: ServiceOptions = { name: args.service, port: args.port };
  if (args.dir !== undefined) svcOpts.dir = args.dir;
  if (log !== undefined) svcOpts.log = log;
  let service: Service;
  try {
    service = startService(stack, svcOpts);
    await service.listening;
  } catch (e) {
    await network.close();
    throw new CliFailure(`cannot listen on port ${args.port}: ${e instanceof Error ? e.message : String(e)}`);
  }
  let stopping = false;
  const stop = (code: number): void => {
    if (stopping) return;
    stopping = true;
    service.close();
    void network.close().then(() => process.exit(code));
  };
  tun.onError = (err) => {
    fail('serve', `interface ${tun.name} went away: ${err.message}`);
    stop(1);
  };
  process.once('SIGINT', () => stop(0));
  process.once('SIGTERM', () => stop(0));
  const what = args.service === 'http' ? `http (files of ${resolve(args.dir!)})` : args.service;
  const n = args.net;
  process.stdout.write(
    `synack serve: ${what} on port ${args.port} of ${ourAddresses(n)} via ${tun.name} (MTU ${tun.mtu}${n.impair !== null ? ', impaired' : ''})\n` +
      (n.configure
        ? `synack serve: the kernel's side of ${tun.name} is ${n.peer}${n.peer6 !== null ? ` and ${n.peer6}` : ''}; try: ${
            args.service === 'http' ? `curl http://${n.addr.split('/')[0]}:${args.port}/` : `nc ${n.addr.split('/')[0]} ${args.port}`
          }\n`
        : ''),
  );
}

export function runServe(argv: string[]): number {
  let args: ServeArgs;
  try {
    args = parseServeArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    if (e.message === '') {
      process.stdout.write(SERVE_USAGE);
      return 0;
    }
    process.stderr.write(`synack serve: ${e.message}\n`);
    return 2;
  }
  serve(args).catch((e: unknown) => {
    fail('serve', e instanceof CliFailure ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e));
  });
  return 0;
}
