// Every function of the seed's mm/restrictedmem.c, with its errors, lock and cost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MIGRATE_UNMOVABLE, FOLIO_UPTODATE } from '../../sim/fastpath/index.js';
import {
  FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, kvm_mmu_page_fault, kvm_set_memory_region, memfd_restricted, memory_failure_pfn,
  restrictedmem_error_page, restrictedmem_fallocate, restrictedmem_fget, restrictedmem_fput, restrictedmem_get_page, restrictedmem_getattr,
  restrictedmem_invalidate_end, restrictedmem_invalidate_start, restrictedmem_notifier_error, restrictedmem_punch_hole,
  restrictedmem_register_notifier, restrictedmem_setattr, restrictedmem_unregister_notifier, type RestrictedFile, type RestrictedmemNotifier,
  restrictedmem_init, restrictedmem_init_fs_context, restrictedmem_file_create, RESTRICTEDMEM_MAGIC,
} from '../../sim/model/index.js';
import { expectErrno, makeHost, MiB, runOne } from './helpers.js';

const PUNCH = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE;

function recorder(name: string, log: string[]): RestrictedmemNotifier {
  return {
    name,
    *invalidate_start(_p, s, e) { log.push(`${name}:start:${s}-${e}`); },
    *invalidate_end(_p, s, e) { log.push(`${name}:end:${s}-${e}`); },
    *error(_p, s, e) { log.push(`${name}:error:${s}-${e}`); },
  };
}

async function withFile(variant = 'v10', size = 8 * MiB) {
  const { sim, host } = await makeHost({ variant, memoryBytes: 256 * MiB });
  const { value: file } = runOne(sim, function* (p) {
    const f = yield* memfd_restricted(p, host, 0);
    yield* restrictedmem_setattr(p, f, size);
    return f;
  });
  return { sim, host, file: file as RestrictedFile };
}

test('restrictedmem_init / restrictedmem_init_fs_context: the pseudo-fs is mounted with RESTRICTEDMEM_MAGIC, noexec, empty s_inodes', async () => {
  const { host } = await makeHost();
  assert.deepEqual(restrictedmem_init_fs_context(), { magic: RESTRICTEDMEM_MAGIC, noexec: true });
  const sb = restrictedmem_init(host);
  assert.equal(sb.magic, 0x5245534d);
  assert.deepEqual(sb.s_inodes, []);
  assert.equal(host.restrictedmemSb.s_inodes, host.restrictedInodes);
});

test('restrictedmem_file_create: the wrapper file over a shmem memfd, unevictable and without __GFP_MOVABLE, on s_inodes', async () => {
  const { host } = await makeHost();
  const f = restrictedmem_file_create(host);
  assert.equal(f.memfd.unevictable, true);
  assert.equal(f.memfd.movable, false);
  assert.equal(f.notifiers.length, 0);
  assert.ok(host.restrictedInodes.includes(f));
});

test('memfd_restricted: flags != 0 is EINVAL; flags 0 gives an unevictable, unmovable shmem file on s_inodes, at its profile cost', async () => {
  const { sim, host } = await makeHost();
  runOne(sim, (p) => expectErrno(memfd_restricted(p, host, 1), 'EINVAL'));
  const r = runOne(sim, (p) => memfd_restricted(p, host, 0));
  assert.equal(r.ns, Math.round(host.costs.ns('restrictedmem.file_create_ns')));
  assert.equal(r.value.memfd.unevictable, true);
  assert.equal(r.value.memfd.movable, false);
  assert.deepEqual(host.restrictedInodes, [r.value]);
});

test('restrictedmem_setattr: size set once (EPERM after), page aligned (EINVAL); restrictedmem_getattr forwards it', async () => {
  const { sim, host } = await makeHost();
  const { value: f } = runOne(sim, (p) => memfd_restricted(p, host, 0));
  runOne(sim, (p) => expectErrno(restrictedmem_setattr(p, f, 4097), 'EINVAL'));
  const r = runOne(sim, (p) => restrictedmem_setattr(p, f, 2 * MiB));
  assert.equal(r.ns, Math.round(host.costs.ns('restrictedmem.setattr_ns') + host.costs.ns('shmem.setattr_ns')));
  runOne(sim, (p) => expectErrno(restrictedmem_setattr(p, f, 4 * MiB), 'EPERM'));
  assert.equal(runOne(sim, (p) => restrictedmem_getattr(p, f)).value.size, 2 * MiB);
});

test('restrictedmem_fallocate: allocates unmovable pages through shmem with no notifier call; VFS rejects PUNCH_HOLE without KEEP_SIZE first', async () => {
  const { sim, host, file } = await withFile();
  const log: string[] = [];
  runOne(sim, (p) => restrictedmem_register_notifier(p, file, recorder('n0', log)));
  runOne(sim, (p) => restrictedmem_fallocate(p, file, 0, 0, 1 * MiB));
  assert.equal(file.memfd.pages.nrPages, 256);
  const pfn = file.memfd.pages.lookup(7);
  assert.equal(host.mem.pageblockMigratetype(pfn), MIGRATE_UNMOVABLE);
  assert.deepEqual(log, [], 'allocation calls no notifier');
  runOne(sim, (p) => expectErrno(restrictedmem_fallocate(p, file, FALLOC_FL_PUNCH_HOLE, 0, 4096), 'EOPNOTSUPP'));
  assert.deepEqual(log, [], 'the VFS check comes before any invalidation');
  assert.equal(file.memfd.pages.nrPages, 256);
});

test('restrictedmem_punch_hole: unaligned is EINVAL before any notifier; a punch calls start, truncates, calls end', async () => {
  const { sim, host, file } = await withFile();
  const log: string[] = [];
  runOne(sim, (p) => restrictedmem_register_notifier(p, file, recorder('n0', log)));
  runOne(sim, (p) => restrictedmem_register_notifier(p, file, recorder('n1', log)));
  runOne(sim, (p) => restrictedmem_fallocate(p, file, 0, 0, 1 * MiB));
  runOne(sim, (p) => expectErrno(restrictedmem_punch_hole(p, file, PUNCH, 100, 4096), 'EINVAL'));
  assert.deepEqual(log, []);
  const freedBefore = host.mem.freePagesCount();
  runOne(sim, (p) => restrictedmem_fallocate(p, file, PUNCH, 4096, 64 * 1024));
  assert.deepEqual(log, ['n1:start:1-17', 'n0:start:1-17', 'n1:end:1-17', 'n0:end:1-17'], 'list_add puts the newest first');
  assert.equal(file.memfd.pages.nrPages, 256 - 16);
  assert.equal(host.mem.freePagesCount() - freedBefore, 16);
});

test('restrictedmem_punch_hole: a shmem error surfaces after the invalidation already ran (start and end both called)', async () => {
  const { sim, file } = await withFile();
  const log: string[] = [];
  runOne(sim, (p) => restrictedmem_register_notifier(p, file, recorder('n0', log)));
  file.memfd.injectError = 'EIO';
  runOne(sim, (p) => expectErrno(restrictedmem_fallocate(p, file, PUNCH, 0, 4096), 'EIO'));
  assert.deepEqual(log, ['n0:start:0-1', 'n0:end:0-1']);
});

test('restrictedmem_invalidate_start/end: every notifier, under data->lock (notifier_lock acquisitions counted)', async () => {
  const { sim, file } = await withFile();
  const log: string[] = [];
  runOne(sim, (p) => restrictedmem_register_notifier(p, file, recorder('a', log)));
  runOne(sim, (p) => restrictedmem_invalidate_start(p, file, 3, 9));
  runOne(sim, (p) => restrictedmem_invalidate_end(p, file, 3, 9));
  assert.deepEqual(log, ['a:start:3-9', 'a:end:3-9']);
  const acq = sim.stats.snapshot()['notifier_lock.acquisitions'];
  assert.ok(acq && acq.type === 'counter' && acq.value >= 3, 'register + start + end each take data->lock');
});

test('restrictedmem_register/unregister_notifier: list add/remove; unregister does not invalidate (v10)', async () => {
  const { sim, file } = await withFile();
  const log: string[] = [];
  const n = recorder('n', log);
  runOne(sim, (p) => restrictedmem_register_notifier(p, file, n));
  assert.equal(file.notifiers.length, 1);
  runOne(sim, (p) => restrictedmem_unregister_notifier(p, file, n));
  assert.equal(file.notifiers.length, 0);
  assert.deepEqual(log, []);
});

test('restrictedmem_get_page: allocates without zeroing, returns the order and a reference KVM drops; THP always gives order 9', async () => {
  for (const [variant, order] of [['v10', 0], ['v10+thp-always', 9]] as const) {
    const { sim, host, file } = await withFile(variant);
    const { value: got } = runOne(sim, (p) => restrictedmem_get_page(p, file, 5));
    assert.equal(got.order, order);
    assert.equal(host.mem.folioRefcount(got.folio), 2, 'page cache + caller');
    assert.ok(host.mem.folioFlags(got.folio) & FOLIO_UPTODATE);
    assert.equal(got.pfn, got.folio + (order ? 5 : 0));
  }
});

test('restrictedmem_fget/fput and restrictedmem_release: the last fput truncates the whole file and leaves s_inodes', async () => {
  const { sim, host, file } = await withFile();
  runOne(sim, (p) => restrictedmem_fallocate(p, file, 0, 0, 2 * MiB));
  const free0 = host.mem.freePagesCount();
  restrictedmem_fget(file);
  runOne(sim, (p) => restrictedmem_fput(p, file));
  assert.equal(file.memfd.pages.nrPages, 512, 'one reference left');
  runOne(sim, (p) => restrictedmem_fput(p, file));
  assert.equal(file.memfd.pages.nrPages, 0);
  assert.equal(host.mem.freePagesCount() - free0, 512);
  assert.equal(host.restrictedInodes.length, 0);
});

test('restrictedmem_error_page / restrictedmem_notifier_error: v10 walks s_inodes, finds the file, KVM shuts the VM down', async () => {
  const { sim, host, file } = await withFile();
  const vm = host.createVm({ name: 'vm0' });
  runOne(sim, function* (p) {
    yield* kvm_set_memory_region(p, vm, { slot: 0, baseGfn: 0, npages: 2048, file, offset: 0 });
    yield* restrictedmem_fallocate(p, file, 0, 0, 1 * MiB);
  });
  const pfn = file.memfd.pages.lookup(3);
  const r = runOne(sim, (p) => restrictedmem_error_page(p, host, pfn, file.memfd, 3));
  assert.equal(r.value, 'MF_RECOVERED');
  assert.equal(vm.dead, true);
  const f = runOne(sim, (p) => kvm_mmu_page_fault(p, vm.vcpus[0]!, 3, { private: true }));
  assert.equal(f.value.result, 'shutdown');
  // restrictedmem_notifier_error directly: every notifier's error op
  const log: string[] = [];
  runOne(sim, (p) => restrictedmem_register_notifier(p, file, recorder('x', log)));
  runOne(sim, (p) => restrictedmem_notifier_error(p, file, 1, 2));
  assert.deepEqual(log, ['x:error:1-2']);
});

test('restrictedmem_error_page: v10 as posted dereferences NULL (reported as a crash finding)', async () => {
  const { sim, host, file } = await withFile('v10-as-posted');
  runOne(sim, (p) => restrictedmem_fallocate(p, file, 0, 0, 1 * MiB));
  const r = runOne(sim, (p) => memory_failure_pfn(p, host, file.memfd.pages.lookup(3)));
  assert.equal(r.value.result, 'CRASH');
  assert.deepEqual(host.violations.map((v) => v.kind), ['null_deref']);
});
