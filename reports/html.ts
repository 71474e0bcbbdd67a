// One self-contained offline HTML page per report: the Vega runtime inlined, the specs already
// compiled to Vega, and the headline numbers as a table. Nothing is fetched when it opens.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Chart } from './charts.js';
import type { MetricsDoc } from './metrics-types.js';
import { toVega } from './render.js';

let vegaRuntime: string | undefined;

/** vega.min.js is not in vega's exports map: find it beside the module build on disk. */
export function loadVegaRuntime(): string {
  if (vegaRuntime === undefined) {
    const resolved = createRequire(import.meta.url).resolve('vega');
    vegaRuntime = readFileSync(join(dirname(resolved), 'vega.min.js'), 'utf8');
  }
  return vegaRuntime;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON inside a <script> element: keep `</script>` and friends from closing it. */
export function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c');
}

function fmtNs(ns: number): string {
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(3)} s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(3)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(3)} us`;
  return `${ns} ns`;
}

function metricsTable(doc: MetricsDoc): string {
  const rows: string[] = [];
  for (const key of Object.keys(doc.metrics).sort()) {
    const m = doc.metrics[key];
    if (m.type === 'histogram') {
      if (m.count === 0) continue;
      rows.push(`<tr><td>${escapeHtml(key)}</td><td>${m.count}</td><td>${fmtNs(m.mean)}</td><td>${fmtNs(m.p50)}</td><td>${fmtNs(m.p99)}</td><td>${fmtNs(m.max)}</td></tr>`);
    } else if (m.type === 'counter') {
      rows.push(`<tr><td>${escapeHtml(key)}</td><td>${m.value}</td><td colspan="4"></td></tr>`);
    } else {
      rows.push(`<tr><td>${escapeHtml(key)}</td><td></td><td>mean ${m.mean}</td><td colspan="2">last ${m.last}</td><td>max ${m.max}</td></tr>`);
    }
  }
  return `<table><thead><tr><th>metric</th><th>count / value</th><th>mean</th><th>p50</th><th>p99</th><th>max</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
}

export function renderHtml(doc: MetricsDoc, charts: Chart[], title?: string): string {
  const heading = title ?? `${doc.workload} under ${doc.variant} (seed ${doc.seed})`;
  const compiled = charts.map((c) => ({ id: c.id, spec: toVega(c.spec) }));
  const divs = charts.map((c) => `<figure id="fig-${escapeHtml(c.id)}"><div class="chart" data-chart="${escapeHtml(c.id)}"></div></figure>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(heading)}</title>
<style>
body{font-family:"DejaVu Sans",system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
h1{font-size:1.4em}table{border-collapse:collapse;font-size:.85em}td,th{border-bottom:1px solid #ddd;padding:2px 8px;text-align:right}
td:first-child,th:first-child{text-align:left;font-family:monospace}figure{margin:1em 0}.meta{color:#666;font-size:.9em}
</style>
<script>${loadVegaRuntime()}</script>
</head><body>
<h1>${escapeHtml(heading)}</h1>
<p class="meta">profile ${escapeHtml(String(doc.profile ?? ''))} &middot; simulated ${fmtNs(doc.sim_end_ns ?? 0)} &middot; digest <code>${escapeHtml(String(doc.digest ?? ''))}</code></p>
${divs}
<h2>All metrics</h2>
${metricsTable(doc)}
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
