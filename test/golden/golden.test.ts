// Results are held by golden digests (test/golden/digests.json): a change that moves any
// metrics.json shows here, and updating the file is a commit of its own that says why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { combinations, digestOf, goldenKey, readGolden } from './digests.js';

const LONG = !!process.env.RMSIM_LONG;
const golden = readGolden();
const all = [...combinations()];

test('the golden file lists exactly the combinations the built-ins allow', () => {
  const keys = all.map((c) => goldenKey(c.workload, c.variant)).sort();
  assert.deepEqual(Object.keys(golden.small).sort(), keys);
  assert.deepEqual(Object.keys(golden.shipped).sort(), keys);
  assert.ok(keys.length >= 9, `only ${keys.length} combinations`);
});

const moved = (key: string, size: string) => `${key} (${size}) moved: if on purpose, npm run golden:update and commit why`;

for (const { workload, variant } of all) {
  const key = goldenKey(workload, variant);
  test(`golden digest, scaled down: ${key}`, async () => {
    assert.equal(await digestOf(workload, variant, 'small'), golden.small[key], moved(key, 'small'));
  });
  if (variant === 'v10') {
    test(`golden digest, as shipped: ${key}`, async () => {
      assert.equal(await digestOf(workload, variant, 'shipped'), golden.shipped[key], moved(key, 'shipped'));
    });
  }
}

test('golden digests, as shipped, under every other variant', { skip: !LONG && 'RMSIM_LONG (about 2 minutes)' }, async () => {
  for (const { workload, variant } of all.filter((c) => c.variant !== 'v10')) {
    const key = goldenKey(workload, variant);
    assert.equal(await digestOf(workload, variant, 'shipped'), golden.shipped[key], moved(key, 'shipped'));
  }
});
