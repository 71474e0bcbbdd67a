// Mutation testing of the engine's locks and histogram and the model's fault and invalidation
// paths (issue 18). Not part of npm test: it takes from minutes to hours. Run (after a build):
//   npm run test:mutation                          every group
//   RMSIM_MUTATE=mutex,histogram npm run test:mutation   some groups
// It mutates the built JavaScript in dist/ (so no mutant needs a rebuild) and runs, per mutant,
// only the compiled tests of the chosen groups, in one process (run-files.mjs). tsc keeps
// function names and statements, so a mutant in dist/ maps to its TypeScript source by function.
import { readFileSync, existsSync } from 'node:fs';
import { faultSlices } from './fault-slices.mjs';

/**
 * `file:from-to`, the lines from the one starting with `first` to the end of the declaration
 * starting with `last`: that line itself when it ends the declaration (`const x = { ... };` on one
 * line), else the next line that starts with a closing brace.
 */
function linesOf(file, first, last = first) {
  const lines = readFileSync(file, 'utf8').split('\n');
  const start = lines.findIndex((l) => l.startsWith(first));
  let end = lines.findIndex((l, i) => i >= start && l.startsWith(last));
  if (start < 0 || end < 0) throw new Error(`${file}: no line starting with ${start < 0 ? first : last} (the source moved: update test/mutation/stryker.config.mjs)`);
  if (!/;\s*$/.test(lines[end])) while (end < lines.length && !/^}/.test(lines[end])) end++;
  return `${file}:${start + 1}-${end + 1}`;
}

const LOCK_TESTS = ['engine/mutex.test.js', 'engine/mutex-handoff.test.js', 'engine/rwlocks.test.js', 'engine/spin-srcu.test.js',
  'engine/tick-resched.test.js', 'engine/scheduling.test.js', 'engine/fuzz.test.js', 'engine/lock-reference.test.js', 'engine/mutex-bookkeeping.test.js', 'engine/mutex-interrupt.test.js', 'engine/mutex-spin-cpu.test.js'];
// The fault path's own tests, with those of its error exits (restrictedmem_get_page / kvm_gmem_get_pfn
// failing: v10's RET_PF_RETRY, EHWPOISON after memory_failure, ENOMEM, EIO/EFAULT).
const FAULT_RETRY_TESTS = ['model/kvm.test.js', 'model/fault-retry-race.test.js', 'model/fault-path-units.test.js', 'model/fault-errors.test.js',
  'model/corrections.test.js', 'model/consequences.test.js', 'model/shmem.test.js', 'model/restrictedmem.test.js', 'model/fault-after-effects.test.js',
  'model/fault-exits.test.js'];
const FAULT_TESTS = [...FAULT_RETRY_TESTS, 'model/safety.test.js', 'model/variants.test.js', 'model/guest-memfd.test.js'];

// --- sim/engine/locks/, one slice per file (mut-locks) ---
// Each slice runs only the tests that drive its file, so a mutant costs a second or two, not the
// whole lock suite; `locks` is their union (and the `mutex` slice below).
const lockFile = (f) => [`dist/sim/engine/locks/${f}.js`];
const LOCK_SLICES = {
  'tick-resched': { mutate: lockFile('tick-resched'), tests: ['engine/tick-resched.test.js', 'engine/mutex-spin-cpu.test.js', 'engine/tick-resched-draw.test.js'] },
  spinlock: { mutate: lockFile('spinlock'), tests: ['engine/spin-srcu.test.js', 'engine/cpu.test.js', 'engine/spinlock.test.js', 'engine/fuzz.test.js'] },
  srcu: { mutate: lockFile('srcu'), tests: ['engine/spin-srcu.test.js', 'engine/srcu.test.js', 'engine/fuzz.test.js'] },
  rwlock: { mutate: lockFile('rwlock'), tests: ['engine/rwlocks.test.js', 'engine/rwlock.test.js', 'engine/fuzz.test.js'] },
  rwsem: {
    mutate: lockFile('rwsem'),
    tests: ['engine/rwlocks.test.js', 'engine/rwsem.test.js', 'engine/tick-resched.test.js', 'engine/lock-reference.test.js', 'engine/fuzz.test.js'],
  },
};
// The protocol and the statistics every lock shares: the whole lock suite.
const ALL_LOCK_TESTS = [...new Set([...LOCK_TESTS, ...Object.values(LOCK_SLICES).flatMap((s) => s.tests), 'engine/lock-wait.test.js', 'engine/lock-stats.test.js'])];
LOCK_SLICES['lock-wait'] = { mutate: lockFile('lock-wait'), tests: ALL_LOCK_TESTS };
LOCK_SLICES['lock-stats'] = { mutate: lockFile('lock-stats'), tests: ALL_LOCK_TESTS };
// --- end mut-locks ---

/** Each group: the files (or line ranges) mutated and the compiled tests run against each mutant. */
const GROUPS = {
  ...Object.fromEntries(Object.entries(LOCK_SLICES).map(([name, slice]) => [name, () => slice])),
  // sim/engine/locks/ whole: the union of its slices and the mutex's
  locks: () => ({
    mutate: ['dist/sim/engine/locks/*.js'],
    tests: [...new Set([...Object.values(LOCK_SLICES).flatMap((s) => s.tests), ...GROUPS.mutex().tests])],
  }),
  // the mutex alone, with its own tests and the reference model: the quick slice of `locks`
  mutex: () => ({ mutate: ['dist/sim/engine/locks/mutex.js'], tests: ['engine/mutex.test.js', 'engine/mutex-handoff.test.js', 'engine/mutex-bookkeeping.test.js', 'engine/mutex-interrupt.test.js', 'engine/mutex-spin-cpu.test.js', 'engine/lock-reference.test.js', 'engine/tick-resched.test.js'] }),
  histogram: () => ({ mutate: ['dist/sim/engine/histogram.js'], tests: ['engine/histogram-buckets.property.test.js', 'engine/histogram.test.js'] }),
  // --- the fault group and its slices (mut-fault): test/mutation/fault-slices.mjs ---
  ...Object.fromEntries(Object.entries(faultSlices(linesOf, FAULT_RETRY_TESTS)).map(([name, slice]) => [name, () => slice])),
  // --- end mut-fault ---
};

const chosen = (process.env.RMSIM_MUTATE ?? 'locks,histogram,fault').split(',');
for (const g of chosen) if (!GROUPS[g]) throw new Error(`RMSIM_MUTATE: no group ${g} (${Object.keys(GROUPS).join(', ')})`);
const groups = chosen.map((g) => GROUPS[g]());
const mutate = [...new Set(groups.flatMap((g) => g.mutate))];
const tests = [...new Set(groups.flatMap((g) => g.tests))].map((t) => `dist/test/${t}`).filter((t) => existsSync(t));

export default {
  testRunner: 'command',
  // RMSIM_MUTATION: the property tests run fewer random cases (the bucket-edge sweep stays whole).
  commandRunner: { command: `RMSIM_MUTATION=1 node test/mutation/run-files.mjs ${tests.join(' ')}` },
  mutate,
  // The sandbox needs the built code, the compiled tests and what they read; not the sources.
  ignorePatterns: ['/sim/**/*.ts', '/wasm', '/docs', '/reports', '/bench/results', '/out', '.rmsim-tmp-*', '/test/mutation/out'],
  // Messages, process and lock names and trace labels: a changed string changes no behaviour the
  // tests could hold the code to, so string-literal mutants are not generated.
  mutator: { excludedMutations: ['StringLiteral'] },
  concurrency: Number(process.env.RMSIM_MUTATE_CONCURRENCY ?? 1),
  dryRunTimeoutMinutes: 30,
  // A mutant that makes a lock wait forever spins the event loop until Stryker's limit: keep the
  // limit a few times a slice's unmutated run (1-5 s), not a minute. RMSIM_MUTATE_TIMEOUT_MS sets it.
  timeoutMS: Number(process.env.RMSIM_MUTATE_TIMEOUT_MS ?? 10000),
  timeoutFactor: 1.5,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: `test/mutation/out/mutation-${chosen.join('-')}.json` },
  // Outside test/: tsc compiles test/**/*.ts, and the sandbox holds copies of them.
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
