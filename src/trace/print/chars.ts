// Character classes and escapes as tcpdump uses them (ASCII only, locale-free).

export function isPrint(c: number): boolean {
  return c >= 0x20 && c <= 0x7e;
}

export function isGraph(c: number): boolean {
  return c > 0x20 && c <= 0x7e;
}

/** A byte as tcpdump's fn_print_char shows it: `M-` for the high bit, `^X` for controls. */
export function escapeChar(c: number): string {
  let s = '';
  if (c >= 0x80) {
    s += 'M-';
    c &= 0x7f;
  }
  if (!isPrint(c)) {
    s += '^';
    c ^= 0x40;
  }
  return s + String.fromCharCode(c);
}
