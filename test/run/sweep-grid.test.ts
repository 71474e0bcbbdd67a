import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../sim/errors.js';
import { gridPoints, parseAxes, parseAxis, pointSets } from '../../sim/run/grid.js';
import { parseShard, pointSeed } from '../../sim/run/sweep-plan.js';

const raws = (text: string) => parseAxis(text).values.map((v) => v.raw);

test('grid values: lists, ranges, stepped and geometric ranges, units', () => {
  assert.deepEqual(raws('vms.count=1,2,4,8'), ['1', '2', '4', '8']);
  assert.deepEqual(raws('vms.count=1..5'), ['1', '2', '3', '4', '5']);
  assert.deepEqual(raws('vms.count=4..20+4'), ['4', '8', '12', '16', '20']);
  assert.deepEqual(raws('vms.count=1..256*2'), ['1', '2', '4', '8', '16', '32', '64', '128', '256']);
  assert.deepEqual(raws('vms.memory=64MiB..512MiB*2'), ['64MiB', '128MiB', '256MiB', '512MiB']);
  assert.deepEqual(raws('actors.guest.think=0.1us..0.3us+0.1'), ['0.1us', '0.2us', '0.3us']);
  assert.deepEqual(raws('host.thp=never,always'), ['never', 'always']);
  assert.deepEqual(raws('actors[0].size.values=[4KiB, 2MiB],[2MiB]'), ['[4KiB, 2MiB]', '[2MiB]']);
  assert.deepEqual(parseAxis('vms.count=1,2').values.map((v) => v.value), [1, 2]);
  assert.deepEqual(parseAxis('vms.memory=64MiB').values.map((v) => v.value), ['64MiB']);
});

test('bad grids are refused with what was expected', () => {
  for (const [text, re] of [
    ['vms.count', /expected path=values/],
    ['vms.count=', /expected values/],
    ['vms..count=1', /empty segment/],
    ['vms.count=1,,2', /empty value/],
    ['vms.count=1,1', /appears twice/],
    ['vms.count=8..1', /lo <= hi/],
    ['vms.count=0..8*2', /geometric/],
    ['vms.memory=64MiB..1GiB*2', /same unit/],
  ] as const) {
    assert.throws(() => parseAxis(text), (e: unknown) => e instanceof UsageError && re.test(e.message), text);
  }
  assert.throws(() => parseAxes(['vms.count=1,2', 'vms.count=3']), /swept twice/);
  assert.throws(() => gridPoints(parseAxes(['vms.count=1..1000', 'host.cpus=1..1000'])), /at most/);
});

test('grid points: cartesian product, first axis outermost; sets per point', () => {
  const pts = gridPoints(parseAxes(['vms.count=1,2', 'host.thp=never,always']));
  assert.deepEqual(pts.map(pointSets), [
    ['vms.count=1', 'host.thp=never'], ['vms.count=1', 'host.thp=always'],
    ['vms.count=2', 'host.thp=never'], ['vms.count=2', 'host.thp=always'],
  ]);
  assert.deepEqual(gridPoints([]), [[]]);
});

test('point seeds derive from the base seed and the values, nothing else', () => {
  const [a, b] = gridPoints(parseAxes(['vms.count=1,2']));
  assert.notEqual(pointSeed(1, a), pointSeed(1, b));
  assert.notEqual(pointSeed(1, a), pointSeed(2, a));
  assert.equal(pointSeed(1, a), pointSeed(1, gridPoints(parseAxes(['vms.count=1,3']))[0]));
  assert.ok(Number.isSafeInteger(pointSeed(1, a)) && pointSeed(1, a) >= 0 && pointSeed(1, a) < 2 ** 32);
});

test('--shard i/N is 1-based', () => {
  assert.deepEqual(parseShard('1/3'), { index: 1, count: 3 });
  assert.deepEqual(parseShard('3/3'), { index: 3, count: 3 });
  for (const bad of ['0/3', '4/3', '1/0', '1', 'a/b', '-1/2']) assert.throws(() => parseShard(bad), UsageError, bad);
});
