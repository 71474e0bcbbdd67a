// One simulated host: its memory (buddy allocator + folio table on the fast paths), the cost
// profile, the design variant's strategies, the VMs, the restricted files (the restrictedmem
// superblock's inode list), metrics, the event trail and the safety checker.
import type { Simulation, Process } from '../engine/index.js';
import type { CostProfile } from '../costs/index.js';
import { defaultProfile } from '../costs/index.js';
import { resolveVariant, type ResolvedVariant, type Strategies } from '../variants/index.js';
import type { PageCacheLoad } from './page-cache-load.js';
import { createFastPaths, MIGRATE_MOVABLE, type FastPaths, type HostMemory } from '../fastpath/index.js';
import { ModelMetrics } from './metrics.js';
import { EventTrail, type TrailEvent } from './trail.js';
import { SafetyChecker, type Violation } from './safety.js';
import { FolioLocks } from './folio-lock.js';
import { Vm, type VmOptions } from './kvm.js';
import { restrictedmem_init, type RestrictedFile, type RestrictedmemSuperblock } from './restrictedmem.js';
import type { PrivateBacking } from './backing.js';
import { PAGE_SIZE } from '../units.js';

export interface HostOptions {
  /** Host memory; must match the fast paths' host pages when those are passed in. */
  memoryBytes: number;
  /** Cost profile (default: the shipped section-7 profile). */
  profile?: CostProfile;
  /** Variant spec ("v10+thp-always") or an already resolved one. */
  variant?: ResolvedVariant | string;
  /** The fast paths (createFastPaths); the model keeps all page tables, caches and the allocator there. */
  fastpaths: FastPaths;
  /**
   * Initial fragmentation, 0..1: the fraction of 2 MiB pageblocks that keep one page allocated
   * by other tenants before the run, so no huge folio can come from them.
   */
  initialFragmentation?: number;
  /** Check safety and liveness (default true). */
  checkSafety?: boolean;
  /** Events kept for violation trails (default 256). */
  trailSize?: number;
  /** Retries of one fault before it is reported as a livelock (default 10000). */
  maxFaultRetries?: number;
}

export class Host {
  readonly sim: Simulation;
  readonly costs: CostProfile;
  readonly variant: ResolvedVariant;
  readonly s: Strategies;
  readonly fp: FastPaths;
  readonly mem: HostMemory;
  readonly metrics: ModelMetrics;
  readonly trail: EventTrail;
  /**
   * Whether trail events keep their arguments. Only a safety violation's report shows them, so
   * without the checker the per-fault events build none (`host.trailArgs ? {...} : undefined`).
   */
  readonly trailArgs: boolean;
  readonly safety: SafetyChecker;
  /** Folio locks held across simulated time (folio-lock.ts). */
  readonly folioLocks: FolioLocks;
  readonly maxFaultRetries: number;
  /** The restrictedmem pseudo-fs superblock, mounted at "boot" (restrictedmem_init). */
  readonly restrictedmemSb: RestrictedmemSuperblock;
  /** Its s_inodes (with the list's fix: every restricted file is added). */
  readonly restrictedInodes: RestrictedFile[];
  readonly vms: Vm[] = [];
  /** Every private backing (restricted files' shmem inodes, guest_memfd inodes), for pfn lookups. */
  readonly backings: PrivateBacking[] = [];
  /** Pages held by other tenants to fragment memory (initialFragmentation). */
  readonly fragmentPins: number[] = [];
  /** The host's own movable page cache, when a workload runs one (direct reclaim takes from it). */
  pageCache: PageCacheLoad | null = null;
  private ids = 0;

  constructor(sim: Simulation, opts: HostOptions) {
    this.sim = sim;
    this.costs = opts.profile ?? defaultProfile();
    this.variant = typeof opts.variant === 'string' || opts.variant === undefined ? resolveVariant(opts.variant ?? 'v10') : opts.variant;
    this.s = this.variant.strategies;
    this.fp = opts.fastpaths;
    this.mem = opts.fastpaths.host;
    const pages = Math.floor(opts.memoryBytes / PAGE_SIZE);
    if (pages !== this.mem.totalPages) throw new RangeError(`host memory ${opts.memoryBytes} B is ${pages} pages but the fast paths hold ${this.mem.totalPages}`);
    this.metrics = new ModelMetrics(sim.stats);
    this.trail = new EventTrail(opts.trailSize ?? 256);
    this.safety = new SafetyChecker(this, opts.checkSafety ?? true);
    this.trailArgs = this.safety.enabled;
    this.folioLocks = new FolioLocks(this);
    this.maxFaultRetries = opts.maxFaultRetries ?? 10000;
    this.restrictedmemSb = restrictedmem_init(this);
    this.restrictedInodes = this.restrictedmemSb.s_inodes;
    if (opts.initialFragmentation) this.fragment(opts.initialFragmentation);
  }

  /** A unique id for files and VMs (creation order, deterministic). */
  nextId(prefix: string): string {
    return `${prefix}${this.ids++}`;
  }

  /** Record a model event in the trail. */
  event(p: Process | undefined, what: string, args?: TrailEvent['args']): void {
    this.trail.record(this.sim.now, p?.name ?? '-', what, args);
  }

  /** kvm_create_vm: a VM with its mmu_lock, srcu, invalidation state and page table. */
  createVm(opts: VmOptions = {}): Vm {
    const vm = new Vm(this, { ...opts, name: opts.name ?? this.nextId('vm') });
    this.vms.push(vm);
    return vm;
  }

  /** End of run: liveness checks; returns every violation seen. */
  finish(): Violation[] {
    return this.safety.finish();
  }

  get violations(): readonly Violation[] {
    return this.safety.violations;
  }

  /**
   * Fragment memory before the run: take every pageblock as an order-9 block, then give back
   * all but one page of a deterministic fraction of them and all of the rest. Leaves out
   * compaction (there is none in the model), so those pageblocks never yield a huge folio.
   */
  private fragment(fraction: number): void {
    if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`initialFragmentation must be within 0..1, got ${fraction}`);
    const blocks: number[] = [];
    for (;;) {
      const pfn = this.mem.allocPages(9, MIGRATE_MOVABLE);
      if (pfn < 0) break;
      blocks.push(pfn);
    }
    let acc = 0;
    for (const pfn of blocks) {
      acc += fraction;
      if (acc >= 1) {
        acc -= 1;
        this.mem.folioSplit(pfn);
        this.mem.freeContigRange(pfn + 1, 511);
        this.fragmentPins.push(pfn);
      } else {
        this.mem.freePages(pfn, 9);
      }
    }
  }
}

/** Build a host on an existing fast-path instance. */
export function createHost(sim: Simulation, opts: HostOptions): Host {
  return new Host(sim, opts);
}

/**
 * Build the fast paths (WASM when built, else the Map reference, reported in host.fp.impl) and
 * the host on them.
 */
export async function createHostWithFastPaths(sim: Simulation, opts: Omit<HostOptions, 'fastpaths'> & { impl?: 'wasm' | 'ts' | 'ref' }): Promise<Host> {
  const hostPages = Math.floor(opts.memoryBytes / PAGE_SIZE);
  let fastpaths: FastPaths;
  if (opts.impl) fastpaths = await createFastPaths({ hostPages, impl: opts.impl });
  else {
    try {
      fastpaths = await createFastPaths({ hostPages, impl: 'wasm' });
    } catch {
      fastpaths = await createFastPaths({ hostPages, impl: 'ref' });
    }
  }
  return new Host(sim, { ...opts, fastpaths });
}
