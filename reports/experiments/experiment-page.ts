// The page and files of an experiment's report (compare, check): one self-contained offline
// HTML page with the experiment's table as text and its charts (Vega runtime inlined, specs
// compiled), plus one SVG and PNG per chart under charts/, in the run report's form.
import { join } from 'node:path';
import { writeFilesAtomic } from '../../sim/output/atomic-write.js';
import { escapeHtml, loadVegaRuntime } from '../html.js';
import { fontsAvailable, renderSvg, svgToPng, toVega } from '../render.js';
import type { VlSpec } from '../specs.js';

export interface ExperimentChart {
  /** File-name-safe id, stable for the same inputs. */
  id: string;
  spec: VlSpec;
}

export interface ExperimentPage {
  /** The HTML file name under the output folder (compare.html, check.html). */
  file: string;
  title: string;
  /** One line under the title. */
  meta: string;
  /** The experiment's table exactly as the terminal shows it. */
  text: string;
  charts: ExperimentChart[];
}

export function safeChartId(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]+/g, '_');
}

function pageHtml(p: ExperimentPage): string {
  const compiled = p.charts.map((c) => ({ id: c.id, spec: toVega(c.spec) }));
  const divs = p.charts.map((c) => `<figure><div class="chart" data-chart="${escapeHtml(c.id)}"></div></figure>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(p.title)}</title>
<style>
body{font-family:"DejaVu Sans",system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
h1{font-size:1.4em}pre{font-size:.8em;background:#f6f6f6;padding:1em;overflow-x:auto}figure{margin:1em 0}.meta{color:#666;font-size:.9em}
</style>
<script>${loadVegaRuntime()}</script>
</head><body>
<h1>${escapeHtml(p.title)}</h1>
<p class="meta">${escapeHtml(p.meta)}</p>
<pre>${escapeHtml(p.text)}</pre>
${divs}
<script>
const charts = ${JSON.stringify(compiled).replace(/</g, '\\u003c')};
window.rmsimRendered = Promise.all(charts.map(function (c) {
  const el = document.querySelector('[data-chart="' + c.id + '"]');
  return new vega.View(vega.parse(c.spec), { renderer: 'svg', container: el, hover: true }).runAsync();
}));
</script>
</body></html>
`;
}

/** Write the page and each chart as SVG (and PNG when fonts exist); the paths written. */
export async function writeExperimentPage(p: ExperimentPage, outDir: string): Promise<{ files: string[]; notes: string[] }> {
  const files: Array<{ path: string; data: string | Uint8Array }> = [{ path: join(outDir, p.file), data: pageHtml(p) }];
  const notes: string[] = [];
  const png = fontsAvailable();
  if (!png) notes.push('PNG skipped: DejaVu fonts not found (apt-get install fonts-dejavu-core)');
  for (const c of p.charts) {
    const svg = await renderSvg(c.spec);
    files.push({ path: join(outDir, 'charts', `${c.id}.svg`), data: svg });
    if (png) files.push({ path: join(outDir, 'charts', `${c.id}.png`), data: await svgToPng(svg) });
  }
  writeFilesAtomic(files);
  return { files: files.map((f) => f.path), notes };
}
