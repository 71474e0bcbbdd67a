// Runs the given compiled test files in this one process (node:test collects them all), so a
// mutation run pays one Node start-up per mutant instead of one per file. Exit code 1 when any
// test fails. Usage: node test/mutation/run-files.mjs dist/test/engine/mutex.test.js ...
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node test/mutation/run-files.mjs FILE.test.js...');
  process.exit(2);
}
for (const f of files) await import(pathToFileURL(resolve(f)).href);
