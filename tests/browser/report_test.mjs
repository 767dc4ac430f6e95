// End-to-end test of the HTML report in a real browser (ctest label `browser`).
//
// The madlab binary runs four small studies in a temporary folder (a run of the 25-mode grid
// with samples, a text run, a threshold and a decompose analysis), each writing its
// report.html. Debian's chromium, headless and driven by playwright-core, opens every report
// from file:// and the test fails if
//   - any request leaves the page (anything but file:, data:, blob:; such requests are also
//     blocked), or the console shows an error, or the page throws;
//   - a chart did not render, or a view has no marks (the page renders SVG, so the marks of
//     each view are countable DOM nodes);
//   - the metric and setting selectors are missing or changing the metric breaks the chart.
// It saves a full-page screenshot of each report next to the studies, and checks that
// `madlab report --figures` writes every chart as SVG with marks and as a drawn PNG.
//
// Usage: node tests/browser/report_test.mjs --madlab BIN --work DIR
// Environment: MADLAB_CHROMIUM (default /usr/bin/chromium).

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(new URL('../../report/package.json', import.meta.url));
const { chromium } = require('playwright-core');

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  return at > 0 && at + 1 < process.argv.length ? process.argv[at + 1] : fallback;
}
const madlab = option('--madlab', process.env.MADLAB_BINARY);
const work = option('--work', null);
const chromiumPath = process.env.MADLAB_CHROMIUM || '/usr/bin/chromium';
if (!madlab || !work) {
  console.error('usage: node report_test.mjs --madlab BIN --work DIR');
  process.exit(2);
}
if (!existsSync(chromiumPath)) {
  console.error(`report_test: no chromium at ${chromiumPath}; run scripts/install-deps.sh`);
  process.exit(1);
}
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

const failures = [];
function check(ok, message) {
  if (!ok) failures.push(message);
  return ok;
}

// ---- The studies, small enough to run in about a second each ----
const grid = `[study]
name = "browser-grid"
description = "Does fresh data hold? </script><b>not bold</b>"
seeds = 3
generations = 4
sample_points = 200
[source]
kind = "grid25"
[model]
family = "gmm"
components = 25
[schedule]
n = 400
[metrics]
list = ["frechet", "prdc"]
n_eval = 400
[[settings]]
name = "fully-synthetic"
schedule.preset = "fully-synthetic"
[[settings]]
name = "fresh-data"
schedule.preset = "fresh-data"
[[settings]]
name = "accumulate"
schedule.preset = "accumulate"
`;
const words = ['la', 'casa', 'del', 'río', 'verde', 'canta', 'una', 'noche', 'clara', 'y', 'el',
               'viento', 'lleva', 'sal', 'al', 'mar'];
const lines = [];
for (let i = 0; i < 400; ++i) {
  const n = 5 + (i % 7);
  const line = [];
  for (let j = 0; j < n; ++j) line.push(words[(i * 7 + j * j * 3 + j) % words.length]);
  lines.push(line.join(' '));
}
writeFileSync(join(work, 'corpus.txt'), lines.join('\n') + '\n');
const text = `[study]
name = "browser-text"
description = "Does a bigram model keep its words?"
seeds = 2
generations = 3
[source]
kind = "text"
path = "${join(work, 'corpus.txt')}"
[model]
family = "ngram"
order = 2
discount_fallback = true
[schedule]
n = 300
[metrics]
n_eval = 100
token_budget = 1000
[[settings]]
name = "replace"
schedule.preset = "fully-synthetic"
[[settings]]
name = "fresh"
schedule.preset = "fresh-data"
schedule.n_real_fresh = 60
schedule.n_synthetic = 240
`;
const threshold = `[study]
name = "browser-threshold"
seeds = 6
generations = 4
[source]
kind = "gaussian"
dim = 2
[model]
family = "gaussian"
bias = 0.9
[schedule]
preset = "fresh-data"
n = 100
n_synthetic = 100
[metrics]
list = ["frechet"]
n_eval = 100
[threshold]
metric = "frechet"
candidates = [0, 50, 100, 200]
refine = 0
ess_n_real_fresh = 100
ess_n_synthetic = [0, 100, 400]
ess_real_sizes = [12, 25, 50, 100, 200, 400]
ess_generations = 8
limit_generations = 4
ess_real_seeds = 40
`;
const decompose = `[study]
name = "browser-decompose"
seeds = 3
generations = 3
[source]
kind = "grid25"
[model]
family = "gmm"
components = 8
[schedule]
preset = "fully-synthetic"
n = 300
[metrics]
list = ["prdc"]
n_eval = 300
[decompose]
metric = "coverage"
large_n = 3000
`;

function study(name, toml, command) {
  const file = join(work, `${name}.toml`);
  writeFileSync(file, toml);
  const out = join(work, name);
  execFileSync(madlab, [command, file, '--out', out, '--quiet', '--threads', '2'],
               { stdio: ['ignore', 'ignore', 'inherit'] });
  return out;
}
const started = Date.now();
const folders = {
  grid: study('grid', grid, 'run'),
  text: study('text', text, 'run'),
  threshold: study('threshold', threshold, 'threshold'),
  decompose: study('decompose', decompose, 'decompose'),
};
const expected = {
  grid: ['headline', 'explore', 'qd-plane', 'samples'],
  text: ['headline', 'explore'],
  threshold: ['headline', 'explore', 'threshold', 'ess'],
  decompose: ['headline', 'explore', 'qd-plane', 'decompose'],
};
console.log(`studies ran in ${((Date.now() - started) / 1000).toFixed(1)} s`);

// ---- The browser ----
const browser = await chromium.launch({ executablePath: chromiumPath, headless: true });
try {
  for (const [name, dir] of Object.entries(folders)) {
    const report = join(dir, 'report.html');
    if (!check(existsSync(report), `${name}: ${report} was not written`)) continue;
    const opened = Date.now();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const left = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (/^(file|data|blob):/.test(url)) return route.continue();
      left.push(url);
      return route.abort();
    });
    page.on('request', (request) => {
      if (!/^(file|data|blob):/.test(request.url())) left.push(request.url());
    });
    const errors = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));

    await page.goto('file://' + report);
    await page.waitForFunction(() => window.madlabReport && window.madlabReport.done, null,
                               { timeout: 30000 });
    const status = await page.evaluate(() => window.madlabReport);
    check(status.failed.length === 0, `${name}: charts failed: ${status.failed.join('; ')}`);
    check(status.rendered === status.expected,
          `${name}: ${status.rendered} of ${status.expected} charts rendered`);

    // Marks per view: Vega's SVG renderer writes each data mark as <g class="mark-* role-mark">.
    const marks = await page.evaluate(() => Object.fromEntries(
      [...document.querySelectorAll('.chart')].map((div) => [
        div.id.replace(/^view-/, ''), div.querySelectorAll('svg g.role-mark > *').length])));
    check(JSON.stringify(Object.keys(marks)) === JSON.stringify(expected[name]),
          `${name}: views ${Object.keys(marks)} instead of ${expected[name]}`);
    for (const [view, count] of Object.entries(marks))
      check(count > 0, `${name}: view ${view} has no marks`);

    // The headline chart: one line per setting in each metric's panel.
    const settings = await page.evaluate(() =>
      JSON.parse(document.getElementById('madlab-data').textContent).views[0].spec.spec
        .encoding.color.scale.domain.length);
    const panels = await page.evaluate(() =>
      JSON.parse(document.getElementById('madlab-data').textContent).views[0].spec.transform[0]
        .filter.oneOf.length);
    const lines = await page.locator('#view-headline g.mark-line.role-mark path').count();
    check(lines === settings * panels,
          `${name}: headline has ${lines} lines, not ${settings} settings x ${panels} metrics`);

    // The selectors of the explorer, and that changing the metric redraws the chart.
    const selects = page.locator('#view-explore select');
    if (check(await selects.count() === 2, `${name}: explorer lacks its two selectors`)) {
      const options = await selects.nth(0).locator('option').allTextContents();
      const other = options[options.length > 1 ? 1 : 0];
      await selects.nth(0).selectOption(other);
      await selects.nth(1).selectOption({ index: 1 });
      await page.waitForTimeout(100);
      const title = await page.locator('#view-explore svg .role-title-text').first().textContent();
      check(title === other, `${name}: explorer title '${title}' after choosing '${other}'`);
      const after = await page.locator('#view-explore svg g.mark-line.role-mark path').count();
      check(after === 1, `${name}: explorer draws ${after} lines for one setting`);
    }
    // The log switch: choosing a metric that spans more than a decade draws it on a log axis
    // while the switch is on; switching off redraws it on a linear one, with the same metric.
    const logBox = page.locator('#log-explore');
    if (await logBox.count() > 0) {
      const logMetrics = await page.evaluate(() =>
        JSON.parse(document.getElementById('madlab-data').textContent).views
          .find((v) => v.id === 'explore').log_metrics);
      const yScale = () => page.evaluate(() => window.madlabViews.explore.scale('y').type);
      const title = () => page.locator('#view-explore svg .role-title-text').first().textContent();
      await page.locator('#view-explore select').nth(0).selectOption(logMetrics[0]);
      await page.waitForTimeout(300);
      check(await yScale() === 'log', `${name}: ${logMetrics[0]} not on a log axis`);
      await logBox.uncheck();
      await page.waitForTimeout(300);
      check(await yScale() === 'linear', `${name}: the log switch did not turn the axis linear`);
      check(await title() === logMetrics[0], `${name}: the metric changed with the log switch`);
      await logBox.check();
      await page.waitForTimeout(300);
      check(await yScale() === 'log', `${name}: the log switch did not turn the axis back to log`);
      const drawn = await page.locator('#view-explore svg g.mark-line.role-mark path').count();
      check(drawn > 0, `${name}: the explorer on its log axis draws no lines`);
    } else {
      check(name !== 'threshold', 'threshold: frechet spans more than a decade, but no log switch');
    }
    // The headline chart's log switch, by the explorer's rule: while on, the panels of the
    // metrics that span more than a decade are on a log axis; off, the faceted chart as before,
    // with every line still drawn.
    const headBox = page.locator('#log-headline');
    if (await headBox.count() > 0) {
      const head = await page.evaluate(() =>
        JSON.parse(document.getElementById('madlab-data').textContent).views
          .find((v) => v.id === 'headline'));
      const panel = head.log_spec.concat.findIndex(
        (p) => head.log_metrics.includes(p.transform[0].filter.equal));
      const headState = () => page.evaluate((i) => {
        let scale = 'none';
        try { scale = window.madlabViews.headline.scale(`concat_${i}_y`).type; } catch (e) { }
        return { log: window.madlabReport.logScale.headline, scale };
      }, panel);
      const headLines = () => page.locator('#view-headline g.mark-line.role-mark path').count();
      let state = await headState();
      check(state.log && state.scale === 'log',
            `${name}: headline ${head.log_metrics[0]} not on a log axis (${state.scale})`);
      await headBox.uncheck();
      await page.waitForTimeout(300);
      state = await headState();
      check(!state.log, `${name}: the headline's log switch did not turn its axes linear`);
      check(await headLines() === settings * panels,
            `${name}: headline without its log axis has ${await headLines()} lines`);
      await headBox.check();
      await page.waitForTimeout(300);
      state = await headState();
      check(state.log && state.scale === 'log',
            `${name}: the headline's log switch did not turn its axis back to log`);
      check(await headLines() === settings * panels,
            `${name}: headline on its log axis has ${await headLines()} lines`);
    } else {
      check(name !== 'threshold',
            'threshold: frechet spans more than a decade, but the headline has no log switch');
    }
    // The sample grid zooms (scroll) without errors.
    if (marks.samples) {
      const cell = await page.locator('#view-samples g.mark-symbol.role-mark').first().boundingBox();
      await page.mouse.move(cell.x + cell.width / 2, cell.y + cell.height / 2);
      await page.mouse.wheel(0, -400);
      await page.waitForTimeout(100);
    }
    // Escaped text stays text.
    check(await page.locator('header b').count() === 0, `${name}: HTML from the config leaked`);
    if (name === 'text')
      check(await page.locator('#section-text-samples .line').count() > 0, 'text: no sample lines');
    check(await page.locator('#js-versions').textContent() !== '', `${name}: no library versions`);

    await page.screenshot({ path: join(work, `${name}.png`), fullPage: true });
    check(left.length === 0, `${name}: requests left the page: ${[...new Set(left)].join(', ')}`);
    check(errors.length === 0, `${name}: ${errors.join('\n')}`);
    const size = readFileSync(report).length;
    const counts = Object.entries(marks).map(([v, n]) => `${v} ${n} marks`).join(', ');
    console.log(`${name}: ${counts}; ` +
                `${(size / 1e6).toFixed(2)} MB, rendered in ${Date.now() - opened} ms`);
    await page.close();
  }
} finally {
  await browser.close();
}

// Two studies side by side (`madlab report A B`): the page draws both on their common metrics.
const comparePage = join(work, 'compare.html');
execFileSync(madlab, ['report', folders.grid, folders.decompose, '--out', comparePage],
             { stdio: ['ignore', 'ignore', 'inherit'] });
{
  const page = await (await chromium.launch({ executablePath: chromiumPath, headless: true }))
    .newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto('file://' + comparePage);
  await page.waitForFunction(() => window.madlabReport && window.madlabReport.done, null,
                             { timeout: 30000 });
  const status = await page.evaluate(() => window.madlabReport);
  check(status.rendered === 1 && status.failed.length === 0,
        `compare: ${status.failed.join('; ')}`);
  const studies = await page.evaluate(() =>
    [...new Set(window.madlabViews.compare.data('data_0').map((d) => d.study))]);
  const legend = await page.locator('#view-compare svg.marks').textContent();
  for (const name of ['browser-grid', 'browser-decompose']) {
    check(studies.includes(name), `compare: no rows of ${name} (${studies})`);
    check(legend.includes(name), `compare: ${name} not in the chart's legend`);
  }
  const lines = await page.locator('#view-compare g.mark-line.role-mark path').count();
  check(lines > 0, 'compare: no lines');
  check(errors.length === 0, `compare: ${errors.join('\n')}`);
  await page.screenshot({ path: join(work, 'compare.png'), fullPage: true });
  await page.context().browser().close();
}

// Figures for papers: every chart as SVG and PNG, through node and chromium.
const figures = join(work, 'figures');
execFileSync(madlab, ['report', folders.grid, '--figures', figures],
             { stdio: ['ignore', 'ignore', 'inherit'] });
for (const chart of expected.grid.filter((v) => v !== 'explore').concat(['metric-recall'])) {
  const svg = join(figures, `${chart}.svg`);
  const png = join(figures, `${chart}.png`);
  if (check(existsSync(svg) && existsSync(png), `figures: ${chart}.svg or .png missing`)) {
    check(readFileSync(svg, 'utf8').includes('role-mark'), `figures: ${chart}.svg has no marks`);
    const bytes = readFileSync(png);
    check(bytes.subarray(1, 4).toString() === 'PNG' && bytes.length > 5000,
          `figures: ${chart}.png is not a drawn PNG (${bytes.length} bytes)`);
  }
}

if (failures.length) {
  console.error('FAILED:\n  ' + failures.join('\n  '));
  process.exit(1);
}
console.log(`report_test: ${Object.keys(folders).length} reports passed; screenshots in ${work}`);
