// The one report layout serves other reports too: the validation report is a Page (header,
// headline table, a section opening with a computed sentence) written through writePage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pageCharts, preBlock, renderPage } from '../../reports/layout.js';
import type { Page } from '../../reports/layout.js';
import { validationPage, writeValidationReport } from '../../reports/validation.js';
import type { ValidationSummary } from '../../sim/calibrate/validate.js';

const seq = (name: string, measured: number, predicted: number) => ({
  name, description: `${name} sequence`, ops: 10, failed_ops: 0, measured_ns: measured, predicted_ns: predicted,
  error: (predicted - measured) / measured, per_op: [],
});
const summary: ValidationSummary = {
  sequences: [seq('shmem-punch-4k', 100_000, 105_000), seq('gmem-punch-2m', 2_000_000, 2_600_000), seq('two-punchers-64k', 50_000, 49_000)],
  median_abs_error: 0.05, worst_abs_error: 0.3, worst_sequence: 'gmem-punch-2m',
  skipped: [{ what: 'guest touches', why: 'no /dev/kvm' }],
};

test('the validation report is a page of the one layout, with a computed sentence', () => {
  const page = validationPage(summary, { profile: 'spr-pvm-6.18', host: 'epyc', date: '2026-12-04' });
  assert.equal(page.sections[0].sentence, '2 of 3 sequences within 10% of the kernel; median |error| 5.0%, worst 30.0% (gmem-punch-2m).');
  assert.deepEqual(pageCharts(page).map((c) => c.id), ['validation-predicted-vs-measured', 'validation-errors']);
  assert.equal(page.sections[1].sentence, 'shmem: 0 of 1 predicted faster than measured (median +5.0%); gmem: 0 of 1 predicted faster than measured (median +30.0%); two: 1 of 1 predicted faster than measured (median -2.0%).');
  const html = renderPage(page);
  assert.ok(html.indexOf('class="headline"') < html.indexOf('data-chart='));
  assert.match(html, /guest touches: skipped: no \/dev\/kvm/);
  assert.doesNotMatch(html, /noise floor/, 'no noise floor without kept repetitions');
});

test('the validation report shows the noise floor and each measured figure\'s interval when the kernel side kept them', () => {
  const withCi: ValidationSummary = { ...summary, median_rep_ci: 0.042, sequences: [{ ...summary.sequences[0], measured_reps: { reps: 12, median_ns: 101_000, min_ns: 95_000, max_ns: 180_000, ci_low_ns: 98_000, ci_high_ns: 102_000 } }] };
  const page = validationPage(withCi, { profile: 'p', host: 'h', date: 'd' });
  assert.deepEqual(page.headline.rows.find((r) => String(r[0]).startsWith('noise floor')), ['noise floor (the measured figure\'s 95% interval, median width)', '4.2%']);
  const html = renderPage(page);
  assert.match(html, /98(\.0)? us-102(\.0)? us/);
});

test('writeValidationReport writes validation.html and its charts', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rmsim-validation-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const r = await writeValidationReport(summary, { profile: 'p', host: 'h', date: 'd' }, dir);
  assert.ok(r.files[0].endsWith('validation.html'));
  assert.match(readFileSync(join(dir, 'validation.html'), 'utf8'), /Validation of profile p on h/);
  assert.ok(readdirSync(join(dir, 'charts')).includes('validation-errors.svg'));
});

test('a page without headline rows leaves the table out; text blocks keep their layout', () => {
  const page: Page = { title: 't', fields: [], warnings: [], headline: { columns: ['a'], rows: [] },
    sections: [{ id: 's', title: 'S', sentence: 'x.', blocks: [preBlock('a  b\n<c>')] }] };
  const html = renderPage(page);
  assert.doesNotMatch(html, /class="headline"/);
  assert.match(html, /<pre>a  b\n&lt;c&gt;<\/pre>/);
});
