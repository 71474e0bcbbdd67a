// `rmsim calibrate` prints every fitted cost beside its base value; a fitted lock cost
// (`lock.tick_resched_ppm`, fitted from the two-puncher rows) lives in the profile's lockCosts,
// and reading it from costs crashed the command after the probe had run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultProfile } from '../../sim/costs/index.js';
import { costEntryOf } from '../../sim/calibrate/fit-profile.js';

test('costEntryOf finds lock.* names in lockCosts and the rest in costs', () => {
  const file = defaultProfile().file;
  const lock = costEntryOf(file, 'lock.tick_resched_ppm');
  assert.ok(lock, 'lock.tick_resched_ppm in lockCosts');
  assert.equal(lock, (file.lockCosts as Record<string, unknown>).tick_resched_ppm);
  assert.equal(costEntryOf(file, 'kvm.map_leaf_ns'), file.costs['kvm.map_leaf_ns']);
  assert.equal(costEntryOf(file, 'lock.no_such_cost'), undefined);
});
