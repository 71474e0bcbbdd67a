// The one page layout every rmsim report uses (run, compare, sweep, check, validation): a
// header (what ran: name/value fields and warnings), a headline table, then sections, each
// opening with one sentence computed from the data and holding charts, tables and notes.
// Builders produce a Page; renderPage turns it into one self-contained offline HTML file
// (the Vega runtime inlined, specs compiled to Vega); writePage (report.ts) also writes every
// chart as SVG and PNG.
import { escapeHtml, loadVegaRuntime, scriptJson } from './html.js';
import { toVega } from './render.js';
import type { VlSpec } from './specs.js';

export interface Table {
  columns: string[];
  rows: string[][];
  /** Columns (by index) that hold text rather than figures: left-aligned. Default: the first. */
  textColumns?: number[];
  caption?: string;
}

export interface Chart {
  /** File-name-safe id, unique within the page: charts/<id>.svg. */
  id: string;
  spec: VlSpec;
}

export type Block =
  | { kind: 'chart'; chart: Chart }
  | { kind: 'table'; table: Table }
  | { kind: 'note'; text: string }
  /** Text exactly as the terminal shows it (an experiment's table). */
  | { kind: 'pre'; text: string };

export interface Section {
  /** Anchor id. */
  id: string;
  title: string;
  /** One sentence that states what the data shows; computed, never boilerplate. */
  sentence: string;
  blocks: Block[];
}

export interface Page {
  title: string;
  /** What ran, in order: workload, variant, profile, seed, digest, ... */
  fields: Array<[string, string]>;
  warnings: string[];
  /** The answers in one table, before any chart (a table without rows is left out). */
  headline: Table;
  sections: Section[];
}

export const chartBlock = (id: string, spec: VlSpec): Block => ({ kind: 'chart', chart: { id: safeId(id), spec } });
export const tableBlock = (table: Table): Block => ({ kind: 'table', table });
export const noteBlock = (text: string): Block => ({ kind: 'note', text });
export const preBlock = (text: string): Block => ({ kind: 'pre', text });

export function safeId(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]+/g, '_');
}

/** Every chart of a page, in page order. */
export function pageCharts(page: Page): Chart[] {
  return page.sections.flatMap((s) => s.blocks.flatMap((b) => (b.kind === 'chart' ? [b.chart] : [])));
}

export function renderTable(t: Table, cls = ''): string {
  const text = new Set(t.textColumns ?? [0]);
  const cell = (tag: string, v: string, i: number) => `<${tag}${text.has(i) ? ' class="text"' : ''}>${escapeHtml(v)}</${tag}>`;
  const head = t.columns.map((c, i) => cell('th', c, i)).join('');
  const body = t.rows.map((r) => `<tr>${r.map((v, i) => cell('td', v, i)).join('')}</tr>`).join('\n');
  const caption = t.caption ? `<caption>${escapeHtml(t.caption)}</caption>` : '';
  return `<table${cls ? ` class="${cls}"` : ''}>${caption}<thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function renderBlock(b: Block): string {
  if (b.kind === 'chart') return `<figure id="fig-${escapeHtml(b.chart.id)}"><div class="chart" data-chart="${escapeHtml(b.chart.id)}"></div></figure>`;
  if (b.kind === 'table') return renderTable(b.table);
  if (b.kind === 'pre') return `<pre>${escapeHtml(b.text)}</pre>`;
  return `<p class="note">${escapeHtml(b.text)}</p>`;
}

function renderSection(s: Section): string {
  return `<section id="${escapeHtml(s.id)}"><h2>${escapeHtml(s.title)}</h2>
<p class="finding">${escapeHtml(s.sentence)}</p>
${s.blocks.map(renderBlock).join('\n')}
</section>`;
}

const STYLE = `body{font-family:"DejaVu Sans",system-ui,sans-serif;margin:1.5em 2em;max-width:1100px;color:#222}
h1{font-size:1.35em;margin:0 0 .3em}h2{font-size:1.1em;margin:1.6em 0 .3em;border-bottom:1px solid #ccc}
dl.fields{display:grid;grid-template-columns:max-content 1fr;gap:1px 12px;font-size:.85em;margin:.2em 0 .8em}
dl.fields dt{color:#666}dl.fields dd{margin:0;font-family:monospace}
.warnings{background:#fff4e0;border-left:4px solid #e69500;padding:.3em .8em;font-size:.9em}
table{border-collapse:collapse;font-size:.85em;margin:.4em 0}td,th{border-bottom:1px solid #ddd;padding:2px 10px;text-align:right}
th{background:#f4f4f4}.text{text-align:left}td.text{font-family:monospace}caption{text-align:left;color:#666;font-size:.9em}
table.headline{font-size:.95em}table.headline td:first-child{white-space:nowrap}p.finding{font-weight:bold;margin:.3em 0 .6em}p.note{color:#555;font-size:.9em}
figure{margin:.6em 0}pre{font-size:.8em;background:#f6f6f6;padding:.8em;overflow-x:auto}`;

/** One self-contained HTML page: nothing is fetched when it opens. */
export function renderPage(page: Page): string {
  const compiled = pageCharts(page).map((c) => ({ id: c.id, spec: toVega(c.spec) }));
  const fields = page.fields.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('');
  const warnings = page.warnings.length === 0 ? '' :
    `<div class="warnings"><strong>Warnings</strong><ul>${page.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul></div>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(page.title)}</title>
<style>${STYLE}</style>
<script>${loadVegaRuntime()}</script>
</head><body>
<header><h1>${escapeHtml(page.title)}</h1><dl class="fields">${fields}</dl>${warnings}</header>
${page.headline.rows.length > 0 ? renderTable(page.headline, 'headline') : ''}
${page.sections.map(renderSection).join('\n')}
<script>
const charts = ${scriptJson(compiled)};
// Views by chart id, for whoever inspects the page (the browser test reads their scales).
window.rmsimViews = {};
window.rmsimRendered = Promise.all(charts.map(function (c) {
  const el = document.querySelector('[data-chart="' + c.id + '"]');
  const view = new vega.View(vega.parse(c.spec), { renderer: 'svg', container: el, hover: true });
  window.rmsimViews[c.id] = view;
  return view.runAsync();
}));
</script>
</body></html>
`;
}
