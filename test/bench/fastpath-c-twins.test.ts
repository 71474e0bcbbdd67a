// The C-twin pairs of the fast-path benchmark at a tiny size: the C server answers, both sides
// compute the same (walk sums, leaves zapped, the churn's pfns), every op gets one pair per
// piece and round, and the spreads are ordered. (The ratios themselves are measured by the lead
// with `rmsim bench fastpath` on an idle machine, never asserted here.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCReference } from '../../bench/fastpath/c-reference.js';
import { runCTwins, TWIN_OPS, type CTwinsResult } from '../../bench/fastpath/c-twins.js';
import { sizes } from '../../bench/fastpath/workloads.js';

test('fastpath bench: C twins paired piece by piece at a tiny size', { timeout: 120_000 }, (t) => {
  const z = sizes(0.001);
  const c = startCReference(z);
  if ('note' in c) { t.skip(c.note); return; }
  let r: CTwinsResult;
  try {
    r = runCTwins(c, z, 1, 3, () => {});
  } finally {
    c.dispose();
  }
  assert.deepEqual(r.results_match, { walk_sum: true, zapped: true, buddy_sum: true });
  assert.deepEqual(r.flags, ['-O2']);
  // map: `pieces` pairs plus the map the walks run on; the others one pair per piece
  const pairs: Record<string, number> = { ept_map: 4, ept_walk: 3, ept_zap_2m: 3, buddy_alloc_free: 3 };
  for (const op of TWIN_OPS) {
    const o = r.ops[op];
    assert.equal(o.pairs, pairs[op], op);
    for (const s of [o.c_ns, o.wasm_ns, o.ratio]) {
      assert.ok(s.min > 0 && s.min <= s.median && s.median <= s.max && Number.isFinite(s.max), `${op}: ${JSON.stringify(s)}`);
    }
  }
});

test('fastpath bench: the C server rejects a walk past the workload', (t) => {
  const z = sizes(0.0001);
  const c = startCReference(z);
  if ('note' in c) { t.skip(c.note); return; }
  try {
    assert.equal(typeof c.call('ept-map').ns, 'number');
    assert.throws(() => c.call(`ept-walk 0 ${z.walk + 1}`));
  } finally {
    c.dispose();
  }
});
