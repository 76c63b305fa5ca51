// The RFC 793 text ladder against the figures of RFC 9293 §3.5, rebuilt from
// hand-made segment lists.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ladderText, ladderRows, type LadderEvent } from '../../src/trace/diagram/index.js';
import { ACK, FIN, PSH, RST, SYN } from '../../src/wire/tcp-types.js';
import { FIG6_EVENTS, FIG8_EVENTS, LOST_ACK_EVENTS, seg, st } from './diagram-figures.js';

/** Whitespace-separated words of each non-empty line. */
function words(text: string): string[][] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => l.trim().split(/\s+/));
}

// Written from the figure: one column per field, every column as wide as its
// widest entry plus a space (the RFC's own figure drifts by one column on
// lines 4 and 5; the words are the same).
const FIG6_TEXT = [
  '    TCP Peer A                                            TCP Peer B',
  '',
  '1.  CLOSED                                                LISTEN',
  '',
  '2.  SYN-SENT    --> <SEQ=100><CTL=SYN>                --> SYN-RECEIVED',
  '',
  '3.  ESTABLISHED <-- <SEQ=300><ACK=101><CTL=SYN,ACK>   <-- SYN-RECEIVED',
  '',
  '4.  ESTABLISHED --> <SEQ=101><ACK=301><CTL=ACK>       --> ESTABLISHED',
  '',
  '5.  ESTABLISHED --> <SEQ=101><ACK=301><CTL=ACK><DATA> --> ESTABLISHED',
  '',
].join('\n');

// The figure as RFC 9293 prints it (its spacing), compared word by word.
const FIG6_RFC = `
    TCP Peer A                                           TCP Peer B

1.  CLOSED                                               LISTEN

2.  SYN-SENT    --> <SEQ=100><CTL=SYN>               --> SYN-RECEIVED

3.  ESTABLISHED <-- <SEQ=300><ACK=101><CTL=SYN,ACK>  <-- SYN-RECEIVED

4.  ESTABLISHED --> <SEQ=101><ACK=301><CTL=ACK>       --> ESTABLISHED

5.  ESTABLISHED --> <SEQ=101><ACK=301><CTL=ACK><DATA> --> ESTABLISHED
`;

test('RFC 9293 Figure 6: basic three-way handshake, line for line', () => {
  const text = ladderText(FIG6_EVENTS);
  assert.equal(text, FIG6_TEXT);
  assert.deepEqual(words(text), words(FIG6_RFC));
});

test('Figure 6 columns: every arrow and every state of B start in one column', () => {
  const lines = ladderText(FIG6_EVENTS).split('\n').filter((l) => /^\d\./.test(l));
  const arrowCols = new Set(lines.slice(1).map((l) => l.search(/(-->|<--) /)));
  assert.deepEqual([...arrowCols], [16]);
  const bCols = new Set(lines.map((l) => l.search(/(LISTEN|SYN-RECEIVED|ESTABLISHED)$/)));
  assert.deepEqual([...bCols], [58]);
});

// (The RFC puts line 1 and the title of B in the arrow column here, unlike
// Figure 6; states of B always share one column in this rendering.)
const FIG8_TEXT = [
  '    TCP Peer A                                           TCP Peer B',
  '',
  '1.  CLOSED                                               CLOSED',
  '',
  '2.  SYN-SENT     --> <SEQ=100><CTL=SYN>              ...',
  '',
  '3.  SYN-RECEIVED <-- <SEQ=300><CTL=SYN>              <-- SYN-SENT',
  '',
  '4.               ... <SEQ=100><CTL=SYN>              --> SYN-RECEIVED',
  '',
  '5.  SYN-RECEIVED --> <SEQ=100><ACK=301><CTL=SYN,ACK> ...',
  '',
  '6.  ESTABLISHED  <-- <SEQ=300><ACK=101><CTL=SYN,ACK> <-- SYN-RECEIVED',
  '',
  '7.               ... <SEQ=100><ACK=301><CTL=SYN,ACK> --> ESTABLISHED',
  '',
].join('\n');

test('simultaneous open (RFC 9293 Figure 7, RFC 793 Figure 8): delayed segments drawn with ...', () => {
  assert.equal(ladderText(FIG8_EVENTS), FIG8_TEXT);
});

test('a segment in flight while something else happens is split into departure and arrival rows', () => {
  const rows = ladderRows(FIG8_EVENTS);
  const parts = rows.map((r) => (r.kind === 'segment' ? `${r.seg.from}:${r.part}` : r.kind));
  assert.deepEqual(parts, ['initial', 'A:send', 'B:whole', 'A:arrive', 'A:send', 'B:whole', 'A:arrive']);
});

const LOST_ACK_TEXT = [
  '    TCP Peer A                                          TCP Peer B',
  '',
  '1.  CLOSED                                              LISTEN',
  '',
  '2.  SYN-SENT    --> <SEQ=100><CTL=SYN>              --> SYN-RECEIVED',
  '',
  '3.  ESTABLISHED <-- <SEQ=300><ACK=101><CTL=SYN,ACK> <-- SYN-RECEIVED',
  '',
  '4.  ESTABLISHED --> <SEQ=101><ACK=301><CTL=ACK>     XXX',
  '',
  '5.                                                      (RTO)',
  '',
  '6.  ESTABLISHED <-- <SEQ=300><ACK=101><CTL=SYN,ACK> <-- SYN-RECEIVED',
  '',
  '7.  ESTABLISHED --> <SEQ=101><ACK=301><CTL=ACK>     --> ESTABLISHED',
  '',
].join('\n');

test('lost third ACK: the lost segment ends in XXX, the timer is a comment, the retransmission follows', () => {
  assert.equal(ladderText(LOST_ACK_EVENTS), LOST_ACK_TEXT);
});

test('a segment lost from B to A puts XXX on A\'s side', () => {
  const text = ladderText([st('A', 0, 'ESTABLISHED'), st('B', 0, 'ESTABLISHED'), seg('B', 7, 9, ACK, 5, undefined, 3)], {
    header: false,
    blankLines: false,
  });
  assert.equal(text, ['1.  ESTABLISHED                                       ESTABLISHED', '2.              XXX <SEQ=7><ACK=9><CTL=ACK><DATA> <-- ESTABLISHED', ''].join('\n'));
});

test('--rfc-isn: ISNs rebased to 100 (A) and 300 (B), acknowledgments in the other side\'s space', () => {
  const events: LadderEvent[] = [
    seg('A', 4_000_000_000, 0, SYN, 0, 0),
    seg('B', 77, 4_000_000_001, SYN | ACK, 1, 1),
    seg('A', 4_000_000_001, 78, ACK, 2, 2),
    // Wraps past 2^32 in A's space.
    seg('A', 4_000_000_001, 78, ACK | PSH, 3, 3, 294_967_300),
    seg('A', (4_000_000_001 + 294_967_300) % 2 ** 32, 78, FIN | ACK, 4, 4),
  ];
  const text = ladderText(events, { isn: 'rfc', header: false, blankLines: false, dataLength: true });
  assert.deepEqual(
    text.trimEnd().split('\n').map((l) => l.split(/\s+/)[2]),
    [
      '<SEQ=100><CTL=SYN>',
      '<SEQ=300><ACK=101><CTL=SYN,ACK>',
      '<SEQ=101><ACK=301><CTL=ACK>',
      '<SEQ=101><ACK=301><CTL=ACK><DATA=294967300>',
      '<SEQ=294967401><ACK=301><CTL=FIN,ACK>',
    ],
  );
  // As seen: the numbers of the segments themselves.
  const seen = ladderText(events.slice(0, 2), { header: false, blankLines: false });
  assert.match(seen, /<SEQ=4000000000><CTL=SYN>/);
  assert.match(seen, /<SEQ=77><ACK=4000000001><CTL=SYN,ACK>/);
});

test('CTL names: RST,ACK in RFC order; PSH left out unless allFlags; no CTL field without flags', () => {
  const one = (flags: number, allFlags = false): string =>
    ladderText([seg('B', 0, 5, flags, 0, 0)], { header: false, allFlags }).trim().split(/\s+/)[2]!;
  assert.equal(one(RST | ACK), '<SEQ=0><ACK=5><CTL=RST,ACK>');
  assert.equal(one(PSH | ACK), '<SEQ=0><ACK=5><CTL=ACK>');
  assert.equal(one(PSH | ACK, true), '<SEQ=0><ACK=5><CTL=PSH,ACK>');
  assert.equal(one(FIN | ACK), '<SEQ=0><ACK=5><CTL=FIN,ACK>');
  assert.equal(one(0), '<SEQ=0>');
});

test('a state change with no segment at that instant gets a line showing both states', () => {
  const text = ladderText(
    [
      st('A', 0, 'TIME_WAIT'),
      st('B', 0, 'CLOSED'),
      { t: 60_000_000, kind: 'timer', side: 'A', name: '2 MSL' },
      st('A', 60_000_000, 'CLOSED'),
    ],
    { header: false, blankLines: false },
  );
  assert.equal(text, ['1.  TIME-WAIT CLOSED', '2.  (2 MSL)', '3.  CLOSED    CLOSED', ''].join('\n'));
});

test('no states known: no line 1, numbering starts with the first segment', () => {
  const text = ladderText([seg('A', 1, 2, ACK, 0, 0)], { header: false });
  assert.equal(text, '1.  --> <SEQ=1><ACK=2><CTL=ACK> -->\n');
});

test('ten lines or more widen the number column for every line', () => {
  const events: LadderEvent[] = [];
  for (let i = 0; i < 10; i++) events.push(seg('A', i, 0, 0, i, i));
  const lines = ladderText(events, { header: false, blankLines: false }).trimEnd().split('\n');
  assert.equal(lines[0], '1.   --> <SEQ=0> -->');
  assert.equal(lines[9], '10.  --> <SEQ=9> -->');
});
