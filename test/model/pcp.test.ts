// The per-CPU page lists (sim/model/pcp.ts): the free_unref_page_commit / nr_pcp_free /
// nr_pcp_alloc rules as the 6.18 kernel applies them, checked on their own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { free_unref_page_commit, hostPcp, pcpAlloc, pcpOf } from '../../sim/model/pcp.js';
import { makeHost } from './helpers.js';

async function hostAndProcs() {
  const { sim, host } = await makeHost({ memoryBytes: 64 * 1024 * 1024 });
  const procs: any[] = [];
  sim.spawn('a', function* (p) { procs.push(p); yield p.compute(1); });
  sim.spawn('b', function* (p) { procs.push(p); yield p.compute(1); });
  sim.run();
  return { host, a: procs[0], b: procs[1] };
}

test('pcp: a steady run of frees drains batch << 5 = 2016 pages at a time, every 2016 pages', async () => {
  const { host, a } = await hostAndProcs();
  const c = host.costs;
  const per = c.ns('host.pcp_bulk_free_page_ns');
  const drains: number[] = [];
  let freed = 0;
  for (let i = 0; i < 40; i++) {
    const ns = free_unref_page_commit(host, a, 512);
    freed += 512;
    if (ns > 0) drains.push(Math.round(ns / per));
  }
  // The first drains are smaller (free_count still growing), then 2016 each.
  assert.ok(drains.length >= 8, `drains ${drains}`);
  assert.deepEqual(drains.slice(-5), [2016, 2016, 2016, 2016, 2016]);
  const total = drains.reduce((x, y) => x + y, 0);
  // Everything freed beyond what the list keeps went back to the buddy.
  assert.equal(pcpOf(host, a).count, c.ns('host.pcp_start_count') + freed - total);
  assert.ok(pcpOf(host, a).count < pcpOf(host, a).high);
});

test('pcp: the first drain of an idle CPU comes after high_min - count frees', async () => {
  const { host, a } = await hostAndProcs();
  const c = host.costs;
  const room = c.ns('host.pcp_high_min') - c.ns('host.pcp_start_count');
  assert.equal(free_unref_page_commit(host, a, room - 1), 0);
  assert.ok(free_unref_page_commit(host, a, 1) > 0);
});

test('pcp: a CPU that allocated N pages takes N frees without draining (nr_pcp_alloc raised high); another CPU does not', async () => {
  const { host, a, b } = await hostAndProcs();
  const n = 16384; // 64 MiB
  pcpAlloc(hostPcp(host), a, n);
  assert.ok(pcpOf(host, a).high >= host.costs.ns('host.pcp_high_min') + n - host.costs.ns('host.pcp_start_count'));
  assert.equal(free_unref_page_commit(host, a, n), 0);
  assert.ok(free_unref_page_commit(host, b, n) > 0);
});

test('pcp: high never passes high_max', async () => {
  const { host, a } = await hostAndProcs();
  pcpAlloc(hostPcp(host), a, 10 * host.costs.ns('host.pcp_high_max'));
  assert.equal(pcpOf(host, a).high, host.costs.ns('host.pcp_high_max'));
});
