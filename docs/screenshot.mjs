// The README's pictures: the first screen (1000 x 1000 CSS pixels) of a report page as
// Debian's Chromium shows it, after every chart has rendered.
//   npm run rmsim -- run balloon --report --out out/run && node docs/screenshot.mjs out/run/report.html docs/report-run.png
//   npm run rmsim -- compare balloon --variants v10,guest_memfd --replications 10 --out out/cmp && node docs/screenshot.mjs out/cmp/compare.html docs/report-compare.png
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const [html, png] = process.argv.slice(2);
if (!html || !png) {
  process.stderr.write('usage: node docs/screenshot.mjs <report.html> <out.png>\n');
  process.exit(2);
}
const userDataDir = mkdtempSync(join(tmpdir(), 'rmsim-screenshot-'));
const ctx = await chromium.launchPersistentContext(userDataDir, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1000, height: 1000 },
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await ctx.newPage();
  await page.goto(pathToFileURL(resolve(html)).href);
  await page.evaluate(() => window.rmsimRendered.then(() => true));
  await page.screenshot({ path: png });
} finally {
  await ctx.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
