// The fallback backend, for when the addon was not built (no C compiler):
// Node opens the clone device itself, and a python3 child that inherits the
// descriptor performs the ioctls Node cannot issue (TUNSETIFF, SIOCSIFMTU,
// SIOCSIFTXQLEN). The attachment belongs to the open file, not to the
// process, so it holds for Node's descriptor too.
//
// Node has no way to watch an arbitrary descriptor from its event loop, and
// reads through the thread pool are slow and keep process.exit() waiting.
// So the child stays on as the reader: it polls the device, reads a batch of
// packets and forwards them over its stdout pipe, each prefixed with its
// 32-bit big-endian length. Node writes to the descriptor directly
// (fs.writeSync, one packet per write). The child exits when its stdin
// closes, which also happens when Node dies, so the interface never
// outlives its owner.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import type { BackendSink, TunBackend, WriteResult } from './backend.js';
import { errorCode, openError, tunError, type TunError } from './errors.js';

/** Interpreter used by the fallback; SYNACK_TUN_PYTHON overrides it. */
export function pythonCommand(): string {
  const p = process.env['SYNACK_TUN_PYTHON'];
  return p !== undefined && p !== '' ? p : 'python3';
}

// argv: name, mtu (0: leave), txqueuelen (0: leave), multi-queue (0/1), batch.
// The TUN descriptor is fd 3. First line of stdout: a JSON object, either
// {"name", "mtu"} or {"error", "errno", "syscall", "message"}; then frames.
const CHILD = String.raw`
import errno, fcntl, json, os, select, socket, struct, sys
TUNSETIFF, SIOCGIFMTU, SIOCSIFMTU, SIOCSIFTXQLEN = 0x400454ca, 0x8921, 0x8922, 0x8943
IFF_TUN, IFF_NO_PI, IFF_MULTI_QUEUE = 0x0001, 0x1000, 0x0100
TUN = 3
name, mtu, qlen, multi, batch = sys.argv[1].encode(), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == '1', int(sys.argv[5])
out = sys.stdout.buffer
def report(obj):
    out.write(json.dumps(obj).encode() + b'\n')
    out.flush()
def fail(e, call):
    report({'error': errno.errorcode.get(e.errno, 'EUNKNOWN'), 'errno': e.errno, 'syscall': call, 'message': os.strerror(e.errno)})
    sys.exit(1)
flags = IFF_TUN | IFF_NO_PI | (IFF_MULTI_QUEUE if multi else 0)
try:
    ifr = fcntl.ioctl(TUN, TUNSETIFF, struct.pack('16sH22x', name, flags))
except OSError as e:
    fail(e, 'ioctl TUNSETIFF')
ifname = ifr[:16].split(b'\0', 1)[0]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    if qlen > 0:
        fcntl.ioctl(s, SIOCSIFTXQLEN, struct.pack('16si20x', ifname, qlen))
    if mtu > 0:
        fcntl.ioctl(s, SIOCSIFMTU, struct.pack('16si20x', ifname, mtu))
    got = struct.unpack('16si20x', fcntl.ioctl(s, SIOCGIFMTU, struct.pack('16si20x', ifname, 0)))[1]
except OSError as e:
    fail(e, 'ioctl')
s.close()
report({'name': ifname.decode(), 'mtu': got})
length = struct.Struct('>I')
p = select.poll()
p.register(TUN, select.POLLIN)
p.register(0, select.POLLIN)
while True:
    for fd, ev in p.poll():
        if fd == 0:
            if not os.read(0, 4096):
                sys.exit(0)
            continue
        parts = []
        for _ in range(batch):
            try:
                pkt = os.read(TUN, 65536)
            except BlockingIOError:
                break
            except OSError as e:
                sys.stderr.write(json.dumps({'error': errno.errorcode.get(e.errno, 'EUNKNOWN'), 'errno': e.errno}) + '\n')
                sys.exit(3)
            parts.append(length.pack(len(pkt)))
            parts.append(pkt)
        if parts:
            out.write(b''.join(parts))
            out.flush()
`;

export interface PythonOpenOptions {
  path: string;
  name: string;
  multiQueue: boolean;
  mtu: number | undefined;
  txQueueLen: number | undefined;
  batch: number;
}

interface Hello {
  name?: unknown;
  mtu?: unknown;
  error?: unknown;
  errno?: unknown;
  syscall?: unknown;
  message?: unknown;
}

export class PythonBackend implements TunBackend {
  readonly kind = 'python';
  private sink: BackendSink | null = null;
  private closed = false;
  /** Bytes of a frame split across pipe reads. */
  private pending: Uint8Array = new Uint8Array(0);
  private readonly exited: Promise<void>;
  /** No virtio headers here: the device computes and checks every checksum. */
  readonly checksumOffload = false;
  readonly receivesSuperSegments = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly fd: number,
    readonly name: string,
    readonly mtu: number,
    rest: Uint8Array,
    exited: Promise<void>,
  ) {
    this.pending = rest;
    this.exited = exited;
  }

  static async open(opts: PythonOpenOptions): Promise<PythonBackend> {
    let fd: number;
    try {
      fd = openSync(opts.path, constants.O_RDWR | constants.O_NONBLOCK);
    } catch (e) {
      throw openError(e, 'open', opts.path, opts.name);
    }
    const python = pythonCommand();
    const args = ['-c', CHILD, opts.name, String(opts.mtu ?? 0), String(opts.txQueueLen ?? 0), opts.multiQueue ? '1' : '0', String(opts.batch)];
    const child = spawn(python, args, { stdio: ['pipe', 'pipe', 'pipe', fd] });
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => {
      if (stderr.length < 4096) stderr += s;
    });
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('close', () => resolve());
    });
    try {
      const { hello, rest } = await readHello(child, python);
      if (typeof hello.error === 'string') {
        const err = { code: hello.error, errno: typeof hello.errno === 'number' ? -hello.errno : undefined, message: String(hello.message) };
        if (hello.syscall === 'ioctl TUNSETIFF') throw openError(err, 'attach', opts.path, opts.name);
        throw tunError(hello.error, `TUN interface: ${String(hello.syscall)} failed: ${String(hello.message)}`, { syscall: String(hello.syscall) });
      }
      if (typeof hello.name !== 'string' || typeof hello.mtu !== 'number') {
        throw helperError(`${python} helper said ${JSON.stringify(hello)}${stderr ? `; stderr: ${stderr.trim()}` : ''}`);
      }
      return new PythonBackend(child, fd, hello.name, hello.mtu, rest, exited);
    } catch (e) {
      child.kill('SIGKILL');
      closeSync(fd);
      if (errorCode(e) === HELPER_FAILED) {
        throw tunError(HELPER_FAILED, `${(e as Error).message}${stderr ? `: ${stderr.trim()}` : ''}`, { syscall: `spawn ${python}` });
      }
      throw e;
    }
  }

  start(sink: BackendSink): void {
    if (this.closed || this.sink !== null) return;
    this.sink = sink;
    const stdout = this.child.stdout!;
    stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    stdout.resume();
    this.child.once('exit', (code, signal) => {
      if (this.closed) return;
      this.sink = null;
      const why = signal !== null ? `signal ${signal}` : `status ${code}`;
      sink.error(tunError(code === 3 ? 'EIO' : 'ECHILD', `the ${pythonCommand()} reader of TUN interface '${this.name}' exited (${why})`, { syscall: 'read' }));
    });
    if (this.pending.length > 0) this.onData(new Uint8Array(0));
  }

  private onData(chunk: Uint8Array): void {
    // A plain Uint8Array view: Buffer#slice would share memory, where
    // Uint8Array#slice copies, and receivers get a Uint8Array they own.
    let data = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.pending.length > 0) {
      const joined = new Uint8Array(this.pending.length + chunk.length);
      joined.set(this.pending, 0);
      joined.set(chunk, this.pending.length);
      data = joined;
      this.pending = new Uint8Array(0);
    }
    let off = 0;
    let batch: BackendSink | null = null;
    try {
      while (off + 4 <= data.length) {
        const len = ((data[off]! << 24) | (data[off + 1]! << 16) | (data[off + 2]! << 8) | data[off + 3]!) >>> 0;
        if (off + 4 + len > data.length) break;
        const sink = this.sink;
        if (sink === null) return;
        if (batch === null) {
          batch = sink;
          sink.batch();
        }
        // A copy: the receiver owns it, and the pipe's chunk may be pooled.
        if (!sink.packet(data.slice(off + 4, off + 4 + len), false, 0)) return;
        off += 4 + len;
      }
    } finally {
      batch?.batchEnd();
    }
    if (off < data.length) this.pending = data.slice(off);
  }

  /** `partial` and `gsoSize` never arrive here: TunDevice completes such checksums for a device without offload, and offers no segmentation offload without it. */
  write(packet: Uint8Array, _partial = false, _gsoSize = 0): string {
    try {
      writeSync(this.fd, packet);
      return '';
    } catch (e) {
      return errorCode(e) ?? 'EIO';
    }
  }

  writeBatch(packets: readonly Uint8Array[], count: number, _partial: readonly boolean[] = [], _gso: readonly number[] = []): WriteResult {
    let written = 0;
    let bytes = 0;
    let failed = 0;
    let lastError = '';
    for (let i = 0; i < count; i++) {
      const packet = packets[i]!;
      const err = this.write(packet);
      if (err === '') {
        written++;
        bytes += packet.length;
      } else {
        failed++;
        lastError = err;
      }
    }
    return { written, bytes, failed, lastError };
  }

  setRef(ref: boolean): void {
    const streams = [this.child.stdin, this.child.stdout, this.child.stderr] as const;
    for (const s of streams) {
      // Pipes are net.Sockets, which have ref()/unref().
      const sock = s as unknown as { ref?: () => void; unref?: () => void } | null;
      if (ref) sock?.ref?.();
      else sock?.unref?.();
    }
    if (ref) this.child.ref();
    else this.child.unref();
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.sink = null;
      this.child.stdin?.end();
      this.child.kill('SIGTERM');
      closeSync(this.fd);
    }
    return this.exited;
  }
}

/** Reads the child's first line; anything after it is the start of the packet stream. */
function readHello(child: ChildProcess, python: string): Promise<{ hello: Hello; rest: Uint8Array }> {
  return new Promise((resolve, reject) => {
    let buf = new Uint8Array(0);
    const stdout = child.stdout!;
    const cleanup = (): void => {
      stdout.off('data', onData);
      child.off('error', onError);
      child.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      const joined = new Uint8Array(buf.length + chunk.length);
      joined.set(buf, 0);
      joined.set(chunk, buf.length);
      buf = joined;
      const nl = buf.indexOf(0x0a);
      if (nl < 0) return;
      cleanup();
      stdout.pause();
      try {
        resolve({ hello: JSON.parse(new TextDecoder().decode(buf.subarray(0, nl))) as Hello, rest: buf.slice(nl + 1) });
      } catch {
        reject(helperError(`${python} helper wrote something other than its report`));
      }
    };
    const onError = (e: Error): void => {
      cleanup();
      if (errorCode(e) === 'ENOENT') {
        reject(tunError('ENOENT', `no TUN backend: the native addon is not built and '${python}' was not found (install python3, or a C compiler and rerun npm install)`, { syscall: `spawn ${python}`, path: python }));
      } else reject(e);
    };
    // 'close', not 'exit': the report may still sit in the pipe when the process is gone.
    const onClose = (code: number | null, signal: string | null): void => {
      cleanup();
      reject(helperError(`${python} helper exited (${signal ?? `status ${code}`}) before reporting`));
    };
    stdout.on('data', onData);
    child.on('error', onError);
    child.on('close', onClose);
  });
}

/** Code of an error from a helper that did not behave (crashed, or printed something unexpected). */
export const HELPER_FAILED = 'ERR_TUN_HELPER';

function helperError(message: string): TunError {
  return tunError(HELPER_FAILED, message);
}
