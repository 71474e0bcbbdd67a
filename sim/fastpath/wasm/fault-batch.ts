// The fault batch's area in a WASM instance (wasm/fault-batch.ts), as FaultBatchArea: typed
// views of its header, histograms, queue-length points and trail, renewed whenever memory.grow
// detached the old buffer (a batch's faults allocate page-table chunks).
import { FB, FB_M, type FaultBatchArea, type PageCache, type PageTable, type ThpPolicy } from '../api.js';
import { policyCode } from './index.js';
import { UsageError } from '../../errors.js';
import type { RmsimExports } from './module.js';
import { WasmPageCache, WasmPageTable } from './structures.js';

const HEADER_SLOTS = 80;
const HIST_SLOTS = FB.BUCKETS + 5;
const VM_SLOTS = 15;

export class WasmFaultBatch implements FaultBatchArea {
  private readonly a: number;
  private buf: ArrayBuffer | undefined;
  private head = new Float64Array(0);
  private readonly hists: Float64Array[] = [];
  private gauge = new Float64Array(0);
  private ring = new Float64Array(0);
  /** VM i's slots, made once per buffer. */
  private readonly vms: Float64Array[] = [];
  private readonly histAt: number[];
  private readonly gaugeAt: number;
  private readonly trailAt: number;

  constructor(private readonly x: RmsimExports, nv: number) {
    this.a = x.fb_new(nv);
    this.histAt = [0, 1, 2, 3, 4].map((i) => x.fb_hist_at(this.a, i));
    this.gaugeAt = x.fb_gauge_at(this.a);
    this.trailAt = x.fb_trail_at(this.a);
  }

  /**
   * The views again if memory grew: growing detaches the old buffer, and every view of a
   * detached buffer has length 0 (a test much cheaper than reading memory.buffer, which V8 makes
   * a call; the batch reads the header several times per run).
   */
  private renew(): void {
    if (this.head.length !== 0) return;
    const b = this.x.memory.buffer;
    this.buf = b;
    this.head = new Float64Array(b, this.a, HEADER_SLOTS);
    for (let i = 0; i < this.histAt.length; i++) this.hists[i] = new Float64Array(b, this.histAt[i]!, HIST_SLOTS);
    this.gauge = new Float64Array(b, this.gaugeAt, 2 * FB.GAUGE_CAP);
    this.ring = new Float64Array(b, this.trailAt, 2 * FB.TRAIL_CAP);
  }

  header(): Float64Array { this.renew(); return this.head; }
  setPolicy(policy: ThpPolicy): void {
    this.header()[FB.POLICY] = policyCode(policy);
  }
  vm(i: number): Float64Array {
    this.renew();
    let view = this.vms[i];
    if (view === undefined || view.length === 0) this.vms[i] = view = new Float64Array(this.buf!, this.x.fb_vm_at(this.a, i), VM_SLOTS);
    return view;
  }
  setPageTable(i: number, pt: PageTable): void {
    if (!(pt instanceof WasmPageTable)) throw new UsageError('fast paths: structure from another implementation');
    this.vm(i)[FB_M.PT] = pt.handle;
  }
  join(v: number, vm: number, gfn: number, left: number, gfnBase: number, indexBase: number, cache: PageCache, now: number, key: number,
    hugeFirst: number, hugeEnd: number, inOrder = true, sharedStart = 0, sharedEnd = 0): void {
    if (!(cache instanceof WasmPageCache)) throw new UsageError('fast paths: structure from another implementation');
    this.x.fb_join(this.a, v, vm, gfn, left, gfnBase, indexBase, cache.handle, now, key, inOrder ? 1 : 0, hugeFirst, hugeEnd, sharedStart, sharedEnd);
  }
  run(): void { this.x.fb_run(this.a); }
  top(): number { return this.x.fb_top(this.a); }
  /** Histogram i, exact: the runs of equal values the area holds back are recorded first. */
  histogram(i: number): Float64Array {
    this.x.fb_flush(this.a);
    this.renew();
    return this.hists[i]!;
  }
  clearHistogram(i: number): void { this.x.fb_hist_clear(this.a, i); }
  gaugePoints(): Float64Array { this.renew(); return this.gauge; }
  trail(): Float64Array { this.renew(); return this.ring; }
  takeDirty(j: number): number { return this.x.fb_take_dirty(this.a, j); }
  setCpus(free: number): void { this.x.fb_set_cpus(this.a, free); }
  setCpu(v: number, onCpu: boolean, queuedSince: number): void { this.x.fb_set_cpu(this.a, v, onCpu ? 1 : 0, queuedSince); }
  take(v: number, t: number): boolean { return this.x.fb_take(this.a, v, t) !== 0; }
  release(v: number, t: number, key: number): number { return this.x.fb_release(this.a, v, t, key); }
  idleQueue(): boolean { return this.x.fb_idle_queue(this.a) !== 0; }
  state(v: number): -1 | 0 | 1 | 2 { return this.x.fb_state(this.a, v) as -1 | 0 | 1 | 2; }
  leave(v: number, handOver: boolean): void { this.x.fb_leave(this.a, v, handOver ? 1 : 0); }
  outside(v: number): boolean { return this.x.fb_outside(this.a, v) !== 0; }
}
