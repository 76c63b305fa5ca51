// Small helpers to write SVG text: escaping, compact numbers, elements,
// axis ticks. The drawings are plain strings, with no dependency.

/** Escape text for SVG/HTML content and attribute values. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A coordinate with at most two decimals and no trailing zeros. */
export function num(n: number): string {
  if (!Number.isFinite(n)) return '0';
  const r = Math.round(n * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
}

export type Attrs = Record<string, string | number | undefined>;

function attrText(attrs: Attrs): string {
  let s = '';
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined) continue;
    s += ` ${k}="${typeof v === 'number' ? num(v) : esc(v)}"`;
  }
  return s;
}

/** One element; `children` is markup already (use esc() for text). */
export function el(name: string, attrs: Attrs, children?: string): string {
  return children === undefined ? `<${name}${attrText(attrs)}/>` : `<${name}${attrText(attrs)}>${children}</${name}>`;
}

/** A `<text>` element holding escaped text. */
export function text(x: number, y: number, content: string, attrs: Attrs = {}): string {
  return el('text', { x, y, ...attrs }, esc(content));
}

/** The root element of a standalone SVG document, with a white background. */
export function svgRoot(width: number, height: number, cls: string, body: string, extra: Attrs = {}): string {
  return (
    el(
      'svg',
      {
        xmlns: 'http://www.w3.org/2000/svg',
        class: cls,
        width,
        height,
        viewBox: `0 0 ${num(width)} ${num(height)}`,
        'font-family': 'DejaVu Sans Mono, Menlo, Consolas, monospace',
        'font-size': 11,
        ...extra,
      },
      el('rect', { x: 0, y: 0, width, height, fill: '#ffffff' }) + body,
    ) + '\n'
  );
}

/** About `count` round tick values (1, 2 or 5 times a power of ten) covering [min, max]. */
export function niceTicks(min: number, max: number, count = 6): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (max <= min) return [min];
  const raw = (max - min) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
  const out: number[] = [];
  // Integer multiples of the step, rounded to shed binary fractions (3 * 0.05 is not 0.15).
  for (let k = Math.ceil(min / step - 1e-9); k * step <= max + step * 1e-9; k++) out.push(Number((k * step).toPrecision(12)));
  return out;
}

/** A duration in microseconds as people read it: `850 µs`, `12.345 ms`, `1.5 s`. */
export function fmtDuration(us: number): string {
  const a = Math.abs(us);
  if (a < 1000) return `${trimZeros(us.toFixed(0))} µs`;
  if (a < 1_000_000) return `${trimZeros((us / 1000).toFixed(3))} ms`;
  return `${trimZeros((us / 1_000_000).toFixed(3))} s`;
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** A byte count with a binary unit: `512 B`, `64 KiB`, `1.5 MiB`. */
export function fmtBytes(n: number): string {
  const a = Math.abs(n);
  if (a < 1024) return `${Math.round(n)} B`;
  if (a < 1024 * 1024) return `${trimZeros((n / 1024).toFixed(1))} KiB`;
  if (a < 1024 * 1024 * 1024) return `${trimZeros((n / 1024 / 1024).toFixed(1))} MiB`;
  return `${trimZeros((n / 1024 / 1024 / 1024).toFixed(1))} GiB`;
}

/** A rate in bits per second: `850 bit/s`, `12.5 Mbit/s`. */
export function fmtRate(bitsPerSecond: number): string {
  const a = Math.abs(bitsPerSecond);
  if (a < 1e3) return `${Math.round(bitsPerSecond)} bit/s`;
  if (a < 1e6) return `${trimZeros((bitsPerSecond / 1e3).toFixed(1))} kbit/s`;
  if (a < 1e9) return `${trimZeros((bitsPerSecond / 1e6).toFixed(1))} Mbit/s`;
  return `${trimZeros((bitsPerSecond / 1e9).toFixed(1))} Gbit/s`;
}

/**
 * Standalone SVG documents (as this module writes them) one above the other
 * in a single document; one document is returned as it is.
 */
export function stackSvg(docs: readonly string[]): string {
  if (docs.length === 1) return docs[0]!;
  let y = 0;
  let width = 0;
  const parts: string[] = [];
  for (const doc of docs) {
    const m = /^<svg[^>]*\swidth="([0-9.]+)"[^>]*\sheight="([0-9.]+)"/.exec(doc);
    const w = m === null ? 0 : Number(m[1]);
    const h = m === null ? 0 : Number(m[2]);
    parts.push(doc.trimEnd().replace(/^<svg/, `<svg x="0" y="${num(y)}"`));
    y += h + 16;
    width = Math.max(width, w);
  }
  if (docs.length === 0) return svgRoot(400, 40, 'synack-empty', text(12, 24, 'no TCP connection in this capture'));
  return svgRoot(width, Math.max(0, y - 16), 'synack-stack', parts.join('\n'));
}
