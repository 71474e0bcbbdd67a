// Variant resolution: names, composition with '+', precedence, refused combinations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listVariants, resolveVariant } from '../../sim/variants/index.js';

test('listVariants names every variant of issue 4 with a one-line description', () => {
  const names = listVariants().map((v) => v.name);
  for (const n of ['v10', 'notifier-held-across', 'notifier-rwsem', 'notifier-srcu', 'error-direct', 'thp-never', 'thp-always', 'thp-within_size', 'thp-advise', 'punch-split', 'punch-zero', 'tdp', 'shadow', 'guest_memfd', 'unsafe-no-retry', 'v10-as-posted']) {
    assert.ok(names.includes(n), n);
  }
  for (const v of listVariants()) assert.ok(v.description.length > 10 && !v.description.includes('\n'));
});

test('resolveVariant composes with + and hands out strategies', () => {
  const v = resolveVariant('v10+thp-always+tdp');
  assert.equal(v.choices.thp, 'always');
  assert.equal(v.choices.mmu, 'tdp');
  assert.equal(v.strategies.mmu.faultLockMode, 'read');
  assert.equal(v.strategies.thp.policy, 'always');
  assert.equal(v.hypothetical, false);
  assert.equal(resolveVariant().choices.mmu, 'shadow', 'default: this host');
});

test('hypothetical variants are marked', () => {
  const v = resolveVariant('notifier-srcu+punch-zero');
  assert.equal(v.hypothetical, true);
  assert.equal(v.hypotheticalReasons.length, 2);
});

test('precedence: workload < variant < --set', () => {
  assert.equal(resolveVariant('v10', { workload: { thp: 'always' } }).choices.thp, 'always');
  assert.equal(resolveVariant('thp-never', { workload: { thp: 'always' } }).choices.thp, 'never');
  assert.equal(resolveVariant('thp-never', { workload: { thp: 'always' }, set: { thp: 'within_size' } }).choices.thp, 'within_size');
});

test('refused: conflicting names, guest_memfd+thp-always, guest_memfd with a notifier choice, unknown names', () => {
  assert.throws(() => resolveVariant('notifier-rwsem+notifier-srcu'), /both choose notifier/);
  assert.throws(() => resolveVariant('v10+guest_memfd'), /both choose backend/);
  assert.equal(resolveVariant('v10+error-direct').choices.errorLookup, 'direct', 'a modifier refines a base');
  assert.throws(() => resolveVariant('guest_memfd+thp-always'), /4 KiB folios only/);
  assert.throws(() => resolveVariant('guest_memfd+notifier-rwsem'), /no restrictedmem notifier/);
  assert.throws(() => resolveVariant('guest_memfd', { set: { thp: 'always' } }), /4 KiB folios only/);
  assert.throws(() => resolveVariant('v11'), /unknown variant 'v11'.*did you mean 'v10'/);
  assert.throws(() => resolveVariant('v10', { set: { thp: 'sometimes' } }), /expected one of never, always/);
  assert.throws(() => resolveVariant('v10', { set: { colour: 'red' } }), /not a design choice/);
});
