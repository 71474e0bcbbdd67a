// `npm run golden:update`: rewrite test/golden/digests.json from the current code. Commit the
// result on its own, saying which results moved and why.
import { combinations, digestOf, goldenKey, GOLDEN_PATH, type Golden } from './digests.js';
import { writeFileAtomic } from '../../sim/output/atomic-write.js';

async function update(): Promise<void> {
  const golden: Golden = { small: {}, shipped: {} };
  for (const { workload, variant } of combinations()) {
    const key = goldenKey(workload, variant);
    golden.small[key] = await digestOf(workload, variant, 'small');
    golden.shipped[key] = await digestOf(workload, variant, 'shipped');
    process.stderr.write(`${key}\n`);
  }
  writeFileAtomic(GOLDEN_PATH, JSON.stringify(golden, null, 2) + '\n');
}

// The test runner runs every file under dist/test; only an explicit --write rewrites.
if (process.argv.includes('--write')) await update();
