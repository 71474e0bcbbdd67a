// Building and tearing down one VM as a VMM does (KVM_CREATE_VM, the private file, the main
// memslots, the initial attributes), used by the scenario's setup and by vm_lifecycle's
// tenants. Guest RAM of a VM is laid out as:
//   main memslots  RAM [0, ramBytes - hotplugBytes), slot i at a gfn aligned to
//                  vms.memslots.alignment, bound to the file at RAM offset + misalign
//   hot-plug area  RAM [ramBytes - hotplugBytes, ramBytes), bound and unbound by memslot_churn
import type { Process } from '../engine/index.js';
import type { Workload } from '../workload/types.js';
import type { Host, Vm, Gen } from '../model/index.js';
import { PAGE_SIZE } from '../units.js';
import type { VmRuntime } from './context.js';
import { addMemslot, closePrivateFile, createPrivateFile, deleteMemslot, setMemoryAttributes, type VmmFile } from './kernel-ops.js';

/** Bytes of RAM each VM keeps for hot-plug slots (the memslot_churn actors that target it). */
export function hotplugBytesFor(w: Workload, index: number): number {
  let bytes = 0;
  for (const a of w.actors) {
    if (a.kind === 'memslot_churn' && (a.vm === 'all' || a.vm === index)) bytes += a.slots * a.slotBytes;
  }
  return bytes;
}

function roundUp(x: number, m: number): number {
  return Math.ceil(x / m) * m;
}

/** The static guest-physical layout of one VM (which gfn each RAM offset has). */
function layoutFor(w: Workload, hotplugBytes: number) {
  const ramBytes = w.vms.memoryBytes;
  const mainBytes = ramBytes - hotplugBytes;
  const count = Math.min(w.vms.memslots.count, Math.max(1, mainBytes / PAGE_SIZE));
  const alignPages = w.vms.memslots.alignmentBytes / PAGE_SIZE;
  const mainPages = mainBytes / PAGE_SIZE;
  const slots: Array<{ ramOffset: number; npages: number; baseGfn: number }> = [];
  let gfn = 0;
  for (let i = 0; i < count; i++) {
    const first = Math.floor((mainPages * i) / count);
    const next = Math.floor((mainPages * (i + 1)) / count);
    slots.push({ ramOffset: first * PAGE_SIZE, npages: next - first, baseGfn: gfn });
    gfn = roundUp(gfn + (next - first), alignPages);
  }
  const hotplugGfn = gfn;
  const gfnOf = (ramOffset: number): number => {
    const page = Math.floor(ramOffset / PAGE_SIZE);
    if (page >= mainPages) return hotplugGfn + (page - mainPages);
    for (const s of slots) {
      const p0 = s.ramOffset / PAGE_SIZE;
      if (page >= p0 && page < p0 + s.npages) return s.baseGfn + (page - p0);
    }
    return -1;
  };
  return { ramBytes, mainBytes, slots: slots.filter((s) => s.npages > 0), gfnOf };
}

/**
 * Create VM `index` as a VMM does: KVM_CREATE_VM, the private file (or the shared one), the
 * main memslots, then the attributes for vms.private_fraction (the tail of RAM shared).
 */
export function* buildVm(p: Process, host: Host, w: Workload, index: number, shared?: VmmFile): Gen<VmRuntime> {
  const hotplugBytes = hotplugBytesFor(w, index);
  const layout = layoutFor(w, hotplugBytes);
  const vm: Vm = host.createVm({ name: `vm${index}`, vcpus: w.vms.vcpus, privateByDefault: w.vms.privateFraction > 0 });
  const fileBase = w.vms.memslots.misalignBytes;
  const file = shared ?? (yield* createPrivateFile(p, host, vm, fileBase + layout.ramBytes));
  const rt: VmRuntime = {
    index, vm, file, ramBytes: layout.ramBytes, fileBase, slots: [], hotplugBytes, gfnOf: layout.gfnOf,
  };
  for (let i = 0; i < layout.slots.length; i++) {
    const s = layout.slots[i];
    const slot = yield* addMemslot(p, vm, i, s.baseGfn, s.npages, file, fileBase + s.ramOffset);
    rt.slots.push({ slot, ramOffset: s.ramOffset });
  }
  // private_fraction: the first fraction of RAM private, the rest shared.
  const f = w.vms.privateFraction;
  if (f > 0 && f < 1) {
    const privPages = Math.floor((layout.ramBytes / PAGE_SIZE) * f);
    const from = layout.gfnOf(privPages * PAGE_SIZE);
    const to = layout.gfnOf(layout.ramBytes - PAGE_SIZE) + 1;
    if (to > from) yield* setMemoryAttributes(p, vm, from, to, false);
  }
  return rt;
}

/** Tear a VM down as a VMM does: delete its memslots, then close its file. */
export function* destroyVm(p: Process, rt: VmRuntime, closeFile = true): Gen {
  for (const s of [...rt.slots].reverse()) yield* deleteMemslot(p, rt.vm, s.slot);
  rt.slots.length = 0;
  if (closeFile) yield* closePrivateFile(p, rt.file);
  rt.vm.dead = true;
}
