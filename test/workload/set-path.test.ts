import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyAssignment, parseAssignment, parseMetricPath, parsePath, PathError } from '../../sim/workload/set-path.js';

test('paths: dotted fields, [i] and .i indices', () => {
  assert.deepEqual(parsePath('vms.count'), ['vms', 'count']);
  assert.deepEqual(parsePath('actors[2].rate'), ['actors', 2, 'rate']);
  assert.deepEqual(parsePath('actors.2.size.values[0]'), ['actors', 2, 'size', 'values', 0]);
  for (const bad of ['', 'a..b', 'a.b c', 'a[x]', '.a']) assert.throws(() => parsePath(bad), PathError, bad);
});

test('values are YAML scalars or flow lists', () => {
  assert.deepEqual(parseAssignment('vms.count=4').value, 4);
  assert.deepEqual(parseAssignment('host.thp=always').value, 'always');
  assert.deepEqual(parseAssignment('vms.shared_file=true').value, true);
  assert.deepEqual(parseAssignment('actors[0].size.values=[4KiB, 2MiB]').value, ['4KiB', '2MiB']);
  assert.throws(() => parseAssignment('vms.count'), PathError);
  assert.throws(() => parseAssignment('vms.count='), PathError);
  assert.throws(() => parseAssignment('=4'), PathError);
});

test('assignments create objects, address list elements by index or name, refuse the rest', () => {
  const w: Record<string, unknown> = { actors: [{ kind: 'punch', name: 'discard' }, { kind: 'vcpu' }] };
  assert.deepEqual(applyAssignment(w, parseAssignment('host.memory=8GiB')), ['host', 'memory']);
  assert.deepEqual(w.host, { memory: '8GiB' });
  assert.deepEqual(applyAssignment(w, parseAssignment('actors.discard.rate=5k/s')), ['actors', 0, 'rate']);
  assert.equal((w.actors as Array<Record<string, unknown>>)[0].rate, '5k/s');
  applyAssignment(w, parseAssignment('actors[1].ops=3'));
  assert.equal((w.actors as Array<Record<string, unknown>>)[1].ops, 3);
  assert.throws(() => applyAssignment(w, parseAssignment('actors[2].ops=3')), /expected an index 0..1, found 2/);
  assert.throws(() => applyAssignment(w, parseAssignment('actors.discrad.ops=3')), /did you mean "discard"/);
  assert.throws(() => applyAssignment(w, parseAssignment('host.memory.x=1')), /expected an object/);
});

test('metric paths: name{labels}.stat with an optional comparison', () => {
  assert.deepEqual(parseMetricPath('fault.latency_ns.p99<=50us'), { metric: 'fault.latency_ns', labels: {}, stat: 'p99', op: '<=', value: '50us' });
  assert.deepEqual(parseMetricPath('punch.latency_ns{size=2MiB}.p50'), { metric: 'punch.latency_ns', labels: { size: '2MiB' }, stat: 'p50', op: undefined, value: undefined });
  assert.throws(() => parseMetricPath('nonsense'), PathError);
});
