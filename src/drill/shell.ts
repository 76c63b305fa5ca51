// What a script's shell commands do, as far as a userspace stack can tell:
// sysctl assignments (Linux `sysctl -q net.ipv4.x=v`, `set_sysctls.py
// /proc/sys/...=v`, `echo v > /proc/sys/...`, FreeBSD `sysctl -w
// net.inet.tcp.x=v`), qdisc and MTU changes, environment scripts that are
// sourced, and commands that only inspect kernel state. Nothing is executed.

/** One `name=value` a command sets; names are dotted (`net.ipv4.tcp_sack`). */
export interface SysctlAssignment {
  name: string;
  value: string;
}

export type ShellAction =
  | { kind: 'sysctl'; assignments: SysctlAssignment[] }
  /** `tc qdisc add|replace ... root pfifo [limit N]`: `limit 0` drops every outbound packet. */
  | { kind: 'qdisc'; limit?: number; command: string }
  | { kind: 'mtu'; mtu: number }
  /** `ip route change ... advmss N mtu lock M` */
  | { kind: 'route'; advmss?: number; mtu?: number }
  /** A `*.sh` file run as a command (e.g. the suite's defaults.sh). */
  | { kind: 'script'; path: string }
  /** Restoring sysctls, flushing caches, resetting counters: nothing to emulate. */
  | { kind: 'harmless'; command: string }
  /** A command that asserts kernel state (`nstat | grep`, `grep /proc/net/tcp`, `sockstat | grep`). */
  | { kind: 'check'; command: string }
  /** A command that changes kernel state in a way no setting expresses (`tcpdrop`, `setkey`). */
  | { kind: 'state'; command: string }
  | { kind: 'unknown'; command: string };

/** Programs that change kernel state no setting expresses (drop a connection, install TCP-MD5 keys). */
const STATE_COMMANDS: ReadonlySet<string> = new Set(['tcpdrop', 'setkey', 'kldload', 'kldstat', 'kill']);
/** Programs whose exit status asserts something about kernel state. */
const CHECK_COMMANDS: ReadonlySet<string> = new Set(['grep', 'sockstat', 'test', '[', 'ss', 'netstat']);

/** Split a command text into simple commands; pipelines stay together. */
export function splitCommands(text: string): string[] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  const flush = (): void => {
    const t = cur.trim();
    if (t !== '' && !t.startsWith('#')) out.push(t);
    cur = '';
  };
  for (let i = 0; i < joined.length; i++) {
    const ch = joined[i]!;
    if (quote !== undefined) {
      cur += ch;
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < joined.length) cur += joined[++i]!;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      cur += ch;
      continue;
    }
    if (ch === '#' && (cur === '' || /\s$/.test(cur))) {
      // A comment to the end of the line.
      const nl = joined.indexOf('\n', i);
      i = nl < 0 ? joined.length : nl - 1;
      continue;
    }
    if (ch === '\n' || ch === ';') {
      flush();
      continue;
    }
    if ((ch === '&' || ch === '|') && joined[i + 1] === ch) {
      flush();
      i++;
      continue;
    }
    cur += ch;
  }
  flush();
  return out;
}

/** Shell-like words: blanks separate, quotes group; `$((...))` arithmetic is evaluated when it is plain integers. */
export function shellWords(cmd: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < cmd.length; i++) {
    const ch = cmd[i]!;
    if (ch === '"' || ch === "'") {
      const close = cmd.indexOf(ch, i + 1);
      const inner = close < 0 ? cmd.slice(i + 1) : cmd.slice(i + 1, close);
      cur += ch === '"' ? expandArithmetic(inner) : inner;
      inWord = true;
      i = close < 0 ? cmd.length : close;
      continue;
    }
    if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    if (ch === '$' && cmd.startsWith('$((', i)) {
      const close = cmd.indexOf('))', i);
      if (close > 0) {
        cur += expandArithmetic(cmd.slice(i, close + 2));
        inWord = true;
        i = close + 1;
        continue;
      }
    }
    cur += ch;
    inWord = true;
  }
  if (inWord) words.push(cur);
  return words;
}

/** Replace `$((integer expression))` with its value; anything else is left as written. */
export function expandArithmetic(s: string): string {
  return s.replace(/\$\(\(([^()]*(?:\([^()]*\)[^()]*)*)\)\)/g, (whole, expr: string) => {
    const v = evalArithmetic(expr);
    return v === undefined ? whole : String(v);
  });
}

/** + - * / % and parentheses over integers; undefined for anything else. */
export function evalArithmetic(expr: string): number | undefined {
  const toks = expr.match(/\d+|[-+*/%()]|\S/g) ?? [];
  let i = 0;
  const atom = (): number | undefined => {
    const t = toks[i++];
    if (t === undefined) return undefined;
    if (t === '(') {
      const v = sum();
      return toks[i++] === ')' ? v : undefined;
    }
    if (t === '-') {
      const v = atom();
      return v === undefined ? undefined : -v;
    }
    return /^\d+$/.test(t) ? Number(t) : undefined;
  };
  const product = (): number | undefined => {
    let v = atom();
    while (v !== undefined && (toks[i] === '*' || toks[i] === '/' || toks[i] === '%')) {
      const op = toks[i++];
      const r = atom();
      if (r === undefined || (op !== '*' && r === 0)) return undefined;
      v = op === '*' ? v * r : op === '/' ? Math.trunc(v / r) : v % r;
    }
    return v;
  };
  const sum = (): number | undefined => {
    let v = product();
    while (v !== undefined && (toks[i] === '+' || toks[i] === '-')) {
      const op = toks[i++];
      const r = product();
      if (r === undefined) return undefined;
      v = op === '+' ? v + r : v - r;
    }
    return v;
  };
  const v = sum();
  return i === toks.length ? v : undefined;
}

/** Drop `> file`, `2>&1`, `>>file`, `< file` words. */
function withoutRedirections(words: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const m = /^[0-9]*(>>?|<)(&[0-9]+)?(.*)$/.exec(w);
    if (m === null) {
      out.push(w);
      continue;
    }
    if (m[2] === undefined && m[3] === '') i++; // the target is the next word
  }
  return out;
}

function procPathToName(p: string): string | undefined {
  const m = /^\/proc\/sys\/(.+)$/.exec(p);
  return m === null ? undefined : m[1]!.replace(/\//g, '.');
}

function assignment(word: string, fromProc: boolean): SysctlAssignment | undefined {
  const eq = word.indexOf('=');
  if (eq <= 0) return undefined;
  const rawName = word.slice(0, eq);
  // sysctl(8) accepts slashes as separators too (net/ipv4/tcp_sack).
  const name = fromProc ? procPathToName(rawName) : rawName.replace(/\//g, '.');
  if (name === undefined || !/^[A-Za-z0-9_.-]+$/.test(name)) return undefined;
  return { name, value: word.slice(eq + 1) };
}

/** What one simple command (or pipeline) does. */
export function classifyCommand(cmd: string): ShellAction {
  const stages = cmd.split(/(?<!\|)\|(?!\|)/).map((s) => s.trim());
  const words = withoutRedirections(shellWords(stages[0]!));
  const prog = words[0] ?? '';
  const base = prog.slice(prog.lastIndexOf('/') + 1);
  const piped = stages.length > 1;
  const bases = stages.map((st) => {
    const p = shellWords(st)[0] ?? '';
    return p.slice(p.lastIndexOf('/') + 1);
  });
  if (bases.some((b) => STATE_COMMANDS.has(b))) return { kind: 'state', command: cmd };
  if (piped && bases.slice(1).some((b) => CHECK_COMMANDS.has(b))) return { kind: 'check', command: cmd };
  if (base === 'sysctl' && !piped) {
    const assignments = words
      .slice(1)
      .filter((w) => !w.startsWith('-'))
      .map((w) => assignment(w, false));
    if (assignments.length > 0 && assignments.every((a) => a !== undefined)) return { kind: 'sysctl', assignments };
    return { kind: 'unknown', command: cmd };
  }
  if (base === 'set_sysctls.py') {
    const assignments = words.slice(1).map((w) => assignment(w, true));
    if (assignments.length > 0 && assignments.every((a) => a !== undefined)) return { kind: 'sysctl', assignments };
    return { kind: 'unknown', command: cmd };
  }
  if (base === 'echo' && !piped) {
    const m = /^echo\s+(\S+)\s*>\s*(\/proc\/sys\/\S+)$/.exec(cmd.trim());
    const name = m === null ? undefined : procPathToName(m[2]!);
    if (m !== null && name !== undefined) return { kind: 'sysctl', assignments: [{ name, value: m[1]! }] };
  }
  if (base === 'tc' && words[1] === 'qdisc') {
    if (words[2] === 'del' || words[2] === 'delete') return { kind: 'harmless', command: cmd };
    const li = words.indexOf('limit');
    const limit = li > 0 ? Number(words[li + 1]) : undefined;
    return limit !== undefined && Number.isInteger(limit) ? { kind: 'qdisc', limit, command: cmd } : { kind: 'qdisc', command: cmd };
  }
  if (base === 'ip') {
    if (words[1] === 'tcp_metrics' && words[2] === 'flush') return { kind: 'harmless', command: cmd };
    if (words[1] === 'link' && words[2] === 'set') {
      const mi = words.indexOf('mtu');
      const mtu = mi > 0 ? Number(words[mi + 1]) : NaN;
      if (Number.isInteger(mtu)) return { kind: 'mtu', mtu };
    }
    if (words.includes('route') || words[1] === '-6') {
      const route: { kind: 'route'; advmss?: number; mtu?: number } = { kind: 'route' };
      const ai = words.indexOf('advmss');
      if (ai > 0) route.advmss = Number(words[ai + 1]);
      const mi = words.indexOf('mtu');
      if (mi > 0) route.mtu = Number(words[mi + (words[mi + 1] === 'lock' ? 2 : 1)]);
      return route;
    }
  }
  if (prog.endsWith('.sh') && !piped) {
    if (/sysctl_restore/.test(prog)) return { kind: 'harmless', command: cmd };
    return { kind: 'script', path: prog };
  }
  if (base === 'nstat') return { kind: 'harmless', command: cmd };
  if (CHECK_COMMANDS.has(base)) return { kind: 'check', command: cmd };
  // Offload switches of the tun device: a userspace stack has no TSO/GSO to turn off.
  if (base === 'ethtool' && words[1] === '-K') return { kind: 'harmless', command: cmd };
  if (base === 'sleep' || base === 'true' || base === ':') return { kind: 'harmless', command: cmd };
  return { kind: 'unknown', command: cmd };
}

/** Every action of a command text, in order. */
export function analyzeShell(text: string): ShellAction[] {
  return splitCommands(text).map(classifyCommand);
}
