import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadWorkload, loadWorkloadText, listBuiltinWorkloads } from '../../sim/workload/load.js';
import { WorkloadError } from '../../sim/workload/errors.js';

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof WorkloadError, `expected WorkloadError, got ${String(err)}`);
    return err.message.split('\n');
  }
  assert.fail('no error');
}

test('an empty workload gets the documented defaults', () => {
  const w = loadWorkloadText('empty.yaml', '{}');
  assert.equal(w.name, 'empty');
  assert.equal(w.seed, 1);
  assert.equal(w.variant, 'v10');
  assert.equal(w.host.memoryBytes, 4 * 1024 ** 3);
  assert.equal(w.vms.count, 1);
  assert.equal(w.vms.memslots.alignmentBytes, 2 * 1024 * 1024);
  assert.equal(w.durationNs, undefined);
  assert.deepEqual(w.actors, []);
});

test('units are parsed and actors normalised', () => {
  const w = loadWorkloadText('w.yaml', [
    'duration: 10ms',
    'vms: {memory: 64MiB, vcpus: 2}',
    'actors:',
    '  - {kind: punch, name: p, size: {values: [4KiB, 2MiB], weights: [3, 1]}, rate: 2k/s, threads: 2}',
    '  - {kind: vcpu, pattern: zipf, zipf: {s: 1.2, hot_set: 8MiB}}',
  ].join('\n'));
  assert.equal(w.durationNs, 10_000_000);
  const p = w.actors[0];
  assert.equal(p.kind, 'punch');
  if (p.kind !== 'punch') return;
  assert.deepEqual(p.size, { kind: 'choice', values: [4096, 2097152], weights: [3, 1] });
  assert.equal(p.intervalNs, 500_000);
  assert.equal(p.threads, 2);
  const v = w.actors[1];
  assert.ok(v.kind === 'vcpu' && v.zipf.hotSetBytes === 8 * 1024 * 1024 && v.name === 'vcpu1');
});

test('every problem is reported at once, each with file:line:col, path, expected and found', () => {
  const lines = problems(() => loadWorkloadText('bad.yaml', [
    'host:',
    '  memory: 4GiB',
    '  thpp: always',
    'vms:',
    '  memory: 12XB',
  ].join('\n')));
  assert.equal(lines.length, 2);
  assert.match(lines[0], /^bad\.yaml:3:3: host\.thpp: expected a known field .*found unknown field "thpp" \(did you mean "thp"\?\)$/);
  assert.match(lines[1], /^bad\.yaml:5:11: vms\.memory: expected a size such as 4KiB.*found "12XB"$/);
});

test('--set overrides the file, and problems in a --set name the flag', () => {
  const text = 'duration: 1ms\nvms: {count: 1}\nactors: [{kind: punch, name: p, rate: 1k/s}]';
  const w = loadWorkloadText('w.yaml', text, { sets: ['vms.count=3', 'actors.p.rate=2k/s'], seed: 9, variant: 'guest_memfd' });
  assert.equal(w.vms.count, 3);
  assert.equal(w.actors[0].intervalNs, 500_000);
  assert.equal(w.seed, 9);
  assert.equal(w.variant, 'guest_memfd');
  const lines = problems(() => loadWorkloadText('w.yaml', text, { sets: ['vms.cont=3'] }));
  assert.deepEqual(lines, ['--set vms.cont=3: vms.cont: expected a known field (count, memory, vcpus, mmu, private_fraction, shared_file, memslots), found unknown field "cont" (did you mean "count"?)']);
  assert.match(problems(() => loadWorkloadText('w.yaml', text, { sets: ['actors[3].rate=1/s'] }))[0], /^--set actors\[3\]\.rate=1\/s: actors: expected an index 0\.\.0/);
  assert.match(problems(() => loadWorkloadText('w.yaml', text, { sets: ['nonsense'] }))[0], /expected path=value/);
});

test('host.thp and vms.mmu feed the variant: from the file below it, from --set above it', () => {
  const text = 'host: {thp: always}\nvms: {mmu: shadow}';
  const fromFile = loadWorkloadText('w.yaml', text);
  assert.deepEqual(fromFile.variantChoices, { workload: { thp: 'always', mmu: 'shadow' }, set: {} });
  const fromSet = loadWorkloadText('w.yaml', text, { sets: ['host.thp=within_size', 'variant.notifier=rwsem'] });
  assert.deepEqual(fromSet.variantChoices, { workload: { mmu: 'shadow' }, set: { thp: 'within_size', notifier: 'rwsem' } });
});

test('unknown built-in names get a suggestion; unreadable files a clear line', () => {
  assert.match(problems(() => loadWorkload('vm-bot'))[0], /^vm-bot: \(document\): expected a workload file or a built-in workload .*did you mean "vm-boot"\?/);
  assert.deepEqual(problems(() => loadWorkload('/nonexistent/w.yaml')), ['/nonexistent/w.yaml: (document): expected a readable workload file, found no such file']);
});

test('at least nine built-in workloads, each loading cleanly and opening with a comment on what it models', async () => {
  const { readFileSync } = await import('node:fs');
  const list = listBuiltinWorkloads();
  const names = list.map((b) => b.name);
  for (const n of ['vm-boot', 'conversion-storm', 'balloon', 'memslot-churn', 'memory-failure', 'multi-vm-host',
    'selftest-guest-memfd', 'selftest-private-mem-conversions', 'intra-host-migration']) {
    assert.ok(names.includes(n), `missing built-in ${n}`);
  }
  for (const b of list) {
    const w = loadWorkload(b.name);
    assert.equal(w.name, b.name);
    assert.ok(b.description.length > 20, `${b.name} needs a description`);
    const text = readFileSync(b.path, 'utf8');
    assert.match(text, /^# \S+: /, `${b.name} opens with a comment naming what it models`);
    assert.match(text, /Real situation:/, `${b.name} says what real situation it models`);
    assert.match(text, /Shape: docs\/kernel-model\.md section/, `${b.name} says where its shape comes from`);
  }
});

test('the default workload is vm-boot', () => {
  assert.equal(loadWorkload(undefined).name, 'vm-boot');
});
