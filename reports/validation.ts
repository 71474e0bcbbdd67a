// The validation report: validation.html (offline, the Vega runtime inlined), one SVG and PNG per
// chart, and a table of every sequence with its error. Built in memory, then written atomically.
import { join } from 'node:path';
import { writeFilesAtomic } from '../sim/output/atomic-write.js';
import { escapeHtml, loadVegaRuntime, scriptJson } from './html.js';
import { fontsAvailable, renderSvg, svgToPng, toVega } from './render.js';
import type { VlSpec } from './specs.js';
import type { ValidationSummary } from '../sim/calibrate/validate.js';
import { errorsBySequenceSpec, predictedVsMeasuredSpec } from './validation-specs.js';

export interface ValidationReportInfo {
  profile: string;
  host: string;
  date: string;
}

const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);
const ms = (ns: number) => (ns / 1e6).toFixed(3);

function html(v: ValidationSummary, info: ValidationReportInfo, charts: { id: string; spec: VlSpec }[]): string {
  const heading = `Validation of profile ${info.profile} on ${info.host}`;
  const rows = v.sequences.map((s) => `<tr><td>${escapeHtml(s.name)}</td><td>${ms(s.measured_ns)}</td><td>${ms(s.predicted_ns)}</td><td>${pct(s.error)}</td><td>${s.ops}${s.failed_ops ? ` (${s.failed_ops} failed)` : ''}</td><td style="text-align:left">${escapeHtml(s.description)}</td></tr>`);
  const skipped = v.skipped.map((s) => `<li>${escapeHtml(s.what)}: skipped: ${escapeHtml(s.why)}</li>`).join('');
  const compiled = charts.map((c) => ({ id: c.id, spec: toVega(c.spec) }));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(heading)}</title>
<style>body{font-family:"DejaVu Sans",system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}h1{font-size:1.4em}
table{border-collapse:collapse;font-size:.85em}td,th{border-bottom:1px solid #ddd;padding:2px 8px;text-align:right}td:first-child,th:first-child{text-align:left;font-family:monospace}.meta{color:#666}</style>
<script>${loadVegaRuntime()}</script></head><body>
<h1>${escapeHtml(heading)}</h1>
<p class="meta">${escapeHtml(info.date)} &middot; ${v.sequences.length} sequences &middot; median |error| ${pct(v.median_abs_error)} &middot; worst ${pct(v.worst_abs_error)} (${escapeHtml(v.worst_sequence ?? '-')})</p>
${charts.map((c) => `<figure><div data-chart="${c.id}"></div></figure>`).join('\n')}
<table><thead><tr><th>sequence</th><th>measured ms</th><th>predicted ms</th><th>error</th><th>ops</th><th>what</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>
${skipped ? `<ul>${skipped}</ul>` : ''}
<script>
const charts = ${scriptJson(compiled)};
window.rmsimRendered = Promise.all(charts.map(function (c) {
  return new vega.View(vega.parse(c.spec), { renderer: 'svg', container: document.querySelector('[data-chart="' + c.id + '"]'), hover: true }).runAsync();
}));
</script></body></html>
`;
}

/** Write validation.html and charts/<id>.svg|png under outDir; returns the paths and notes (PNG without fonts). */
export async function writeValidationReport(v: ValidationSummary, info: ValidationReportInfo, outDir: string): Promise<{ files: string[]; notes: string[] }> {
  const notes: string[] = [];
  if (v.sequences.length === 0) return { files: [], notes: ['no sequence ran: no report'] };
  const charts = [
    { id: 'validation-predicted-vs-measured', spec: predictedVsMeasuredSpec(v.sequences, `predicted vs measured (${info.profile}, ${info.host})`) },
    { id: 'validation-errors', spec: errorsBySequenceSpec(v.sequences, 'error by sequence (dashed: +-10%, +-25%)') },
  ];
  const files: { path: string; data: string | Uint8Array }[] = [{ path: join(outDir, 'validation.html'), data: html(v, info, charts) }];
  const png = fontsAvailable();
  if (!png) notes.push('PNG skipped: DejaVu fonts not found (apt-get install fonts-dejavu-core)');
  for (const c of charts) {
    const svg = await renderSvg(c.spec);
    files.push({ path: join(outDir, 'charts', `${c.id}.svg`), data: svg });
    if (png) files.push({ path: join(outDir, 'charts', `${c.id}.png`), data: await svgToPng(svg) });
  }
  writeFilesAtomic(files);
  return { files: files.map((f) => f.path), notes };
}
