// Lists a finished run's surviving mutants from Stryker's JSON report, one line each:
// file:line, mutator, the original text and its replacement. For the README's survivor lists.
// Usage: node test/mutation/survivors.mjs test/mutation/out/mutation-<groups>.json
import { readFileSync } from 'node:fs';

const path = process.argv[2];
if (!path) {
  console.error('usage: node test/mutation/survivors.mjs test/mutation/out/mutation-GROUPS.json');
  process.exit(2);
}
const report = JSON.parse(readFileSync(path, 'utf8'));
const counts = {};
for (const [file, { source, mutants }] of Object.entries(report.files)) {
  const lines = source.split('\n');
  for (const m of mutants) {
    counts[m.status] = (counts[m.status] ?? 0) + 1;
    if (m.status !== 'Survived' && m.status !== 'NoCoverage') continue;
    const { start, end } = m.location;
    const original = start.line === end.line
      ? lines[start.line - 1].slice(start.column - 1, end.column - 1)
      : `${lines[start.line - 1].slice(start.column - 1)} ...`;
    const squeeze = (s) => s.replace(/\s+/g, ' ').trim().slice(0, 140);
    console.log(`${file}:${start.line} ${m.mutatorName}: ${squeeze(original)} -> ${squeeze(m.replacement ?? '')}`);
  }
}
console.log(JSON.stringify(counts));
