// What a benchmark reports and how the runner prints it. Benchmarks measure;
// they never pass or fail (timing belongs here, not in tests).

export interface BenchRow {
  /** The benchmark's name, e.g. 'tun'. */
  bench: string;
  /** What was measured, e.g. 'read, addon, 1428 B'. */
  case: string;
  /** NaN when the case could not run (then `note` says why). */
  value: number;
  unit: string;
  /** Anything that helps read the figure: CPU per packet, drops, a skip reason. */
  note?: string;
}

export interface Bench {
  name: string;
  description: string;
  run(): Promise<BenchRow[]>;
}

function fmt(v: number): string {
  if (Number.isNaN(v)) return '-';
  if (Math.abs(v) >= 100) return Math.round(v).toLocaleString('en-US');
  return v.toPrecision(3);
}

/** A plain-text table: one line per row, columns padded. */
export function formatTable(rows: readonly BenchRow[]): string {
  const header = ['bench', 'case', 'value', 'unit', 'note'];
  const cells = rows.map((r) => [r.bench, r.case, fmt(r.value), r.unit, r.note ?? '']);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]): string =>
    c
      .map((s, i) => (i === 2 ? s.padStart(widths[i]!) : s.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n') + '\n';
}
