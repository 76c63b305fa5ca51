// The HTML report of each kernel capture: self-contained (nothing to fetch),
// one section per connection with its three figures, and tcpdump's lines.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';
import { readCapture } from '../../src/trace/read-capture.js';
import { captureReport, htmlReport } from '../../src/trace/report/index.js';
import { FIG6_EVENTS } from './diagram-figures.js';
import { parseXml } from './diagram-xml.js';

const FIX = join(REPO_ROOT, 'test', 'fixtures', 'kernel');

function unescape(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
}

/** What in a page could make a browser fetch something. */
function externalReferences(html: string): string[] {
  const found: string[] = [];
  for (const m of html.matchAll(/\b(src|href|xlink:href|action|poster|data)\s*=\s*"([^"]*)"/g)) {
    if (!m[2]!.startsWith('#')) found.push(`${m[1]}=${m[2]}`);
  }
  for (const m of html.matchAll(/url\(\s*['"]?([^'")]*)/g)) if (!m[1]!.startsWith('#')) found.push(`url(${m[1]})`);
  for (const m of html.matchAll(/<(link|iframe|img|object|embed|audio|video|source)\b/g)) found.push(`<${m[1]}>`);
  for (const m of html.matchAll(/@import|fetch\(|XMLHttpRequest|new WebSocket|EventSource/g)) found.push(m[0]);
  return found;
}

for (const [name, connections] of [
  ['http-curl', 1],
  ['refused', 1],
  ['sack-loss', 1],
  ['ipv6-curl', 1],
] as const) {
  test(`report of ${name}.pcap: self-contained, ${connections} connection, figures and tcpdump lines`, () => {
    const cap = readCapture(readFileSync(join(FIX, `${name}.pcap`)));
    const html = htmlReport(captureReport(cap.records, cap.linktype, { name: `${name}.pcap` }));
    assert.match(html, /^<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">/);
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">/);
    assert.deepEqual(externalReferences(html), []);
    // The only address in the page is the SVG namespace (a name, never fetched).
    assert.deepEqual([...new Set(html.match(/https?:\/\/[^\s"<]+/g) ?? [])], ['http://www.w3.org/2000/svg']);
    assert.equal((html.match(/<section class="connection"/g) ?? []).length, connections);
    for (const kind of ['ladder', 'timeline', 'graph']) {
      assert.equal((html.match(new RegExp(`class="figure zoomable ${kind}"`, 'g')) ?? []).length, connections, kind);
    }
    // Every drawing in the page is a well-formed SVG document of its own.
    const svgs = html.match(/<svg [\s\S]*?<\/svg>/g) ?? [];
    assert.equal(svgs.length, 3 * connections);
    for (const svg of svgs) assert.equal(parseXml(svg).name, 'svg');
    const pre = /<pre class="tcpdump">([^<]*)<\/pre>/.exec(html);
    assert.ok(pre !== null);
    assert.equal(unescape(pre[1]!), readFileSync(join(FIX, `${name}.nn.out`), 'latin1'));
  });
}

test('a report from scenario events: ladder, its RFC text, timeline and graph', () => {
  const html = htmlReport({ title: 'Figure 6', connections: [{ title: 'three-way handshake', events: FIG6_EVENTS, labels: { A: 'client', B: 'server' } }] });
  assert.match(html, /<title>Figure 6<\/title>/);
  assert.ok(html.includes('2.  SYN-SENT    --&gt; &lt;SEQ=100&gt;&lt;CTL=SYN&gt;                --&gt; SYN-RECEIVED'));
  assert.ok(html.includes('>A  client</text>') && html.includes('>B  server</text>'));
  assert.equal((html.match(/class="figure zoomable /g) ?? []).length, 3);
  assert.doesNotMatch(html, /<section id="tcpdump"/);
  assert.deepEqual(externalReferences(html), []);
});

test('titles and labels are escaped', () => {
  const html = htmlReport({ title: '<b>&', connections: [{ title: 'x"<y>', events: FIG6_EVENTS, labels: { A: '<a>' } }] });
  assert.ok(html.includes('<title>&lt;b&gt;&amp;</title>'));
  assert.ok(html.includes('<h2>x&quot;&lt;y&gt;</h2>'));
  assert.doesNotMatch(html, /<a>|<y>/);
});
