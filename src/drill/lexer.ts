// The packetdrill script lexer: a hand-written scanner with the same token
// boundaries as packetdrill's (longest match wins, ties go to the earlier
// rule), plus the nplab dialect's `#ifdef NAME` / `#endif` blocks and
// `--define`-style symbol substitution. It never throws: a bad character
// sequence becomes an `error` token naming what is wrong.

import type { Loc } from './ast.js';

export type TokenKind =
  | 'int'
  | 'hex'
  | 'float'
  | 'word'
  | 'string'
  | 'backquote'
  | 'code'
  | 'option'
  | 'ellipsis'
  | 'ipv4'
  | 'ipv6'
  | 'punct'
  | 'eof'
  | 'error';

export interface Token {
  kind: TokenKind;
  /**
   * The lexeme. For `string`, `backquote` and `code` tokens: the text between
   * the delimiters (code blocks with blanks trimmed). For `option`: the name
   * after `--`. For `error`: the message.
   */
  text: string;
  /** For `option` tokens: the text after `=`, if any. */
  value?: string;
  line: number;
  column: number;
  /** Offset of the first character in the source. */
  offset: number;
  /** For `error` tokens: whether the scanner or the `#ifdef` preprocessor failed. */
  stage?: 'lex' | 'preprocess';
}

export interface LexerOptions {
  /**
   * Symbols for `-D SYM=VAL` substitution and `#ifdef`. The map is read
   * lazily, so entries added while lexing (in-script `--define`) apply to
   * later tokens.
   */
  defines?: Map<string, string>;
}

/**
 * Words that are keywords in packetdrill and therefore are neither symbols
 * nor subject to `--define` substitution.
 */
export const RESERVED_WORDS: ReadonlySet<string> = new Set([
  'sa_family', 'sin_port', 'sin_addr', 'msg_name', 'msg_iov', 'msg_flags', 'msg_control',
  'cmsg_data', 'cmsg_level', 'cmsg_type', 'ee_errno', 'ee_origin', 'ee_type', 'ee_code',
  'ee_info', 'ee_data', 'scm_sec', 'scm_nsec', 'fd', 'u32', 'u64', 'ptr', 'events',
  'revents', 'onoff', 'linger', 'htons', 'ipv4', 'ipv6', 'icmp', 'udp', 'GREv0', 'gre',
  'raw', 'sum', 'off', 'key', 'seq', 'none', 'checksum', 'present', 'encap', 'psp',
  'spi', 'mpls', 'label', 'tc', 'ttl', 'inet_addr', 'inet6_addr', 'ack', 'eol', 'ecr',
  'mss', 'mtu', 'nop', 'sack', 'sackOK', 'md5', 'TS', 'FO', 'FOEXP', 'ECN', 'e0b', 'e1b',
  'ceb', 'tos', 'flowlabel', 'flags', 'Flags', 'val', 'win', 'urg', 'wscale', 'ect01',
  'ect0', 'ect1', 'noecn', 'ce', 'id',
]);

const RE_FLOAT = /-?[0-9]*\.[0-9]+/y;
const RE_INT = /-?[0-9]+/y;
const RE_HEX = /0x[0-9a-fA-F]+/y;
const RE_WORD = /[A-Za-z0-9_]+/y;
const RE_OPTION = /--[A-Za-z0-9_]+/y;
const RE_IPV4 = /[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/y;
const RE_IPV6_CANDIDATE = /[0-9A-Fa-f:.]+/y;
const RE_DIRECTIVE = /#[ \t]*([A-Za-z_]+)/y;
/** A first character after which only a WORD can follow (no number, hex, address). */
const RE_PLAIN_WORD_START = /[G-Zg-z_]/;
/** First characters of tokens longer than one character (numbers, words, addresses, `...`, `--opt`). */
const RE_LONG_TOKEN_START = /[0-9A-Fa-f.:-]/;
const RE_CONTROL = /[\u0000-\u0008\u000e-\u001f\u007f]/;

function stickyLength(re: RegExp, text: string, pos: number): number {
  re.lastIndex = pos;
  const m = re.exec(text);
  return m === null ? 0 : m[0].length;
}

/** Whether `s` is a complete IPv6 address in text form (RFC 4291 §2.2, with an optional dotted IPv4 tail). */
export function isIpv6Text(s: string): boolean {
  let groups = s;
  let v4Groups = 0;
  const lastColon = s.lastIndexOf(':');
  if (lastColon < 0) return false;
  const tail = s.slice(lastColon + 1);
  if (tail.includes('.')) {
    if (!isIpv4Text(tail)) return false;
    groups = s.slice(0, lastColon + 1) + '0';
    v4Groups = 1; // the dotted quad occupies two groups; '0' stands in for one of them
  }
  const halves = groups.split('::');
  if (halves.length > 2) return false;
  const parse = (h: string): number => {
    if (h === '') return 0;
    const parts = h.split(':');
    for (const p of parts) if (!/^[0-9A-Fa-f]{1,4}$/.test(p)) return -1;
    return parts.length;
  };
  const a = parse(halves[0]!);
  if (a < 0) return false;
  if (halves.length === 1) return a + v4Groups === 8;
  const b = parse(halves[1]!);
  if (b < 0) return false;
  return a + b + v4Groups <= 7;
}

export function isIpv4Text(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^[0-9]{1,3}$/.test(p) && Number(p) <= 255);
}

/** Length of the longest IPv6 address at `pos` (0 if none). */
function ipv6Length(text: string, pos: number): number {
  const run = stickyLength(RE_IPV6_CANDIDATE, text, pos);
  if (run < 2) return 0;
  const cand = text.slice(pos, pos + run);
  if (!cand.includes(':')) return 0;
  for (let n = run; n >= 2; n--) if (isIpv6Text(cand.slice(0, n))) return n;
  return 0;
}

interface Conditional {
  name: string;
  line: number;
  /** Whether the branch currently being read is kept. */
  active: boolean;
  sawElse: boolean;
}

/** Streams tokens from a script. */
export class Lexer {
  private pos = 0;
  private line = 1;
  private column = 1;
  private readonly conds: Conditional[] = [];
  private failed: Token | undefined;
  readonly defines: Map<string, string>;

  constructor(
    private readonly text: string,
    opts: LexerOptions = {},
  ) {
    this.defines = opts.defines ?? new Map();
  }

  /** The current position (for errors at the end of the text). */
  here(): Loc {
    return { line: this.line, column: this.column };
  }

  private advance(n: number): void {
    const end = Math.min(this.pos + n, this.text.length);
    for (let i = this.pos; i < end; i++) {
      if (this.text.charCodeAt(i) === 10) {
        this.line++;
        this.column = 1;
      } else {
        this.column++;
      }
    }
    this.pos = end;
  }

  private skipBlanks(): void {
    const text = this.text;
    let i = this.pos;
    for (; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (ch === 10) {
        this.line++;
        this.column = 1;
      } else if (ch === 32 || ch === 9 || ch === 13 || ch === 12 || ch === 11) {
        this.column++;
      } else break;
    }
    this.pos = i;
  }

  private make(kind: TokenKind, text: string, start: { pos: number; line: number; column: number }, value?: string): Token {
    const t: Token = { kind, text, line: start.line, column: start.column, offset: start.pos };
    if (value !== undefined) t.value = value;
    return t;
  }

  private error(message: string, at?: { line: number; column: number; pos: number }, stage: 'lex' | 'preprocess' = 'lex'): Token {
    const start = at ?? { pos: this.pos, line: this.line, column: this.column };
    const t = this.make('error', message, start);
    t.stage = stage;
    this.failed = t;
    return t;
  }

  private ppError(message: string, at?: { line: number; column: number; pos: number }): Token {
    return this.error(message, at, 'preprocess');
  }

  /** The next token; after an error or the end, the same token again. */
  next(): Token {
    if (this.failed !== undefined) return this.failed;
    const text = this.text;
    for (;;) {
      if (this.pos >= text.length) {
        const open = this.conds[this.conds.length - 1];
        if (open !== undefined) {
          return this.ppError(`unterminated #ifdef ${open.name} (opened at line ${open.line})`);
        }
        return this.make('eof', '', { pos: this.pos, line: this.line, column: this.column });
      }
      const c = text[this.pos]!;
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') {
        this.skipBlanks();
        continue;
      }
      const c2 = text[this.pos + 1];
      const start = { pos: this.pos, line: this.line, column: this.column };
      if (c === '/' && c2 === '/') {
        const nl = text.indexOf('\n', this.pos);
        this.advance((nl < 0 ? text.length : nl) - this.pos);
        continue;
      }
      if (c === '/' && c2 === '*') {
        const close = text.indexOf('*/', this.pos + 2);
        if (close < 0) return this.error('unterminated /* comment');
        this.advance(close + 2 - this.pos);
        continue;
      }
      if (c === '#') {
        const r = this.directive(start);
        if (r === 'continue') continue;
        if (r !== 'none') return r;
      }
      if (c === '%' && c2 === '{') {
        const close = text.indexOf('}%', this.pos + 2);
        if (close < 0) return this.error('unterminated %{ code block (missing }%)');
        const inner = text.slice(this.pos + 2, close).replace(/^[ \t]+|[ \t]+$/g, '');
        this.advance(close + 2 - this.pos);
        return this.make('code', inner, start);
      }
      if (c === '`' || c === '"') {
        const close = this.findClose(c, this.pos + 1);
        if (close < 0) {
          return this.error(c === '`' ? 'unterminated back-quoted command' : 'unterminated string');
        }
        const inner = text.slice(this.pos + 1, close);
        this.advance(close + 1 - this.pos);
        return this.make(c === '`' ? 'backquote' : 'string', inner, start);
      }
      // Fast paths: a word that cannot be a number or an address, and
      // punctuation that cannot begin a longer token.
      if (RE_PLAIN_WORD_START.test(c)) {
        const len = stickyLength(RE_WORD, text, this.pos);
        const w = text.slice(this.pos, this.pos + len);
        this.advance(len);
        return this.word(w, start);
      }
      if (!RE_LONG_TOKEN_START.test(c)) {
        this.advance(1);
        if (RE_CONTROL.test(c)) {
          return this.error(`unexpected control character 0x${c.charCodeAt(0).toString(16).padStart(2, '0')}`, start);
        }
        return this.make('punct', c, start);
      }
      // Longest match among the remaining rules; on a tie the earlier rule wins.
      const candidates: [TokenKind, number][] = [
        ['ellipsis', text.startsWith('...', this.pos) ? 3 : 0],
        ['option', stickyLength(RE_OPTION, text, this.pos)],
        ['float', stickyLength(RE_FLOAT, text, this.pos)],
        ['int', stickyLength(RE_INT, text, this.pos)],
        ['hex', stickyLength(RE_HEX, text, this.pos)],
        ['word', stickyLength(RE_WORD, text, this.pos)],
        ['punct', 1],
        ['ipv4', stickyLength(RE_IPV4, text, this.pos)],
        ['ipv6', ipv6Length(text, this.pos)],
      ];
      let best: [TokenKind, number] = candidates[0]!;
      for (const cand of candidates) if (cand[1] > best[1]) best = cand;
      const [kind, len] = best;
      const lexeme = text.slice(this.pos, this.pos + len);
      this.advance(len);
      if (kind === 'option') return this.option(lexeme.slice(2), start);
      if (kind === 'ipv4' && !isIpv4Text(lexeme)) {
        return this.error(`bad IPv4 address '${lexeme}'`, start);
      }
      if (kind === 'word') return this.word(lexeme, start);
      if (kind === 'punct' && RE_CONTROL.test(lexeme)) {
        return this.error(`unexpected control character 0x${lexeme.charCodeAt(0).toString(16).padStart(2, '0')}`, start);
      }
      return this.make(kind, lexeme, start);
    }
  }

  /** Index of the closing delimiter `q` from `from`, honouring backslash escapes; -1 if none. */
  private findClose(q: string, from: number): number {
    const text = this.text;
    for (let i = from; i < text.length; i++) {
      const ch = text[i];
      if (ch === '\\') {
        i++;
        continue;
      }
      if (ch === q) return i;
    }
    return -1;
  }

  /** `--name` or `--name=value`; the value runs to the next blank, quotes kept whole. */
  private option(name: string, start: { pos: number; line: number; column: number }): Token {
    const text = this.text;
    if (text[this.pos] !== '=') return this.make('option', name, start);
    let i = this.pos + 1;
    while (i < text.length && !/\s/.test(text[i]!)) {
      const ch = text[i]!;
      if (ch === '"' || ch === '`') {
        const close = this.findClose(ch, i + 1);
        if (close < 0) return this.error(`unterminated quote in option --${name}`);
        i = close + 1;
        continue;
      }
      if (ch === '/' && (text[i + 1] === '/' || text[i + 1] === '*')) break;
      i++;
    }
    const value = text.slice(this.pos + 1, i);
    this.advance(i - this.pos);
    return this.make('option', name, start, value);
  }

  /** A WORD, after `--define` substitution. */
  private word(w: string, start: { pos: number; line: number; column: number }): Token {
    const def = RESERVED_WORDS.has(w) ? undefined : this.defines.get(w);
    if (def === undefined) return this.make('word', w, start);
    if (def.length >= 2 && def.startsWith('"') && def.endsWith('"')) return this.make('string', def.slice(1, -1), start);
    if (def.length >= 2 && def.startsWith('`') && def.endsWith('`')) return this.make('backquote', def.slice(1, -1), start);
    if (/^-?0x[0-9a-fA-F]+$/.test(def)) return this.make(def.startsWith('-') ? 'int' : 'hex', def, start);
    if (/^-?[0-9]+$/.test(def)) return this.make('int', def, start);
    return this.make('word', def, start);
  }

  /**
   * `#ifdef NAME`, `#ifndef NAME`, `#else`, `#endif` (nplab dialect; NAME is
   * "defined" when it is in the define map). Returns 'none' when the `#` does
   * not start a directive (it is then an ordinary one-character token).
   */
  private directive(start: { pos: number; line: number; column: number }): Token | 'continue' | 'none' {
    RE_DIRECTIVE.lastIndex = this.pos;
    const m = RE_DIRECTIVE.exec(this.text);
    if (m === null) return 'none';
    const name = m[1]!;
    switch (name) {
      case 'ifdef':
      case 'ifndef': {
        this.advance(m[0].length);
        const sym = /[ \t]*([A-Za-z_][A-Za-z0-9_]*)/y;
        sym.lastIndex = this.pos;
        const s = sym.exec(this.text);
        if (s === null) return this.ppError(`#${name} must be followed by a name`, start);
        this.advance(s[0].length);
        const defined = this.defines.has(s[1]!);
        const active = name === 'ifdef' ? defined : !defined;
        this.conds.push({ name: s[1]!, line: start.line, active, sawElse: false });
        if (!active) return this.skipBranch();
        return 'continue';
      }
      case 'else': {
        this.advance(m[0].length);
        const top = this.conds[this.conds.length - 1];
        if (top === undefined) return this.ppError('#else without #ifdef', start);
        if (top.sawElse) return this.ppError(`second #else for #ifdef ${top.name} (line ${top.line})`, start);
        top.sawElse = true;
        // We were reading the kept branch: skip the other one.
        top.active = false;
        return this.skipBranch();
      }
      case 'endif': {
        this.advance(m[0].length);
        if (this.conds.pop() === undefined) return this.ppError('#endif without #ifdef', start);
        return 'continue';
      }
      case 'if':
      case 'elif':
      case 'include':
      case 'define':
      case 'undef':
        return this.ppError(`unsupported preprocessor directive #${name}`, start);
      default:
        return 'none';
    }
  }

  /**
   * Skip source text up to the `#else` or `#endif` that closes the innermost
   * open conditional (nested conditionals inside are skipped whole).
   */
  private skipBranch(): Token | 'continue' {
    const re = /#[ \t]*(ifdef|ifndef|else|endif)\b/g;
    re.lastIndex = this.pos;
    let depth = 0;
    const top = this.conds[this.conds.length - 1]!;
    for (;;) {
      const m = re.exec(this.text);
      if (m === null) {
        this.advance(this.text.length - this.pos);
        return this.ppError(`unterminated #ifdef ${top.name} (opened at line ${top.line})`);
      }
      const d = m[1]!;
      if (d === 'ifdef' || d === 'ifndef') {
        depth++;
        continue;
      }
      if (depth > 0) {
        if (d === 'endif') depth--;
        continue;
      }
      this.advance(m.index + m[0].length - this.pos);
      if (d === 'endif') {
        this.conds.pop();
        return 'continue';
      }
      // #else of a skipped branch: read the else branch, unless we already passed an #else.
      if (top.sawElse) return this.ppError(`second #else for #ifdef ${top.name} (line ${top.line})`);
      top.sawElse = true;
      top.active = true;
      return 'continue';
    }
  }
}

/** All tokens up to and including the end (or the first error). */
export function tokenize(text: string, opts: LexerOptions = {}): Token[] {
  const lx = new Lexer(text, opts);
  const out: Token[] = [];
  for (;;) {
    const t = lx.next();
    out.push(t);
    if (t.kind === 'eof' || t.kind === 'error') return out;
  }
}
