// validate --trace reads what users capture: with and without strace -f's PID column, and a
// trace that begins mid-stream, whose descriptors become files of the --backend kind sized to
// the furthest byte used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseStrace } from '../../sim/replay/strace.js';
import { interpretTrace } from '../../sim/replay/interpret.js';
import { traceToSequence } from '../../sim/calibrate/trace-sequence.js';

const text = readFileSync(fileURLToPath(new URL('../../../test/fixtures/gmem_punch.strace', import.meta.url)), 'utf8');
const seqOf = (t: string, backend: 'guest_memfd' | 'shmem' = 'guest_memfd') => traceToSequence(interpretTrace(parseStrace(t), 'x', { unknownFdBackend: backend }), backend, 'x');

test('the fixture (with the PID column) gives one op per successful fallocate on the guest_memfd', () => {
  const { seq, calls } = seqOf(text);
  // Calls on fd 5 begin with "fallocate(5," (complete or unfinished); one of them failed.
  const expected = text.split('\n').filter((l) => /fallocate\(5,/.test(l) && !/= -1 /.test(l)).length;
  assert.ok(expected > 10);
  assert.equal(seq.ops.length, expected);
  assert.equal(seq.files.length, 1);
  assert.equal(seq.files[0].backend, 'guest_memfd');
  assert.deepEqual(seq.ops.slice(0, 2).map((o) => o.op), ['allocate', 'punch']);
  assert.equal(calls[1].recordedNs, 18000);
});

// The first thread's part: a trace without -f has one thread, so no unfinished/resumed pairs.
const oneThread = text.split('\n').filter((l) => l.startsWith('5566 ')).join('\n');

test('without the PID column the same sequence comes out', () => {
  const noPid = oneThread.replace(/^\d+\s+/gm, '');
  assert.notEqual(noPid, oneThread);
  const a = seqOf(noPid).seq.ops;
  assert.ok(a.length > 20);
  assert.deepEqual(a, seqOf(oneThread).seq.ops);
});

test('a trace that begins mid-stream: each descriptor becomes a file of the --backend kind covering its largest offset', () => {
  const mid = oneThread.split('\n').filter((l) => !/KVM_CREATE_VM|_IOC\(|memfd_create|ftruncate/.test(l)).slice(4).join('\n');
  const { seq } = seqOf(mid, 'shmem');
  const successes = mid.split('\n').filter((l) => /fallocate\(/.test(l) && !/= -1 /.test(l)).length;
  assert.equal(seq.ops.length, successes);
  assert.equal(seq.files.length, 2, 'fd 5 and fd 6');
  for (const [i, f] of seq.files.entries()) {
    assert.equal(f.backend, 'shmem');
    const furthest = Math.max(...seq.ops.filter((o) => o.file === i).map((o) => o.offset + o.len));
    assert.equal(f.size_bytes, Math.ceil(furthest / 4096) * 4096);
  }
  // Without the option those calls are only counted, as before.
  assert.ok(interpretTrace(parseStrace(mid)).unmappedCalls >= seq.ops.length);
});
