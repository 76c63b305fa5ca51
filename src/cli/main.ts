#!/usr/bin/env node
// The `synack` command.
import { parseArgs } from 'node:util';

const USAGE = `usage: synack <command> [options]

commands:
  trace FILE     print a capture the way tcpdump 4.99 does
`;

function main(argv: string[]): number {
  const [cmd] = argv;
  if (cmd === undefined || cmd === '-h' || cmd === '--help') {
    process.stdout.write(USAGE);
    return cmd === undefined ? 2 : 0;
  }
  void parseArgs;
  process.stderr.write(`synack: unknown command '${cmd}'\n`);
  return 2;
}

process.exitCode = main(process.argv.slice(2));
