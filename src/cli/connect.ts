// `synack connect HOST PORT`: a tiny nc over synack. It brings up the TUN
// link as `synack serve` does, opens one TCP connection from synack's
// address, copies standard input to it and what arrives to standard output.
// End of input half-closes the connection (a FIN; the peer may go on
// sending), and the peer's FIN ends the output while input may go on (it
// may still be reading): the command exits once both sides are closed, or
// when the connection fails.

import { isIP } from '../api/address.js';
import type { Socket } from '../api/socket.js';
import { CliFailure, NETWORK_OPTIONS, openNetwork, parseNetworkArgs, UsageError, type Network, type NetworkArgs } from './serve.js';

export const CONNECT_USAGE = `usage: synack connect [network options] HOST PORT
  Opens a TCP connection from synack to HOST (an IPv4 or IPv6 address) port
  PORT through the TUN interface, then copies standard input to it and what
  it receives to standard output. End of input sends a FIN (half-close);
  the command exits when the peer has closed too. Exit status 1, with one
  line on standard error, when the connection fails.
  Needs root (CAP_NET_ADMIN) and /dev/net/tun.

${NETWORK_OPTIONS}
example (as root), against a kernel server on the link:
  nc -l 10.77.0.1 5000 &
  echo hello | synack connect 10.77.0.1 5000
`;

export interface ConnectArgs {
  net: NetworkArgs;
  host: string;
  port: number;
}

export function parseConnectArgs(argv: readonly string[]): ConnectArgs {
  if (argv.includes('-h') || argv.includes('--help')) throw new UsageError('');
  const { net, rest } = parseNetworkArgs(argv);
  const positional: string[] = [];
  for (const a of rest) {
    if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option '${a}'`);
    positional.push(a);
  }
  if (positional.length !== 2) throw new UsageError('give the HOST and the PORT to connect to');
  const [host, portText] = positional as [string, string];
  const family = isIP(host);
  if (family === 0) throw new UsageError(`HOST must be an IPv4 or IPv6 address (synack has no resolver), got '${host}'`);
  if (family === 6 && net.addr6 === null) throw new UsageError(`${host} is IPv6 but --no-ipv6 was given`);
  if (!/^[0-9]+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) throw new UsageError(`PORT must be from 1 to 65535, got '${portText}'`);
  return { net, host, port: Number(portText) };
}

/** One line for a failed connection. */
function connectErrorLine(err: NodeJS.ErrnoException, host: string, port: number): string {
  const where = `${host.includes(':') ? `[${host}]` : host} port ${port}`;
  switch (err.code) {
    case 'ECONNREFUSED':
      return `${where}: connection refused`;
    case 'ETIMEDOUT':
      return `${where}: connection timed out`;
    case 'ECONNRESET':
      return `${where}: connection reset by peer`;
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
      return `${where}: no route to host`;
    default:
      return `${where}: ${err.message}`;
  }
}

async function connect(args: ConnectArgs): Promise<number> {
  const network: Network = await openNetwork(args.net);
  const verbose = args.net.verbose;
  return new Promise<number>((resolveExit) => {
    let code = 0;
    let settled = false;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      void network.close().then(() => resolveExit(code));
    };
    const socket: Socket = network.stack.connect({ host: args.host, port: args.port, allowHalfOpen: true });
    socket.on('connect', () => {
      if (verbose) process.stderr.write(`synack connect: connected to ${args.host} port ${args.port} from ${socket.localAddress} port ${socket.localPort}\n`);
      // End of input ends our side (pipe calls socket.end(): a FIN).
      process.stdin.pipe(socket);
    });
    socket.pipe(process.stdout);
    socket.on('end', () => {
      // The peer's FIN: it sends no more, but may still read (half-close),
      // so input keeps flowing until it ends. 'close' follows both FINs.
      if (verbose) process.stderr.write('synack connect: the peer closed its side\n');
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      process.stderr.write(`synack connect: ${connectErrorLine(e, args.host, args.port)}\n`);
      code = 1;
    });
    socket.on('close', () => {
      if (verbose) process.stderr.write(`synack connect: closed (${socket.bytesWritten} bytes sent, ${socket.bytesRead} received)\n`);
      // Let standard output drain before the process goes.
      if (process.stdout.writableLength > 0) process.stdout.once('drain', finish);
      else finish();
    });
    process.stdout.on('error', () => {
      // The reader of our output went away: nothing more to do.
      socket.destroy();
    });
  });
}

export function runConnect(argv: string[]): number {
  let args: ConnectArgs;
  try {
    args = parseConnectArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    if (e.message === '') {
      process.stdout.write(CONNECT_USAGE);
      return 0;
    }
    process.stderr.write(`synack connect: ${e.message}\n`);
    return 2;
  }
  connect(args).then(
    // stdin may still hold the event loop: leave explicitly.
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`synack connect: ${e instanceof CliFailure ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
  return 0;
}
