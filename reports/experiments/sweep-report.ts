// The sweep report: sweep-report.html (self-contained, offline) with each metric against the
// swept parameter, the SLO line and the knees marked, the knee lines and the table of points;
// plus one SVG and PNG per chart under charts/. Built in memory, then written atomically.
import { join } from 'node:path';
import { writeFilesAtomic } from '../../sim/output/atomic-write.js';
import type { SweepDocument } from '../../sim/run/sweep-aggregate.js';
import { formatKnee, sweepSummary } from '../../sim/run/sweep-summary.js';
import { escapeHtml, loadVegaRuntime, scriptJson } from '../html.js';
import { fontsAvailable, renderSvg, svgToPng, toVega } from '../render.js';
import { sweepCharts, type SweepChart } from './sweep-specs.js';

export interface SweepReportResult {
  /** sweep-report.html first, then the chart files. */
  files: string[];
  charts: number;
  notes: string[];
}

export function renderSweepHtml(doc: SweepDocument, charts: readonly SweepChart[]): string {
  const heading = `${doc.workload}: sweep of ${doc.params.map((p) => p.path).join(' x ')}`;
  const compiled = charts.map((c) => ({ id: c.id, spec: toVega(c.spec) }));
  const knees = doc.knees.map((k) => `<li>${escapeHtml(formatKnee(k))}</li>`).join('\n');
  const divs = charts.map((c) => `<figure id="fig-${escapeHtml(c.id)}"><div class="chart" data-chart="${escapeHtml(c.id)}"></div></figure>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(heading)}</title>
<style>
body{font-family:"DejaVu Sans",system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
h1{font-size:1.4em}figure{margin:1em 0}.meta{color:#666;font-size:.9em}pre{font-size:.85em}
</style>
<script>${loadVegaRuntime()}</script>
</head><body>
<h1>${escapeHtml(heading)}</h1>
<p class="meta">profile ${escapeHtml(doc.profile)} &middot; base seed ${doc.seed} &middot; ${doc.replications} replication(s) per point &middot; ${doc.slo ? `SLO <code>${escapeHtml(doc.slo.text)}</code> &middot; ` : ''}digest <code>${escapeHtml(doc.digest)}</code></p>
${knees ? `<h2>Capacity knee</h2><ul>${knees}</ul>` : ''}
${divs}
<h2>Points</h2>
<pre>${escapeHtml(sweepSummary(doc))}</pre>
<script>
const charts = ${scriptJson(compiled)};
window.rmsimRendered = Promise.all(charts.map(function (c) {
  const el = document.querySelector('[data-chart="' + c.id + '"]');
  return new vega.View(vega.parse(c.spec), { renderer: 'svg', container: el, hover: true }).runAsync();
}));
</script>
</body></html>
`;
}

export async function writeSweepReport(doc: SweepDocument, outDir: string, opts: { png?: boolean } = {}): Promise<SweepReportResult> {
  const charts = sweepCharts(doc);
  const files: Array<{ path: string; data: string | Uint8Array }> = [{ path: join(outDir, 'sweep-report.html'), data: renderSweepHtml(doc, charts) }];
  const notes: string[] = [];
  const wantPng = opts.png ?? true;
  const pngOk = wantPng && fontsAvailable();
  if (wantPng && !pngOk) notes.push('PNG skipped: DejaVu fonts not found (apt-get install fonts-dejavu-core)');
  for (const c of charts) {
    const svg = await renderSvg(c.spec);
    files.push({ path: join(outDir, 'charts', `${c.id}.svg`), data: svg });
    if (pngOk) files.push({ path: join(outDir, 'charts', `${c.id}.png`), data: await svgToPng(svg) });
  }
  writeFilesAtomic(files);
  return { files: files.map((f) => f.path), charts: charts.length, notes };
}
