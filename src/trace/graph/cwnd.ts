// The congestion-window side channel: a JSON array of samples
// `{ "t": µs, "cwnd": bytes, "ssthresh": bytes | null }`, `t` on the time base
// of the drawing (microseconds after the capture's first record).
// Parsing never throws: bad input gives an error naming what is wrong.

import type { CwndSample } from './analysis.js';

export type CwndParse = { ok: true; samples: CwndSample[] } | { ok: false; error: string };

function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

export function parseCwndJson(text: string): CwndParse {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `not JSON (${(e as Error).message})` };
  }
  if (!Array.isArray(data)) return { ok: false, error: 'expected an array of {t, cwnd, ssthresh} samples' };
  const samples: CwndSample[] = [];
  for (let i = 0; i < data.length; i++) {
    const v: unknown = data[i];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, error: `sample ${i}: not an object` };
    const o = v as Record<string, unknown>;
    if (!isNum(o['t'])) return { ok: false, error: `sample ${i}: 't' is not a finite number` };
    if (!isNum(o['cwnd']) || o['cwnd'] < 0) return { ok: false, error: `sample ${i}: 'cwnd' is not a number of bytes` };
    const ss = o['ssthresh'];
    if (ss !== undefined && ss !== null && (!isNum(ss) || ss < 0)) {
      return { ok: false, error: `sample ${i}: 'ssthresh' is neither a number of bytes nor null` };
    }
    const s: CwndSample = { t: o['t'], cwnd: o['cwnd'] };
    if (ss !== undefined) s.ssthresh = ss as number | null;
    samples.push(s);
  }
  return { ok: true, samples };
}
