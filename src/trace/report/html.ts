// One self-contained HTML page per capture or scenario: for each connection
// the ladder (SVG and RFC 793 text), the state timeline and the graphs, then
// the tcpdump lines. Everything is inline (SVG, CSS, a few lines of script
// for zooming); a Content-Security-Policy forbids the page any fetch.

import { ladderSvg } from '../diagram/svg.js';
import { ladderText } from '../diagram/text.js';
import { stateTimelineSvg } from '../diagram/timeline.js';
import type { LadderEvent, LadderOptions } from '../diagram/types.js';
import { tsgInputFromEvents, type TsgInput } from '../graph/analysis.js';
import { timeSequenceSvg } from '../graph/tsg.js';
import { esc } from '../graph/svg.js';

export interface ReportConnection {
  /** Heading, e.g. the two endpoints. */
  title: string;
  /** Names of the peers in the drawings. */
  labels?: { A?: string; B?: string };
  events: LadderEvent[];
  /** Input of the graphs; by default built from the events (seen from the data sender). */
  tsg?: TsgInput;
}

export interface ReportInput {
  title: string;
  /** A line under the title (file name, counts...). */
  subtitle?: string;
  connections: ReportConnection[];
  /** tcpdump's text for the whole capture, one line per packet. */
  tcpdump?: string;
  /** Options of the ladders (isn, dataLength...). */
  ladder?: LadderOptions;
}

const CSS = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #222; background: #fafafa; }
header { background: #20344f; color: #fff; padding: 14px 24px; }
header h1 { margin: 0; font-size: 20px; }
header p { margin: 4px 0 0; opacity: .85; }
nav { padding: 8px 24px; background: #eef2f7; border-bottom: 1px solid #d5dde8; }
nav a { margin-right: 14px; color: #20344f; }
main { padding: 8px 24px 40px; }
section.connection { border-top: 1px solid #ccd; margin-top: 18px; }
h2 { font-size: 17px; margin: 16px 0 6px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.figure { background: #fff; border: 1px solid #d5dde8; border-radius: 4px; margin: 6px 0 12px; }
.zoom-bar { display: flex; gap: 6px; align-items: center; padding: 4px 8px; border-bottom: 1px solid #e3e8ef; background: #f5f7fa; }
.zoom-bar button { font: inherit; min-width: 30px; padding: 1px 8px; cursor: pointer; }
.zoom-bar .zoom-level { color: #555; font-size: 12px; min-width: 44px; }
.zoom-bar .hint { color: #888; font-size: 12px; margin-left: auto; }
.zoom-view { overflow: auto; max-height: 80vh; }
.zoom-view svg { display: block; }
pre { background: #fff; border: 1px solid #d5dde8; border-radius: 4px; padding: 8px 10px; overflow: auto; font: 12px/1.35 ui-monospace, Menlo, Consolas, monospace; }
pre.tcpdump { max-height: 70vh; }
table.states { border-collapse: collapse; font-size: 13px; }
table.states td, table.states th { border: 1px solid #d5dde8; padding: 2px 8px; text-align: left; }
details summary { cursor: pointer; color: #20344f; }
`;

// Zoom: buttons, and Ctrl + wheel over a figure. The SVG keeps its viewBox,
// so changing its rendered size scales the drawing.
const SCRIPT = `
(function () {
  function setup(fig) {
    var view = fig.querySelector('.zoom-view');
    var svg = view && view.querySelector('svg');
    if (!svg) return;
    var w0 = parseFloat(svg.getAttribute('width')) || svg.getBoundingClientRect().width;
    var h0 = parseFloat(svg.getAttribute('height')) || svg.getBoundingClientRect().height;
    var level = fig.querySelector('.zoom-level');
    var scale = 1;
    function apply(s) {
      scale = Math.min(16, Math.max(0.1, s));
      svg.style.width = (w0 * scale) + 'px';
      svg.style.height = (h0 * scale) + 'px';
      svg.setAttribute('data-scale', String(scale));
      if (level) level.textContent = Math.round(scale * 100) + '%';
    }
    fig.querySelectorAll('button[data-zoom]').forEach(function (b) {
      b.addEventListener('click', function () {
        var z = b.getAttribute('data-zoom');
        if (z === 'in') apply(scale * 1.25);
        else if (z === 'out') apply(scale / 1.25);
        else if (z === 'fit') apply(Math.min(1, (view.clientWidth - 4) / w0));
        else apply(1);
      });
    });
    view.addEventListener('wheel', function (ev) {
      if (!ev.ctrlKey) return;
      ev.preventDefault();
      apply(ev.deltaY < 0 ? scale * 1.1 : scale / 1.1);
    }, { passive: false });
    apply(1);
  }
  document.querySelectorAll('.zoomable').forEach(setup);
})();
`;

function zoomable(kind: string, svg: string): string {
  return (
    `<div class="figure zoomable ${kind}">` +
    `<div class="zoom-bar"><button type="button" data-zoom="out" title="zoom out">−</button>` +
    `<span class="zoom-level">100%</span><button type="button" data-zoom="in" title="zoom in">+</button>` +
    `<button type="button" data-zoom="reset">1:1</button><button type="button" data-zoom="fit">fit</button>` +
    `<span class="hint">Ctrl + wheel to zoom</span></div>` +
    `<div class="zoom-view">${svg}</div></div>`
  );
}

function stateTable(events: readonly LadderEvent[]): string {
  const t0 = events.reduce((m, e) => Math.min(m, e.t), Infinity);
  const rows = events
    .filter((e) => e.kind === 'state')
    .map((e) => `<tr><td>${((e.t - t0) / 1000).toFixed(3)}</td><td>${e.kind === 'state' ? e.side : ''}</td><td>${esc(e.kind === 'state' ? e.state.replace(/_/g, '-') : '')}</td></tr>`);
  if (rows.length === 0) return '<p>No state could be inferred.</p>';
  return `<details><summary>State changes (${rows.length})</summary><table class="states"><tr><th>ms</th><th>peer</th><th>state</th></tr>${rows.join('')}</table></details>`;
}

/** The report page. */
export function htmlReport(input: ReportInput): string {
  const nav: string[] = [];
  const sections: string[] = [];
  input.connections.forEach((c, i) => {
    const id = `conn-${i + 1}`;
    nav.push(`<a href="#${id}">${esc(c.title)}</a>`);
    const labels = c.labels ?? {};
    const svgLabels = {
      A: labels.A === undefined ? undefined : `A  ${labels.A}`,
      B: labels.B === undefined ? undefined : `B  ${labels.B}`,
    };
    const ladder = ladderSvg(c.events, { ...input.ladder, labels: svgLabels });
    const text = ladderText(c.events, { ...input.ladder, blankLines: false });
    const tsg = c.tsg ?? tsgInputFromEvents(c.events);
    const graph = timeSequenceSvg({ ...tsg, title: tsg.title ?? c.title }, { idPrefix: `${id}-tsg` });
    sections.push(
      `<section class="connection" id="${id}"><h2>${esc(c.title)}</h2>` +
        (labels.A !== undefined || labels.B !== undefined ? `<p>TCP Peer A: ${esc(labels.A ?? '?')} · TCP Peer B: ${esc(labels.B ?? '?')}</p>` : '') +
        `<h3>Ladder diagram</h3>${zoomable('ladder', ladder)}` +
        `<details class="ladder-text"><summary>As text (RFC 793 notation)</summary><pre class="ladder-text">${esc(text)}</pre></details>` +
        `<h3>State timeline</h3>${zoomable('timeline', stateTimelineSvg(c.events, { labels: svgLabels }))}${stateTable(c.events)}` +
        `<h3>Time-sequence graph, RTT and throughput</h3>${zoomable('graph', graph)}` +
        `</section>`,
    );
  });
  if (input.connections.length === 0) sections.push('<p>No TCP connection found.</p>');
  if (input.tcpdump !== undefined) {
    nav.push('<a href="#tcpdump">tcpdump</a>');
    sections.push(`<section id="tcpdump"><h2>tcpdump</h2><pre class="tcpdump">${esc(input.tcpdump)}</pre></section>`);
  }
  return (
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">' +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${esc(input.title)}</title><style>${CSS}</style></head><body>` +
    `<header><h1>${esc(input.title)}</h1>${input.subtitle !== undefined ? `<p>${esc(input.subtitle)}</p>` : ''}</header>` +
    `<nav>${nav.join('')}</nav><main>${sections.join('\n')}</main>` +
    `<script>${SCRIPT}</script></body></html>\n`
  );
}
