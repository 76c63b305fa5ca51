// Properties of the ladder layout over random events, and of the capture
// decoding over damaged captures.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { REPO_ROOT } from '../helpers/paths.js';
import { readCapture } from '../../src/trace/read-capture.js';
import { eventsFromCapture, ladderRows, ladderSvg, ladderText, stateTimelineSvg, tcpFlows, type LadderEvent } from '../../src/trace/diagram/index.js';
import { graphsSvg, tsgInputFromFlow } from '../../src/trace/graph/index.js';
import { parseXml } from './diagram-xml.js';

const STATES = ['CLOSED', 'LISTEN', 'SYN_SENT', 'SYN-RECEIVED', 'ESTABLISHED', 'FIN-WAIT-1', 'TIME_WAIT'];

const side = fc.constantFrom<'A' | 'B'>('A', 'B');
const time = fc.integer({ min: 0, max: 50 });
const event: fc.Arbitrary<LadderEvent> = fc.oneof(
  fc
    .record({
      from: side,
      seq: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      ack: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      flags: fc.integer({ min: 0, max: 0x1ff }),
      len: fc.integer({ min: 0, max: 1500 }),
      sentAt: time,
      delay: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
    })
    .map(({ delay, ...r }): LadderEvent => ({ kind: 'segment', t: r.sentAt, ...r, arrivedAt: delay === undefined ? undefined : r.sentAt + delay })),
  fc.record({ side, t: time, state: fc.constantFrom(...STATES) }).map((r): LadderEvent => ({ kind: 'state', ...r })),
  fc.record({ side, t: time, name: fc.constantFrom('RTO', 'persist', '2 MSL') }).map((r): LadderEvent => ({ kind: 'timer', ...r })),
);

test('every segment is drawn once: on one line, on a departure line before its arrival line, or as lost', () => {
  fc.assert(
    fc.property(fc.array(event, { maxLength: 30 }), (events) => {
      const rows = ladderRows(events);
      const segs = events.filter((e) => e.kind === 'segment');
      segs.forEach((seg, i) => {
        const mine = rows.map((r, at) => ({ r, at })).filter((x) => x.r.kind === 'segment' && x.r.segIndex === i);
        const parts = mine.map((x) => (x.r.kind === 'segment' ? x.r.part : ''));
        if (seg.kind !== 'segment') return;
        if (seg.arrivedAt === undefined) assert.deepEqual(parts, ['lost']);
        else if (parts.length === 1) assert.deepEqual(parts, ['whole']);
        else assert.deepEqual(parts, ['send', 'arrive']);
      });
      assert.equal(rows.filter((r) => r.kind === 'timer').length, events.filter((e) => e.kind === 'timer').length);
      // Rows are in time order.
      for (let i = 1; i < rows.length; i++) assert.ok(rows[i]!.t >= rows[i - 1]!.t || rows[i - 1]!.kind === 'initial');
    }),
    { numRuns: 300 },
  );
});

test('the text has one numbered line per row, arrows in two fixed columns; the SVG is well-formed', () => {
  fc.assert(
    fc.property(fc.array(event, { maxLength: 25 }), (events) => {
      const rows = ladderRows(events);
      const lines = ladderText(events, { header: false, blankLines: false }).split('\n').filter((l) => l !== '');
      assert.equal(lines.length, rows.length);
      lines.forEach((l, i) => assert.ok(l.startsWith(`${i + 1}.`)));
      const cols = new Set<number>();
      for (const l of lines) {
        for (const m of l.matchAll(/(-->|<--|\.\.\.|XXX)( |$)/g)) {
          // Not inside the segment text.
          if (!/<[^>]*$/.test(l.slice(0, m.index))) cols.add(m.index);
        }
      }
      assert.ok(cols.size <= 2, `arrow columns ${[...cols].join(',')}`);
      parseXml(ladderSvg(events));
      parseXml(stateTimelineSvg(events));
    }),
    { numRuns: 200 },
  );
});

test('damaged captures never make the decoding or the drawings throw', () => {
  const cap = readCapture(readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'kernel', 'http-curl.pcap')));
  fc.assert(
    fc.property(
      fc.array(fc.record({ rec: fc.nat(), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), cut: fc.nat() }), { maxLength: 20 }),
      (damage) => {
        const records = cap.records.map((r) => ({ ...r, data: r.data.slice() }));
        for (const d of damage) {
          const r = records[d.rec % records.length]!;
          if (r.data.length === 0) continue;
          r.data[d.at % r.data.length] = d.byte;
          if (d.cut % 4 === 0) r.data = r.data.subarray(0, d.cut % (r.data.length + 1));
        }
        const events = eventsFromCapture(records, cap.linktype);
        ladderText(events);
        parseXml(ladderSvg(events));
        const { flows, t0 } = tcpFlows(records, cap.linktype);
        parseXml(graphsSvg(flows.map((f) => tsgInputFromFlow(f, t0))));
      },
    ),
    { numRuns: 150 },
  );
});
