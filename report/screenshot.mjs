// Takes a PNG screenshot of a madlab report in Debian's headless chromium (playwright-core),
// for the documentation (docs/report.png).
//
// Usage: node screenshot.mjs REPORT.html OUT.png [--until SECTION] [--width 1280]
// --until cuts the picture at the bottom of the element with id SECTION (for example
// section-headline); without it the whole page is taken. MADLAB_CHROMIUM overrides the browser.

import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 && at + 1 < args.length ? args.splice(at, 2)[1] : fallback;
};
const until = option('--until', null);
const width = Number(option('--width', '1280'));
if (args.length !== 2) {
  console.error('usage: node screenshot.mjs REPORT.html OUT.png [--until SECTION] [--width W]');
  process.exit(2);
}
const [report, out] = args;
const browser = await chromium.launch({
  executablePath: process.env.MADLAB_CHROMIUM || '/usr/bin/chromium', headless: true });
try {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  await page.route('**/*', (route) =>
    /^(file|data|blob):/.test(route.request().url()) ? route.continue() : route.abort());
  await page.goto('file://' + resolve(report));
  await page.waitForFunction(() => window.madlabReport && window.madlabReport.done);
  if (until) {
    const box = await page.locator('#' + until).boundingBox();
    if (!box) throw new Error(`no element #${until} in ${report}`);
    const height = Math.ceil(box.y + box.height + 16);
    await page.screenshot({ path: out, fullPage: true, clip: { x: 0, y: 0, width, height } });
  } else {
    await page.screenshot({ path: out, fullPage: true });
  }
} finally {
  await browser.close();
}
