// The SVG ladder and the state timeline: well-formed documents whose arrows,
// crosses, states and timers are where the events put them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';
import { readCapture } from '../../src/trace/read-capture.js';
import { eventsFromCapture, ladderSvg, stateSpans, stateTimelineSvg, type LadderEvent } from '../../src/trace/diagram/index.js';
import { FIG6_EVENTS, FIG8_EVENTS, LOST_ACK_EVENTS } from './diagram-figures.js';
import { allElements, byClass, parseXml, textOf, type XmlElement } from './diagram-xml.js';

interface Arrow {
  from: string;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  label: string;
}

/** The main line and label of every segment group. */
function arrows(svg: XmlElement, ...classes: string[]): Arrow[] {
  return byClass(svg, 'segment', ...classes).map((g) => {
    const line = g.children.find((c) => c.name === 'line')!;
    const label = g.children.find((c) => c.name === 'text')!;
    return {
      from: g.attrs['data-from']!,
      x1: Number(line.attrs['x1']),
      y1: Number(line.attrs['y1']),
      x2: Number(line.attrs['x2']),
      y2: Number(line.attrs['y2']),
      label: textOf(label),
    };
  });
}

function statesOf(svg: XmlElement, side: 'A' | 'B'): string[] {
  return byClass(svg, 'state')
    .filter((g) => g.attrs['data-side'] === side)
    .map((g) => g.attrs['data-state']!);
}

test('Figure 6 as SVG: four arrows sloping down from sender to receiver, states in order on each line', () => {
  const svg = parseXml(ladderSvg(FIG6_EVENTS, { title: 'RFC 9293 Figure 6' }));
  assert.equal(svg.name, 'svg');
  assert.equal(svg.attrs['xmlns'], 'http://www.w3.org/2000/svg');
  const a = arrows(svg);
  assert.deepEqual(
    a.map((x) => [x.from, x.label]),
    [
      ['A', '<SEQ=100><CTL=SYN>'],
      ['B', '<SEQ=300><ACK=101><CTL=SYN,ACK>'],
      ['A', '<SEQ=101><ACK=301><CTL=ACK>'],
      ['A', '<SEQ=101><ACK=301><CTL=ACK><DATA>'],
    ],
  );
  for (const x of a) {
    // Every segment takes 100 µs: arrival lower than departure.
    assert.ok(x.y2 > x.y1, `${x.label} slopes down`);
    assert.equal(x.from === 'A', x.x1 < x.x2, `${x.label} points from its sender`);
  }
  // Each next segment leaves no earlier than the previous one arrived.
  for (let i = 1; i < a.length; i++) assert.ok(a[i]!.y1 >= a[i - 1]!.y2);
  assert.deepEqual(statesOf(svg, 'A'), ['CLOSED', 'SYN-SENT', 'ESTABLISHED']);
  assert.deepEqual(statesOf(svg, 'B'), ['LISTEN', 'SYN-RECEIVED', 'ESTABLISHED']);
  assert.equal(byClass(svg, 'lost').length, 0);
  assert.ok(allElements(svg).some((e) => e.name === 'text' && textOf(e) === 'RFC 9293 Figure 6'));
});

test('lost third ACK as SVG: a cross where the ACK dies, a timer diamond on B, a break for the idle second', () => {
  const svg = parseXml(ladderSvg(LOST_ACK_EVENTS));
  const lost = byClass(svg, 'segment', 'lost');
  assert.equal(lost.length, 1);
  assert.equal(lost[0]!.children.filter((c) => c.attrs['class'] === 'cross').length, 2);
  assert.equal(lost[0]!.children.filter((c) => c.name === 'polygon').length, 0, 'no arrowhead on a lost segment');
  const [l] = arrows(svg, 'lost');
  assert.equal(l!.label, '<SEQ=101><ACK=301><CTL=ACK>');
  // It stops short of B's line.
  const bLine = byClass(svg, 'lifeline-b')[0]!;
  assert.ok(l!.x2 < Number(bLine.attrs['x1']) - 20);
  const timers = byClass(svg, 'timer');
  assert.equal(timers.length, 1);
  assert.equal(timers[0]!.attrs['data-side'], 'B');
  assert.equal(textOf(timers[0]!), '(RTO)');
  const gaps = byClass(svg, 'gap');
  assert.equal(gaps.length, 1);
  assert.equal(textOf(gaps[0]!), '+ 999 ms');
  assert.equal(arrows(svg).length, 5);
});

test('simultaneous open as SVG: a segment in flight spans the rows between its departure and arrival', () => {
  const svg = parseXml(ladderSvg(FIG8_EVENTS));
  const a = arrows(svg);
  const synA = a.find((x) => x.from === 'A' && x.label === '<SEQ=100><CTL=SYN>')!;
  const synB = a.find((x) => x.from === 'B' && x.label === '<SEQ=300><CTL=SYN>')!;
  // B's SYN leaves and arrives while A's SYN is in flight.
  assert.ok(synA.y1 < synB.y1 && synB.y2 < synA.y2);
  assert.deepEqual(statesOf(svg, 'A'), ['CLOSED', 'SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED']);
  assert.deepEqual(statesOf(svg, 'B'), ['CLOSED', 'SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED']);
});

test('from a single capture point both ends take the capture time: the arrows are level', () => {
  const cap = readCapture(readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'kernel', 'http-curl.pcap')));
  const events = eventsFromCapture(cap.records, cap.linktype);
  const svg = parseXml(ladderSvg(events, { isn: 'rfc' }));
  const a = arrows(svg);
  assert.equal(a.length, 13);
  for (const x of a) assert.equal(x.y1, x.y2);
  assert.deepEqual(a.slice(0, 3).map((x) => x.label), ['<SEQ=100><CTL=SYN>', '<SEQ=300><ACK=101><CTL=SYN,ACK>', '<SEQ=101><ACK=301><CTL=ACK>']);
  // Every arrow is on a row of its own, top to bottom in capture order.
  for (let i = 1; i < a.length; i++) assert.ok(a[i]!.y1 > a[i - 1]!.y1);
  // The labels are escaped in the markup.
  assert.match(ladderSvg(events, { isn: 'rfc' }), /&lt;SEQ=100&gt;&lt;CTL=SYN&gt;/);
});

test('state spans: each side\'s states with their start and end times', () => {
  assert.deepEqual(
    stateSpans(FIG6_EVENTS).map((s) => [s.side, s.state, s.from, s.to]),
    [
      ['A', 'CLOSED', 0, 100],
      ['A', 'SYN-SENT', 100, 300],
      ['A', 'ESTABLISHED', 300, 600],
      ['B', 'LISTEN', 0, 200],
      ['B', 'SYN-RECEIVED', 200, 400],
      ['B', 'ESTABLISHED', 400, 600],
    ],
  );
});

test('state timeline: a band per state, states passed at the same instant each get a column', () => {
  const events: LadderEvent[] = [
    { t: 0, kind: 'state', side: 'A', state: 'CLOSED' },
    { t: 0, kind: 'state', side: 'A', state: 'SYN_SENT' },
    { t: 0, kind: 'state', side: 'B', state: 'LISTEN' },
    { t: 50, kind: 'state', side: 'A', state: 'ESTABLISHED' },
  ];
  const svg = parseXml(stateTimelineSvg(events));
  const spans = byClass(svg, 'span');
  assert.deepEqual(
    spans.map((g) => `${g.attrs['data-side']}:${g.attrs['data-state']}`),
    ['A:CLOSED', 'A:SYN-SENT', 'A:ESTABLISHED', 'B:LISTEN'],
  );
  const rect = (g: XmlElement): { x: number; w: number } => {
    const r = g.children.find((c) => c.name === 'rect')!;
    return { x: Number(r.attrs['x']), w: Number(r.attrs['width']) };
  };
  const [closed, synSent, est, listen] = spans.map(rect);
  assert.ok(closed!.x < synSent!.x && synSent!.x < est!.x, 'A\'s states side by side');
  // LISTEN lasts through all three columns.
  assert.ok(listen!.x <= closed!.x && listen!.x + listen!.w >= est!.x + est!.w - 2);
});

test('a long title is wrapped over several lines and the drawing moves down under it', () => {
  const title = 'lost-third-ack-timeout: every ACK from the client is lost, the SYN,ACK is sent again and again until the half-open connection is dropped';
  const doc = ladderSvg(FIG6_EVENTS, { title, width: 600 });
  const svg = parseXml(doc);
  const lines = byClass(svg, 'title').map(textOf);
  assert.ok(lines.length >= 2);
  assert.equal(lines.join(' '), title);
  for (const l of lines) assert.ok(l.length <= Math.floor((600 - 24) / 8.5), l);
  const short = parseXml(ladderSvg(FIG6_EVENTS, { title: 'Figure 6', width: 600 }));
  assert.equal(Number(svg.attrs['height']) - Number(short.attrs['height']), 18 * (lines.length - 1));
});
