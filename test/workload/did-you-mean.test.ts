import { test } from 'node:test';
import assert from 'node:assert/strict';
import { didYouMean, editDistance } from '../../sim/workload/did-you-mean.js';

test('edit distance counts a swap of neighbours as one edit', () => {
  assert.equal(editDistance('thp', 'thp'), 0);
  assert.equal(editDistance('tph', 'thp'), 1);
  assert.equal(editDistance('durration', 'duration'), 1);
  assert.equal(editDistance('', 'abc'), 3);
});

test('suggestions: close typos, truncations, separators; nothing for unrelated words', () => {
  const keys = ['memory', 'cpus', 'thp', 'fragmentation'];
  assert.equal(didYouMean('thpp', keys), 'thp');
  assert.equal(didYouMean('memroy', keys), 'memory');
  assert.equal(didYouMean('frag', keys), 'fragmentation');
  assert.equal(didYouMean('CPUS', keys), 'cpus');
  assert.equal(didYouMean('private-fraction', ['private_fraction']), 'private_fraction');
  assert.equal(didYouMean('zebra', keys), undefined);
});
