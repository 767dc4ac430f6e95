// Renders the charts of a madlab report as figures for papers, with Vega's own renderers:
// SVG by vega's SVG renderer here in node, PNG by vega's canvas renderer inside Debian's
// headless chromium (driven by playwright-core; node's `canvas` package would need a native
// download at install time).
//
// Usage: node figures.mjs FIGURES.json OUTDIR [--scale=2] [--svg-only]
// FIGURES.json is what `madlab report DIR --figures OUTDIR` writes: [{id, title, spec}], each
// spec Vega-Lite with its data inline. Writes OUTDIR/<id>.svg and OUTDIR/<id>.png.
// Exit codes: 0 done, 2 bad arguments or specs, 3 SVG written but no chromium for PNG.
// MADLAB_CHROMIUM overrides the browser (default /usr/bin/chromium).

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';

const args = process.argv.slice(2);
const positional = args.filter((a) => !a.startsWith('--'));
if (positional.length !== 2) {
  console.error('usage: node figures.mjs FIGURES.json OUTDIR [--scale=2] [--svg-only]');
  process.exit(2);
}
const [specsPath, outDir] = positional;
const scaleArg = args.find((a) => a.startsWith('--scale='));
const scale = scaleArg ? Number(scaleArg.slice('--scale='.length)) : 2;
const svgOnly = args.includes('--svg-only');

let figures;
try {
  figures = JSON.parse(readFileSync(specsPath, 'utf8'));
} catch (error) {
  console.error(`figures: cannot read ${specsPath}: ${error.message}`);
  process.exit(2);
}

// Vega-Lite to Vega, once for both formats.
const compiled = figures.map((f) => ({ id: f.id, spec: vegaLite.compile(f.spec).spec }));

for (const { id, spec } of compiled) {
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  writeFileSync(join(outDir, `${id}.svg`), await view.toSVG());
  view.finalize();
}
if (svgOnly) process.exit(0);

const chromiumPath = process.env.MADLAB_CHROMIUM || '/usr/bin/chromium';
if (!existsSync(chromiumPath)) {
  console.error(`figures: PNG needs chromium at ${chromiumPath} (Debian: apt-get install ` +
                'chromium; or set MADLAB_CHROMIUM); the SVG figures are written');
  process.exit(3);
}
const { chromium } = await import('playwright-core');
const browser = await chromium.launch({ executablePath: chromiumPath, headless: true });
try {
  const page = await browser.newPage();
  // Nothing leaves the page: vega is added from node_modules, the data is inline.
  await page.route('**/*', (route) => route.abort());
  const vegaBuild =
    fileURLToPath(new URL('./node_modules/vega/build/vega.min.js', import.meta.url));
  await page.addScriptTag({ content: readFileSync(vegaBuild, 'utf8') });
  for (const { id, spec } of compiled) {
    const url = await page.evaluate(async ({ spec, scale }) => {
      const view = new vega.View(vega.parse(spec), { renderer: 'none' });
      const result = await view.toImageURL('png', scale);
      view.finalize();
      return result;
    }, { spec, scale });
    writeFileSync(join(outDir, `${id}.png`), Buffer.from(url.split(',')[1], 'base64'));
  }
} finally {
  await browser.close();
}
