// The benchmark's workloads do what they claim (no timing here: the benchmark measures).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ceilingWorkload, mutexWorkload, timeoutsWorkload } from '../../bench/engine/workloads.js';

test('the ceiling replays exactly the timeouts workload\'s draws (same end time, same count)', () => {
  const a = timeoutsWorkload(100, 20_000, 5);
  const c = ceilingWorkload(100, 20_000, 5);
  assert.equal(a.ops, 20_000);
  assert.equal(c.ops, 20_000);
  assert.equal(c.endNs, a.endNs);
  // about 200 timeouts of mean 1000 ns each per process
  assert.ok(a.endNs > 150_000 && a.endNs < 260_000, `end ${a.endNs}`);
});

test('the mutex workload performs every acquisition under contention', () => {
  const r = mutexWorkload(16, 16_000, 5);
  assert.equal(r.ops, 16_000);
  // 16 threads, 1 us hold, 16 us think: the lock is busy most of the time
  assert.ok(r.endNs > 16_000 * 1000 * 0.9, `end ${r.endNs}`);
});
