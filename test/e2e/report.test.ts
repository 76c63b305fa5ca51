// The HTML report in a real browser: headless Chromium (Debian's `chromium`)
// driven by playwright-core. The page must show its ladder, timeline and
// graph, zoom when asked, and make no request but its own load. A screenshot
// of each report is kept under test-artifacts/.
//
// Without /usr/bin/chromium (or playwright-core) the test is skipped, saying why.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CLI, REPO_ROOT } from '../helpers/paths.js';

const CHROMIUM = process.env['SYNACK_CHROMIUM'] ?? '/usr/bin/chromium';
const FIX = join(REPO_ROOT, 'test', 'fixtures', 'kernel');
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');

type Playwright = typeof import('playwright-core');

async function loadPlaywright(): Promise<Playwright | string> {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} not found (Debian: apt-get install chromium)`;
  try {
    return await import('playwright-core');
  } catch (e) {
    return `playwright-core cannot be loaded (${(e as Error).message})`;
  }
}

const pw = await loadPlaywright();
const skip = typeof pw === 'string' ? pw : false;

/** Write the report of a fixture with the CLI, as a user would. */
function report(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  const out = join(ARTIFACTS, `report-${name}.html`);
  const r = spawnSync(process.execPath, [CLI, 'trace', join(FIX, `${name}.pcap`), '--html', out], {
    encoding: 'utf8',
    env: { ...process.env, TZ: 'GMT0' },
  });
  assert.equal(r.status, 0, r.stderr);
  return out;
}

test('the HTML report in headless Chromium: figures present, zoom works, no network request', { skip, timeout: 180_000 }, async () => {
  const { chromium } = pw as Playwright;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    for (const name of ['sack-loss', 'http-curl', 'refused', 'ipv6-curl']) {
      const file = report(name);
      const url = pathToFileURL(file).href;
      const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
      const requests: string[] = [];
      const refused: string[] = [];
      const problems: string[] = [];
      // Every request is routed: the page itself goes through, anything else fails the test.
      await context.route('**/*', async (route) => {
        const u = route.request().url();
        if (u === url) await route.continue();
        else {
          refused.push(u);
          await route.abort();
        }
      });
      const page = await context.newPage();
      page.on('request', (r) => requests.push(r.url()));
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(e.message));
      await page.goto(url);

      const expectedSegments = (readFileSync(join(FIX, `${name}.nn.out`), 'latin1').match(/ Flags \[/g) ?? []).length;
      assert.equal(await page.locator('.figure.ladder svg.synack-ladder').count(), 1, `${name}: ladder`);
      assert.equal(await page.locator('.figure.ladder svg g.segment').count(), expectedSegments, `${name}: one arrow per TCP segment`);
      assert.ok((await page.locator('.figure.timeline svg g.span').count()) > 0, `${name}: state timeline`);
      assert.equal(await page.locator('.figure.graph svg.synack-graph').count(), 1, `${name}: graph`);
      assert.equal(await page.locator('.figure.graph svg g.tsg').count(), 1, `${name}: time-sequence plot`);
      if (name === 'sack-loss') {
        for (const cls of ['data', 'retrans', 'sack', 'ack-line', 'win-line', 'rtt-samples']) {
          assert.equal(await page.locator(`.figure.graph svg path.${cls}`).count(), 1, `${name}: ${cls}`);
        }
      }
      const lines = ((await page.locator('pre.tcpdump').textContent()) ?? '').split('\n').filter((l) => l !== '');
      assert.equal(lines.length, readFileSync(join(FIX, `${name}.nn.out`), 'latin1').split('\n').filter((l) => l !== '').length);

      // Zoom: the ladder drawn 25 % larger after one click on +, back to its size on 1:1.
      const ladder = page.locator('.figure.ladder svg').first();
      const width = (): Promise<number> => ladder.evaluate((el: { getBoundingClientRect(): { width: number } }) => el.getBoundingClientRect().width);
      const w0 = await width();
      await page.locator('.figure.ladder button[data-zoom="in"]').first().click();
      assert.ok(Math.abs((await width()) - w0 * 1.25) < 1, `${name}: zoomed in`);
      await page.locator('.figure.ladder button[data-zoom="reset"]').first().click();
      assert.ok(Math.abs((await width()) - w0) < 1, `${name}: back to 1:1`);

      await page.screenshot({ path: join(ARTIFACTS, `report-${name}.png`), fullPage: false, timeout: 60_000 });
      if (name === 'sack-loss') {
        await page.locator('.figure.graph').first().screenshot({ path: join(ARTIFACTS, 'report-sack-loss-graph.png'), timeout: 60_000 });
      }
      assert.deepEqual(refused, [], `${name}: requests other than the page`);
      assert.deepEqual(requests, [url], `${name}: only the page was requested`);
      assert.deepEqual(problems, [], `${name}: console errors`);
      await context.close();
    }
  } finally {
    await browser.close();
  }
});
