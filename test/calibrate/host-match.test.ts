// rmsim run's other-host line: only profiles that record their host are compared, and the line
// names what differs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { otherHostNote } from '../../sim/costs/host-match.js';
import { defaultProfile } from '../../sim/costs/index.js';

const here = { cpu_model: 'AMD EPYC', kernel: '6.18.44-fc-v1252' };

test('a calibrated profile from another CPU or kernel is named in one line', () => {
  const host = { cpu: 'x', kernel: 'x', source: 's', cpu_model: 'Intel(R) Xeon(R) Processor', kernel_release: '6.18.44-fc-v1147' };
  const note = otherHostNote('intel', host, here)!;
  assert.match(note, /profile intel was calibrated on another host: CPU Intel\(R\) Xeon\(R\) Processor \(here: AMD EPYC\), kernel 6\.18\.44-fc-v1147 \(here: 6\.18\.44-fc-v1252\)/);
  assert.ok(!note.includes('\n'));
  assert.match(otherHostNote('k', { ...host, cpu_model: 'AMD EPYC' }, here)!, /kernel .* \(here/);
  assert.equal(otherHostNote('same', { ...host, cpu_model: 'AMD EPYC', kernel_release: here.kernel }, here), undefined);
});

test('a profile that does not record its host (the shipped one) is not compared', () => {
  assert.equal(otherHostNote('spr', defaultProfile().host, here), undefined);
});
