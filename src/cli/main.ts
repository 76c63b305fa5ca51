#!/usr/bin/env node
// The `synack` command.
import { runScenario } from './scenario.js';
import { runTrace } from './trace.js';
import { runGraph } from './graph.js';
import { runDrill } from './drill.js';
import { runServe } from './serve.js';
import { runConnect } from './connect.js';

const USAGE = `usage: synack <command> [options]

commands:
  scenario [NAME]  replay TCP behaviours between two simulated hosts (--list for the names)
  trace FILE       print a capture the way tcpdump 4.99 does (synack trace -h for its switches)
  graph FILE       time-sequence graphs of its TCP connections as SVG (synack graph -h)
  drill FILE...    run packetdrill scripts against synack in virtual time (synack drill -h)
  serve            serve echo/discard/chargen/HTTP on a TUN device, as root (synack serve -h)
  connect H P      a tiny nc over the TUN device (synack connect -h)
`;

function main(argv: string[]): number {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '-h' || cmd === '--help') {
    process.stdout.write(USAGE);
    return cmd === undefined ? 2 : 0;
  }
  switch (cmd) {
    case 'trace':
      return runTrace(rest);
    case 'graph':
      return runGraph(rest);
    case 'scenario':
      return runScenario(rest);
    case 'drill':
      return runDrill(rest);
    case 'serve':
      return runServe(rest);
    case 'connect':
      return runConnect(rest);
    default:
      process.stderr.write(`synack: unknown command '${cmd}'\n`);
      return 2;
  }
}

process.exitCode = main(process.argv.slice(2));
