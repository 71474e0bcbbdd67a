import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';
import { parseStrace, readStrace, splitArgs } from '../../sim/replay/strace.js';
import { interpretTrace } from '../../sim/replay/interpret.js';
import { WorkloadError } from '../../sim/workload/errors.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const fixture = join(root, 'test', 'fixtures', 'gmem_punch.strace');

test('argument splitting respects quotes and brackets', () => {
  assert.deepEqual(splitArgs('5, FALLOC_FL_KEEP_SIZE, 0, 4096'), ['5', 'FALLOC_FL_KEEP_SIZE', '0', '4096']);
  assert.deepEqual(splitArgs('"a, \\"b\\"", MFD_CLOEXEC'), ['"a, \\"b\\""', 'MFD_CLOEXEC']);
  assert.deepEqual(splitArgs('4, _IOC(_IOC_READ|_IOC_WRITE, 0xae, 0xd4, 0x40), {size=4096, flags=0}'),
    ['4', '_IOC(_IOC_READ|_IOC_WRITE, 0xae, 0xd4, 0x40)', '{size=4096, flags=0}']);
});

test('all strace -f forms: pid prefixes, timestamps, unfinished/resumed, errno, exits and signals', () => {
  const calls = parseStrace([
    '[pid  101] 12:00:00.000001 memfd_create("vm", MFD_CLOEXEC) = 3 <0.000010>',
    '101   ftruncate(3, 8388608) = 0 <0.000002>',
    '101   fallocate(3, 0, 0, 2097152 <unfinished ...>',
    '102   fallocate(3, FALLOC_FL_KEEP_SIZE|FALLOC_FL_PUNCH_HOLE, 4194304, 4096 <unfinished ...>',
    '101   <... fallocate resumed>) = 0 <0.000300>',
    '102   <... fallocate resumed>) = -1 EINVAL (Invalid argument) <0.000015>',
    '101   --- SIGCHLD {si_signo=SIGCHLD} ---',
    '101   ioctl(4, KVM_CREATE_GUEST_MEMFD, {size=4194304, flags=0}) = 5 <0.000040>',
    '1700000000.123456 fallocate(5, FALLOC_FL_KEEP_SIZE, 0, 4096) = 0 <0.000001>',
    '102   +++ exited with 0 +++',
  ].join('\n'), 't.strace');
  assert.equal(calls.length, 6);
  assert.deepEqual(calls.map((c) => c.name), ['memfd_create', 'ftruncate', 'fallocate', 'fallocate', 'ioctl', 'fallocate']);
  assert.equal(calls[2].durationNs, 300_000);
  assert.equal(calls[2].startLine, 3);
  assert.equal(calls[2].line, 5);
  assert.deepEqual(calls[3].args, ['3', 'FALLOC_FL_KEEP_SIZE|FALLOC_FL_PUNCH_HOLE', '4194304', '4096']);
  assert.equal(calls[3].ret, -1);
  assert.equal(calls[3].errno, 'EINVAL');
  assert.equal(calls[0].pid, 101);

  const t = interpretTrace(calls);
  assert.deepEqual(t.files.map((f) => [f.backend, f.fd, f.sizeBytes]), [['shmem', 3, 8388608], ['guest_memfd', 5, 4194304]]);
  assert.deepEqual(t.ops.map((o) => [o.file.backend, o.op, o.offset, o.len, o.result]), [
    ['shmem', 'allocate', 0, 2097152, 0],
    ['shmem', 'punch', 4194304, 4096, 'EINVAL'],
    ['guest_memfd', 'allocate', 0, 4096, 0],
  ]);
});

test('malformed traces name each bad line', () => {
  const msg = (text: string) => {
    try {
      parseStrace(text, 'bad.strace');
    } catch (err) {
      assert.ok(err instanceof WorkloadError);
      return err.message;
    }
    assert.fail('accepted a malformed trace');
  };
  assert.match(msg('1 fallocate(3, 0, 0, 4096) = 0\n'), /^bad\.strace:1:1: .*expected the call's duration <seconds> \(record with strace -T\)/);
  assert.match(msg('1 fallocate(3, 0, 0, 4096) = 0 <0.1>\n2 garbage here\n'), /^bad\.strace:2:1: .*expected an strace -f -T line/);
  assert.match(msg('7 <... fallocate resumed>) = 0 <0.1>\n'), /^bad\.strace:1:1: .*expected an earlier "fallocate\(\.\.\. <unfinished \.\.\.>" line for pid 7/);
  assert.match(msg('7 fallocate(3, 0, 0, 4096 <unfinished ...>\n'), /^bad\.strace:1:1: .*resumed>" line for pid 7 later/);
  assert.match(msg(''), /at least one traced call/);
  assert.throws(() => interpretTrace(parseStrace('1 memfd_create("x", 0) = 3 <0.1>\n2 fallocate(3, 0, zero, 4096) = 0 <0.1>\n')), /:2:1: .*fallocate\(fd, mode, offset, len\) with whole numbers/);
});

test('the committed fixture: a guest_memfd and a shmem memfd, 4KiB-16MiB calls, two threads', () => {
  const t = interpretTrace(readStrace(fixture), fixture);
  assert.deepEqual(t.files.map((f) => f.backend), ['guest_memfd', 'shmem']);
  assert.equal(t.files[1].sizeBytes, 64 * 1024 * 1024);
  assert.equal(t.unmappedCalls, 0);
  const lens = new Set(t.ops.map((o) => o.len));
  for (const l of [4096, 65536, 2097152, 16777216]) assert.ok(lens.has(l), `fixture lacks ${l}-byte calls`);
  assert.ok(t.ops.some((o) => o.result === 'EINVAL'), 'the misaligned guest_memfd punch is refused');
  assert.ok(new Set(t.ops.map((o) => o.pid)).size >= 2, 'two threads call fallocate');
  assert.ok(t.ops.every((o) => o.recordedNs > 0));
});
