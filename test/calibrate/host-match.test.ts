// rmsim run's and rmsim validate's other-host line: only profiles that record their host are compared, and the line
// names what differs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

test('rmsim validate names another host\'s profile on stderr before it runs anything, but not with --measured', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rmsim-host-'));
  const other = defaultProfile().file;
  const file = join(dir, 'other.json');
  writeFileSync(file, JSON.stringify({ ...other, name: 'elsewhere', host: { ...other.host, cpu_model: 'No Such CPU', kernel_release: '0.0.0-none' } }));
  const cli = new URL('../../sim/cli/main.js', import.meta.url).pathname;
  // A trace that does not exist: the command stops with a usage error after the host line.
  const trace = spawnSync(process.execPath, [cli, 'validate', '--trace', join(dir, 'missing.strace'), '--backend', 'shmem', '--profile', file], { encoding: 'utf8' });
  assert.equal(trace.status, 2, trace.stderr);
  assert.match(trace.stderr, /^rmsim validate: profile elsewhere was calibrated on another host: CPU No Such CPU \(here: .+\), kernel 0\.0\.0-none \(here: /m);
  const measured = spawnSync(process.execPath, [cli, 'validate', '--profile', file, '--measured', join(dir, 'missing.json')], { encoding: 'utf8' });
  assert.notEqual(measured.status, 0);
  assert.doesNotMatch(measured.stderr, /another host/, 'the recording names its own host');
  rmSync(dir, { recursive: true, force: true });
});
