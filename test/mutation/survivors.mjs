// Lists what a Stryker run left alive, and rechecks it without rerunning the whole group.
//
//   node test/mutation/survivors.mjs test/mutation/out/mutation-rwsem.json
//       every survivor (and timeout) as `line function: original -> replacement`, with the counts
//       and the score; the function is the enclosing declaration in dist/ (tsc keeps names).
//   RMSIM_MUTATE=rwsem node test/mutation/survivors.mjs --recheck test/mutation/out/mutation-rwsem.json
//       applies each survivor, one at a time, to a copy of dist/ and runs the group's tests on
//       it (the command Stryker ran): prints which the tests now kill. With --timeouts it runs
//       the report's timeouts instead, with no time limit but RMSIM_RECHECK_LIMIT_S (default 120),
//       to tell a test that never ends from one that was only slow. RMSIM_RECHECK_TESTS runs only
//       the named tests (those written since the report) instead of the slice's.
// Stryker's incremental mode cannot do this with the command runner: without per-test coverage it
// reuses every earlier result, survivors included (IncrementalDiffer.mutantCanBeReused).
import { readFileSync, writeFileSync, mkdtempSync, cpSync, rmSync, symlinkSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const recheck = args.includes('--recheck');
const timeouts = args.includes('--timeouts');
const reportPath = args.find((a) => !a.startsWith('--'));
if (!reportPath) {
  console.error('usage: node test/mutation/survivors.mjs [--recheck [--timeouts]] REPORT.json');
  process.exit(2);
}
const report = JSON.parse(readFileSync(reportPath, 'utf8'));

/** The name of the function, method or class member enclosing line `line` (1-based) of `lines`. */
function enclosing(lines, line) {
  for (let i = line - 1; i >= 0; i--) {
    const m = /^\s*(?:export\s+)?(?:async\s+)?(?:function\*?\s*(\w+)|(?:static\s+|private\s+|get\s+|set\s+)*(\w+)\s*\([^)]*\)\s*\{\s*$|(?:const|let)\s+(\w+)\s*=\s*(?:\([^)]*\)\s*=>|function)|class\s+(\w+))/.exec(lines[i]);
    if (m && !['if', 'for', 'while', 'switch', 'catch'].includes(m[2])) return m[1] ?? m[2] ?? m[3] ?? m[4];
  }
  return '(top)';
}

/** The mutated text of a location. */
function slice(lines, loc) {
  const { start, end } = loc;
  if (start.line === end.line) return lines[start.line - 1].slice(start.column - 1, end.column - 1);
  const parts = [lines[start.line - 1].slice(start.column - 1), ...lines.slice(start.line, end.line - 1), lines[end.line - 1].slice(0, end.column - 1)];
  return parts.join('\n');
}

const oneLine = (s) => (s.length > 90 ? `${s.slice(0, 87)}...` : s).replace(/\s*\n\s*/g, ' ');
const wanted = timeouts ? ['Timeout'] : ['Survived', 'NoCoverage'];
const all = [];
let killed = 0;
let timedOut = 0;
for (const [file, f] of Object.entries(report.files)) {
  const lines = f.source.split('\n');
  for (const m of f.mutants) {
    if (m.status === 'Killed') killed++;
    if (m.status === 'Timeout') timedOut++;
    if (wanted.includes(m.status)) all.push({ file, lines, m, fn: enclosing(lines, m.location.start.line) });
  }
}
const survived = Object.values(report.files).flatMap((f) => f.mutants).filter((m) => m.status === 'Survived' || m.status === 'NoCoverage').length;
const total = killed + timedOut + survived;
console.log(`${reportPath}: ${total} mutants, ${killed + timedOut} killed (${timedOut} by timeout), ${survived} survived, score ${((100 * (killed + timedOut)) / total).toFixed(1)}%`);
all.sort((a, b) => a.file.localeCompare(b.file) || a.m.location.start.line - b.m.location.start.line || a.m.location.start.column - b.m.location.start.column);

if (!recheck) {
  for (const { file, lines, m, fn } of all) {
    console.log(`${file.replace(/^dist\//, '')}:${m.location.start.line} ${fn} [${m.mutatorName}] ${oneLine(slice(lines, m.location))} -> ${oneLine(m.replacement)}${m.status === 'Survived' ? '' : ` (${m.status})`}`);
  }
  process.exit(0);
}

// Recheck: a copy of dist/ (the tests import the built code by relative path) with each mutant applied in turn.
const { default: config } = await import('./stryker.config.mjs');
const work = mkdtempSync(join(tmpdir(), 'rmsim-recheck-'));
cpSync('dist', join(work, 'dist'), { recursive: true });
cpSync('test/mutation', join(work, 'test/mutation'), { recursive: true, filter: (s) => !s.includes('/out') });
// What the built code and tests read at run time, as Stryker's sandbox has it: the WASM build,
// the cost profiles and other data beside the sources, workloads, test fixtures (not the .ts).
for (const d of ['build', 'sim', 'workloads', 'test']) {
  if (existsSync(d)) cpSync(d, join(work, d), { recursive: true, filter: (s) => !s.endsWith('.ts') && !s.includes('/out') });
}
cpSync('package.json', join(work, 'package.json'));
symlinkSync(join(process.cwd(), 'node_modules'), join(work, 'node_modules'));
for (const file of new Set(all.map((a) => a.file))) {
  if (readFileSync(file, 'utf8') !== report.files[file].source) console.log(`note: ${file} changed since the run; the mutants are applied to the report's copy of it`);
}
// RMSIM_RECHECK_TESTS (comma-separated, e.g. engine/rwsem.test.js): run only the tests written since
// the report; a survivor passed the rest already, so only they can kill it, at a fraction of the time.
const only = process.env.RMSIM_RECHECK_TESTS;
const command = only ? `RMSIM_MUTATION=1 node test/mutation/run-files.mjs ${only.split(',').map((t) => `dist/test/${t}`).join(' ')}` : config.commandRunner.command;
const limitS = timeouts ? Number(process.env.RMSIM_RECHECK_LIMIT_S ?? 120) : 60;
let nowKilled = 0;
try {
  for (const { file, lines, m, fn } of all) {
    const { start, end } = m.location;
    const src = lines.slice();
    const head = src[start.line - 1].slice(0, start.column - 1);
    const tail = src[end.line - 1].slice(end.column - 1);
    src.splice(start.line - 1, end.line - start.line + 1, head + m.replacement + tail);
    writeFileSync(join(work, file), src.join('\n'));
    const t0 = Date.now();
    // exec: the time limit's SIGTERM reaches node itself, not only the shell.
    const r = spawnSync('sh', ['-c', `exec env ${command}`], { cwd: work, stdio: 'ignore', timeout: limitS * 1000 });
    writeFileSync(join(work, file), report.files[file].source);
    const s = ((Date.now() - t0) / 1000).toFixed(1);
    const verdict = r.error ? `still running after ${limitS} s` : r.status === 0 ? 'SURVIVES' : `killed (exit ${r.status}, ${s} s)`;
    if (r.status !== 0) nowKilled++;
    console.log(`${verdict.padEnd(24)} ${file.replace(/^dist\//, '')}:${start.line} ${fn} ${oneLine(slice(lines, m.location))} -> ${oneLine(m.replacement)}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(`${nowKilled} of ${all.length} ${timeouts ? 'timeouts fail or never end' : 'survivors are killed now'}`);
