// A child process for the TUN tests that need a process of their own:
//
//   open-error JSON   openTun(JSON options); print {"code", "message", "backend"}
//                     as JSON (code "" when it opened), then close
//   exit BACKEND      open a device, print "open NAME", call process.exit(0)
//   unref BACKEND     open a device, print "open NAME", unref() it and return
//   ref BACKEND       open a device, print "open NAME" and return (the open
//                     device should keep the process alive)

import { openTun, type TunOptions } from '../../src/link/tun/index.js';

async function main(argv: string[]): Promise<void> {
  const [mode, arg] = argv;
  if (mode === 'open-error') {
    const opts = JSON.parse(arg ?? '{}') as TunOptions;
    try {
      const tun = await openTun(opts);
      process.stdout.write(JSON.stringify({ code: '', message: '', backend: tun.backendKind }) + '\n');
      tun.close();
    } catch (e) {
      const err = e as { code?: unknown; message?: unknown };
      process.stdout.write(JSON.stringify({ code: String(err.code), message: String(err.message) }) + '\n');
    }
    return;
  }
  const backend = arg === 'python' ? 'python' : 'addon';
  const tun = await openTun({ backend });
  process.stdout.write(`open ${tun.name}\n`);
  if (mode === 'exit') process.exit(0);
  if (mode === 'unref') tun.unref();
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`tun-child: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
