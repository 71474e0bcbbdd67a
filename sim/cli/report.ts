// rmsim report: pictures of a finished run (metrics.json -> report.html + SVG/PNG charts).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { isMetricsDoc } from '../../reports/metrics-types.js';
import { UsageError } from '../errors.js';

function loadMetrics(path: string) {
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'metrics.json') : path;
  if (!existsSync(file)) throw new UsageError(`${file}: no such file (give a metrics.json or the --out folder of a run)`);
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`${file}: not JSON (${(err as Error).message})`);
  }
  if (!isMetricsDoc(doc)) throw new UsageError(`${file}: not an rmsim metrics.json (expected "schema": "rmsim.metrics/1" and "metrics")`);
  return { file, doc };
}

export function register(program: Command): void {
  program
    .command('report')
    .description('render a run\'s metrics.json as a self-contained HTML report with SVG/PNG charts')
    .argument('<metrics>', 'a metrics.json file, or the --out folder of a run')
    .option('-o, --out <dir>', 'where to write report.html and charts/ (default: beside metrics.json)')
    .option('--no-svg', 'HTML only')
    .option('--no-png', 'no PNG copies of the charts')
    .option('--title <text>', 'page title')
    .action(async (metrics: string, opts: { out?: string; svg: boolean; png: boolean; title?: string }) => {
      const { file, doc } = loadMetrics(metrics);
      const outDir = opts.out ?? join(file, '..');
      const { writeReport } = await import('../../reports/report.js'); // vega and d3: only for this command
      const r = await writeReport(doc, outDir, { svg: opts.svg, png: opts.png && opts.svg, title: opts.title });
      for (const n of r.notes) process.stderr.write(`rmsim report: ${n}\n`);
      process.stdout.write(`${join(outDir, 'report.html')} (${r.charts} charts, ${r.files.length} files)\n`);
    });
}
