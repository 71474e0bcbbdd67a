// Writing a report: report.html (self-contained) plus one SVG and PNG per chart under charts/.
// Everything is built in memory first, then written file by file atomically. writePage takes
// any Page (run, compare, sweep, check, validation); writeReport is the run report.
import { join } from 'node:path';
import { writeFilesAtomic } from '../sim/output/atomic-write.js';
import { pageCharts, renderPage } from './layout.js';
import type { Page } from './layout.js';
import type { MetricsDoc } from './metrics-types.js';
import { fontsAvailable, renderSvg, svgToPng } from './render.js';
import { runPage } from './run/page.js';

export interface ReportOptions {
  svg?: boolean;
  /** PNG needs fonts (Debian fonts-dejavu-core); skipped with a note when they are absent. */
  png?: boolean;
  title?: string;
  /** The HTML file's name under outDir (default report.html; compare.html, sweep-report.html, ...). */
  file?: string;
}

export interface ReportResult {
  files: string[];
  charts: number;
  notes: string[];
}

export async function writePage(page: Page, outDir: string, opts: ReportOptions = {}): Promise<ReportResult> {
  const charts = pageCharts(page);
  const files: Array<{ path: string; data: string | Uint8Array }> = [];
  const notes: string[] = [];
  files.push({ path: join(outDir, opts.file ?? 'report.html'), data: renderPage(page) });
  const wantPng = opts.png ?? true;
  const pngOk = wantPng && fontsAvailable();
  if (wantPng && !pngOk) notes.push('PNG skipped: DejaVu fonts not found (apt-get install fonts-dejavu-core)');
  if (opts.svg ?? true) {
    for (const c of charts) {
      const svg = await renderSvg(c.spec);
      files.push({ path: join(outDir, 'charts', `${c.id}.svg`), data: svg });
      if (pngOk) files.push({ path: join(outDir, 'charts', `${c.id}.png`), data: await svgToPng(svg) });
    }
  }
  writeFilesAtomic(files);
  return { files: files.map((f) => f.path), charts: charts.length, notes };
}

export async function writeReport(doc: MetricsDoc, outDir: string, opts: ReportOptions = {}): Promise<ReportResult> {
  return writePage(runPage(doc, opts.title), outDir, opts);
}
