// `%{ ... }%` blocks: packetdrill hands them to Python with the tcp_info
// snapshot taken at the block's time. Nearly all of them are assertions on
// a few fields (`assert tcpi_state == TCPI_ESTABLISHED`, `assert
// tcpi_snd_cwnd == 10, tcpi_snd_cwnd`); this evaluates that subset —
// assert statements over integers, names, arithmetic, bit operations,
// comparisons (chained as in Python) and and/or/not; print() shows nothing
// to check — and says plainly when a block is outside it, so it is listed
// as skipped rather than passed.

export type CodeOutcome =
  | { kind: 'ok' }
  | { kind: 'failed'; message: string }
  | { kind: 'unevaluable'; reason: string };

/** Names a block may use besides the snapshot's fields (Linux's values; the snapshot uses the same table). */
export const CODE_CONSTANTS: Readonly<Record<string, number>> = {
  TCPI_OPT_TIMESTAMPS: 1,
  TCPI_OPT_SACK: 2,
  TCPI_OPT_WSCALE: 4,
  TCPI_OPT_ECN: 8,
  TCPI_OPT_ECN_SEEN: 16,
  TCPI_OPT_SYN_DATA: 32,
  TCP_CA_Open: 0,
  TCP_CA_Disorder: 1,
  TCP_CA_CWR: 2,
  TCP_CA_Recovery: 3,
  TCP_CA_Loss: 4,
  // Linux state numbers (include/net/tcp_states.h), under Linux's names and
  // the TCPI_ names the FreeBSD suite's scripts use.
  TCP_ESTABLISHED: 1,
  TCP_SYN_SENT: 2,
  TCP_SYN_RECV: 3,
  TCP_FIN_WAIT1: 4,
  TCP_FIN_WAIT2: 5,
  TCP_TIME_WAIT: 6,
  TCP_CLOSE: 7,
  TCP_CLOSE_WAIT: 8,
  TCP_LAST_ACK: 9,
  TCP_LISTEN: 10,
  TCP_CLOSING: 11,
  TCPI_ESTABLISHED: 1,
  TCPI_SYN_SENT: 2,
  TCPI_SYN_RECEIVED: 3,
  TCPI_FIN_WAIT_1: 4,
  TCPI_FIN_WAIT_2: 5,
  TCPI_TIME_WAIT: 6,
  TCPI_CLOSED: 7,
  TCPI_CLOSE_WAIT: 8,
  TCPI_LAST_ACK: 9,
  TCPI_LISTEN: 10,
  TCPI_CLOSING: 11,
  True: 1,
  False: 0,
};

class Unevaluable {
  constructor(readonly reason: string) {}
}

type Tok = { t: 'num'; v: number } | { t: 'name'; v: string } | { t: 'op'; v: string };

const OPS = ['//', '<<', '>>', '<=', '>=', '==', '!=', '(', ')', '+', '-', '*', '/', '%', '&', '|', '^', '~', '<', '>', ','];

function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    const num = /^(0[xX][0-9a-fA-F]+|[0-9]+)/.exec(s.slice(i));
    if (num !== null) {
      out.push({ t: 'num', v: Number(num[1]) });
      i += num[1]!.length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(i));
    if (name !== null) {
      out.push({ t: 'name', v: name[0] });
      i += name[0].length;
      continue;
    }
    const op = OPS.find((o) => s.startsWith(o, i));
    if (op === undefined) throw new Unevaluable(`cannot read '${s.slice(i, i + 10)}'`);
    out.push({ t: 'op', v: op });
    i += op.length;
  }
  return out;
}

/** Split a block into statements: newlines and `;` outside parentheses; `#` comments dropped. */
function statements(code: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (let i = 0; i < code.length; i++) {
    const c = code[i]!;
    if (c === '#') {
      while (i < code.length && code[i] !== '\n') i++;
      i--;
      continue;
    }
    if (c === '(' || c === '[') depth++;
    if (c === ')' || c === ']') depth--;
    if ((c === '\n' || c === ';') && depth <= 0) {
      if (cur.trim() !== '') out.push(cur.trim());
      cur = '';
      continue;
    }
    if (c === '\\' && code[i + 1] === '\n') {
      i++;
      continue;
    }
    cur += c === '\n' ? ' ' : c;
  }
  if (cur.trim() !== '') out.push(cur.trim());
  return out;
}

class Parser {
  private i = 0;
  readonly used = new Set<string>();
  constructor(
    private readonly toks: Tok[],
    private readonly vars: Readonly<Record<string, number>>,
  ) {}

  done(): boolean {
    return this.i >= this.toks.length;
  }

  peekOp(...ops: string[]): string | undefined {
    const t = this.toks[this.i];
    return t !== undefined && t.t === 'op' && ops.includes(t.v) ? t.v : undefined;
  }

  peekWord(w: string): boolean {
    const t = this.toks[this.i];
    return t !== undefined && t.t === 'name' && t.v === w;
  }

  next(): Tok | undefined {
    return this.toks[this.i++];
  }

  expr(): number {
    let v = this.and();
    while (this.peekWord('or')) {
      this.i++;
      const r = this.and();
      v = v !== 0 ? v : r;
    }
    return v;
  }

  private and(): number {
    let v = this.not();
    while (this.peekWord('and')) {
      this.i++;
      const r = this.not();
      v = v === 0 ? v : r;
    }
    return v;
  }

  private not(): number {
    if (this.peekWord('not')) {
      this.i++;
      return this.not() === 0 ? 1 : 0;
    }
    return this.comparison();
  }

  private comparison(): number {
    let left = this.bitor();
    let result = 1;
    let any = false;
    for (;;) {
      const op = this.peekOp('==', '!=', '<', '<=', '>', '>=');
      if (op === undefined) break;
      this.i++;
      const right = this.bitor();
      any = true;
      const ok = op === '==' ? left === right : op === '!=' ? left !== right : op === '<' ? left < right : op === '<=' ? left <= right : op === '>' ? left > right : left >= right;
      if (!ok) result = 0;
      left = right;
    }
    return any ? result : left;
  }

  private binary(next: () => number, ops: string[], apply: (op: string, a: number, b: number) => number): number {
    let v = next();
    for (let op = this.peekOp(...ops); op !== undefined; op = this.peekOp(...ops)) {
      this.i++;
      v = apply(op, v, next());
    }
    return v;
  }

  private bitor(): number {
    return this.binary(() => this.bitxor(), ['|'], (_o, a, b) => Number(BigInt(a) | BigInt(b)));
  }

  private bitxor(): number {
    return this.binary(() => this.bitand(), ['^'], (_o, a, b) => Number(BigInt(a) ^ BigInt(b)));
  }

  private bitand(): number {
    return this.binary(() => this.shift(), ['&'], (_o, a, b) => Number(BigInt(a) & BigInt(b)));
  }

  private shift(): number {
    return this.binary(() => this.arith(), ['<<', '>>'], (o, a, b) => (o === '<<' ? a * 2 ** b : Math.floor(a / 2 ** b)));
  }

  private arith(): number {
    return this.binary(() => this.term(), ['+', '-'], (o, a, b) => (o === '+' ? a + b : a - b));
  }

  private term(): number {
    return this.binary(
      () => this.factor(),
      ['*', '/', '//', '%'],
      (o, a, b) => {
        if (o === '*') return a * b;
        if (b === 0) throw new Unevaluable('division by zero');
        if (o === '/') return a / b;
        if (o === '//') return Math.floor(a / b);
        return a - b * Math.floor(a / b);
      },
    );
  }

  private factor(): number {
    const op = this.peekOp('-', '+', '~');
    if (op !== undefined) {
      this.i++;
      const v = this.factor();
      return op === '-' ? -v : op === '+' ? v : -v - 1;
    }
    return this.atom();
  }

  private atom(): number {
    const t = this.next();
    if (t === undefined) throw new Unevaluable('expression ends early');
    if (t.t === 'num') return t.v;
    if (t.t === 'name') {
      if (this.peekOp('(')) throw new Unevaluable(`function call ${t.v}(...)`);
      const v = this.vars[t.v] ?? CODE_CONSTANTS[t.v];
      if (v === undefined) throw new Unevaluable(`unknown name ${t.v}`);
      this.used.add(t.v);
      return v;
    }
    if (t.v === '(') {
      const v = this.expr();
      if (this.next()?.v !== ')') throw new Unevaluable('unbalanced parentheses');
      return v;
    }
    throw new Unevaluable(`unexpected '${t.v}'`);
  }
}

/** Evaluate a block's assertions against a snapshot's fields. */
export function evaluateCode(code: string, vars: Readonly<Record<string, number>>): CodeOutcome {
  try {
    const failures: string[] = [];
    for (const st of statements(code)) {
      // print(...) only shows values: nothing to check.
      if (/^print\s*\(/.test(st)) continue;
      const m = /^assert\b(.*)$/s.exec(st);
      if (m === null) throw new Unevaluable(`statement '${st.split(/\s/)[0]}' (only assert is evaluated)`);
      const toks = tokenize(m[1]!);
      // The condition ends at a top-level comma; what follows is the message.
      let depth = 0;
      let comma = toks.length;
      for (let k = 0; k < toks.length; k++) {
        const t = toks[k]!;
        if (t.t === 'op' && t.v === '(') depth++;
        else if (t.t === 'op' && t.v === ')') depth--;
        else if (t.t === 'op' && t.v === ',' && depth === 0) {
          comma = k;
          break;
        }
      }
      const p = new Parser(toks.slice(0, comma), vars);
      const v = p.expr();
      if (!p.done()) throw new Unevaluable(`cannot read the assertion '${m[1]!.trim()}'`);
      if (v === 0) {
        const cond = (comma < toks.length ? m[1]!.split(',')[0]! : m[1]!).trim();
        const values = [...p.used].filter((n) => !(n in CODE_CONSTANTS)).map((n) => `${n}=${vars[n]}`);
        failures.push(`assert ${cond}${values.length > 0 ? ` (${values.join(', ')})` : ''}`);
      }
    }
    return failures.length === 0 ? { kind: 'ok' } : { kind: 'failed', message: failures.join('; ') };
  } catch (e) {
    if (e instanceof Unevaluable) return { kind: 'unevaluable', reason: e.reason };
    throw e;
  }
}
