import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration, parseRateInterval, parseSize, formatSize, UnitError } from '../../sim/units.js';

test('sizes parse to exact bytes', () => {
  assert.equal(parseSize('4KiB'), 4096);
  assert.equal(parseSize('2MiB'), 2 * 1024 * 1024);
  assert.equal(parseSize('16GiB'), 16 * 1024 ** 3);
  assert.equal(parseSize('1.5KiB'), 1536);
  assert.equal(parseSize(' 3 MiB '), 3 * 1024 * 1024);
  assert.equal(parseSize('1MB'), 1_000_000);
  assert.equal(parseSize(8192), 8192);
  for (const bad of ['4kib', '2 MiBs', '', 'MiB', '-4KiB', 1.5, -1, true, null]) {
    assert.throws(() => parseSize(bad), UnitError, String(bad));
  }
});

test('durations parse to integer nanoseconds without binary rounding', () => {
  assert.equal(parseDuration('100ns'), 100);
  assert.equal(parseDuration('500us'), 500_000);
  assert.equal(parseDuration('10ms'), 10_000_000);
  assert.equal(parseDuration('2s'), 2_000_000_000);
  assert.equal(parseDuration('0.1s'), 100_000_000);
  assert.equal(parseDuration('0.3ms'), 300_000); // 0.3 * 1e6 is 299999.99999999994 in binary
  assert.equal(parseDuration(42), 42);
  for (const bad of ['10', '10 sec', 'ms', '1e3ns', -5, 0.5]) assert.throws(() => parseDuration(bad), UnitError, String(bad));
});

test('rates become mean intervals in ns', () => {
  assert.equal(parseRateInterval('1000/s'), 1_000_000);
  assert.equal(parseRateInterval('2k/ms'), 500);
  assert.equal(parseRateInterval('10/us'), 100);
  assert.equal(parseRateInterval('1G/s'), 1);
  assert.equal(parseRateInterval('3G/s'), 1); // never below 1 ns
  for (const bad of ['fast', '10', '0/s', '5/fortnight', 5]) assert.throws(() => parseRateInterval(bad), UnitError, String(bad));
});

test('formatSize picks the largest exact unit', () => {
  assert.equal(formatSize(2 * 1024 * 1024), '2MiB');
  assert.equal(formatSize(2101248), '2052KiB');
  assert.equal(formatSize(1000), '1000B');
});
