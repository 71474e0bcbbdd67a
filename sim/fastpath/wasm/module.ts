// Loads build/rmsim.wasm (built by `npm run build:wasm` from wasm/index.ts) once per process and
// instantiates it; the benchmark loads build/rmsim-bench.wasm (the same plus its drivers) here too. Each instance is one linear memory; V8 reserves ~10 GiB of address space
// per wasm32 memory, so live instances are capped (reuse one through resetAll instead).
import { readFileSync } from 'node:fs';

/** The raw exports of wasm/index.ts. */
export interface RmsimExports {
  memory: WebAssembly.Memory;
  RMSIM_WASM_ABI: WebAssembly.Global;
  init(pages: number): void;
  reinit(pages: number): void;
  reset_all(): void;
  out_ptr(): number;
  bump_start(): number;
  memory_in_use(): number;
  chunks_in_use(): number;
  scratch_alloc(bytes: number): number;
  host_reset(): void;
  host_alloc(order: number, mt: number): number;
  host_free(pfn: number, order: number): number;
  host_free_contig_range(pfn: number, nr: number): number;
  host_free_pages(): number;
  host_free_blocks(mt: number, order: number): number;
  host_pageblock_mt(pfn: number): number;
  folio_order(pfn: number): number;
  folio_refcount(pfn: number): number;
  folio_get(pfn: number): number;
  folio_put(pfn: number): number;
  folio_flags(pfn: number): number;
  folio_set_flags(pfn: number, f: number): number;
  folio_clear_flags(pfn: number, f: number): number;
  folio_split(pfn: number): number;
  pt_new(): number;
  pt_release(h: number): void;
  pt_reset(h: number): void;
  pt_map(h: number, gfn: number, pfn: number, level: number): void;
  pt_walk(h: number, gfn: number): number;
  pt_walk_level(h: number, gfn: number): number;
  pt_zap(h: number, start: number, end: number, freeTables: number): void;
  pt_count(h: number, level: number): number;
  pt_table_count(h: number): number;
  pt_walk_batch(h: number, n: number): void;
  pt_map_batch(h: number, n: number, level: number): void;
  pc_new(): number;
  pc_release(h: number): void;
  pc_reset(h: number): void;
  pc_lookup(h: number, index: number): number;
  pc_lookup_order(h: number, index: number): number;
  pc_insert(h: number, index: number, pfn: number, order: number): number;
  pc_any_in_block(h: number, index: number): number;
  pc_erase(h: number, start: number, end: number, from: number): number;
  pc_collect(h: number, start: number, end: number): number;
  pc_resume_at(): number;
  pc_split(h: number, index: number): void;
  pc_nr_pages(h: number): number;
  pc_lookup_batch(h: number, n: number): void;
  pc_insert_batch(h: number, n: number): void;
  pc_punch(h: number, start: number, end: number): void;
  shmem_get_folio(h: number, index: number, policy: number, iSize: number, mt: number): number;
  get_folio_info(): number;
  shmem_get_folio_write(h: number, index: number, policy: number, iSize: number, mt: number): number;
  pt_map_put(h: number, gfn: number, pfn: number, level: number, folio: number): number;
  shmem_get_folio_range(h: number, start: number, end: number, policy: number, iSize: number, mt: number): void;
  fault_range(pt: number, h: number, gfnStart: number, indexStart: number, count: number,
    policy: number, iSize: number, mt: number, maxLevel: number): void;
  fault_burst(pt: number, h: number, gfnStart: number, indexStart: number, count: number, policy: number, iSize: number,
    mt: number, maxLevel: number, now: number, horizon: number, rng: number, thinkMean: number, costs: number, hist: number): void;
  fb_new(nv: number): number;
  fb_hist_at(a: number, i: number): number;
  fb_hist_clear(a: number, i: number): void;
  fb_flush(a: number): void;
  fb_gauge_at(a: number): number;
  fb_trail_at(a: number): number;
  fb_join(a: number, v: number, vm: number, gfn: number, left: number, gfnBase: number, indexBase: number, pc: number, now: number, key: number,
    inOrder: number, hugeFirst: number, hugeEnd: number, sharedStart: number, sharedEnd: number): void;
  fb_vm_at(a: number, i: number): number;
  fb_run(a: number): void;
  fb_set_cpus(a: number, free: number): void;
  fb_set_cpu(a: number, v: number, onCpu: number, queuedSince: number): void;
  fb_take(a: number, v: number, t: number): number;
  fb_release(a: number, v: number, t: number, key: number): number;
  fb_idle_queue(a: number): number;
  fb_top(a: number): number;
  fb_take_dirty(a: number, j: number): number;
  fb_state(a: number, v: number): number;
  fb_leave(a: number, v: number, handOver: number): void;
  fb_outside(a: number, v: number): number;
}

/** The module files under build/: the release module and the benchmark's (wasm/bench-entry.ts). */
export type WasmBuild = 'rmsim.wasm' | 'rmsim-bench.wasm';

/** The export version of wasm/index.ts these bindings are written for. */
const WASM_ABI = 9;

/** Most instances alive at once (each reserves ~10 GiB of address space). */
export const MAX_INSTANCES = 32;

const compiled = new Map<WasmBuild, WebAssembly.Module>();
let live = 0;
/** When an instance is collected: one fewer alive, and its entry in `made` goes. */
const finalizer = new FinalizationRegistry<WeakRef<RmsimExports>>((ref) => {
  live--;
  made.delete(ref);
});
/** Instances given back with release(), reused before a new one is made (per module). */
const idle = new Map<WasmBuild, RmsimExports[]>();
const buildOf = new WeakMap<RmsimExports, WasmBuild>();
/** Every instance made, held weakly: what instanceMemory() reports. */
const made = new Set<WeakRef<RmsimExports>>();

/** One live instance's linear memory: its size and the bytes its allocators have in use. */
export interface InstanceMemory {
  memory_bytes: number;
  in_use_bytes: number;
  /** Given back with release() and waiting for reuse. */
  idle: boolean;
}

/**
 * The linear memory of every instance not yet collected (benchmarks report it beside peak RSS:
 * a wasm32 memory holds at most 4 GiB, so it says how close a host comes to needing two).
 */
export function instanceMemory(): InstanceMemory[] {
  const out: InstanceMemory[] = [];
  for (const ref of made) {
    const x = ref.deref();
    if (x) out.push({ memory_bytes: x.memory.buffer.byteLength, in_use_bytes: x.memory_in_use(), idle: idle.get(buildOf.get(x) ?? 'rmsim.wasm')?.includes(x) ?? false });
  }
  return out;
}

function wasmModule(file: WasmBuild): WebAssembly.Module {
  let m = compiled.get(file);
  if (!m) {
    const url = new URL(`../../../../build/${file}`, import.meta.url);
    let bytes: Buffer;
    try {
      bytes = readFileSync(url);
    } catch {
      throw new Error(`fast paths: ${url.pathname} is missing; run \`npm run build:wasm\``);
    }
    m = new WebAssembly.Module(new Uint8Array(bytes));
    compiled.set(file, m);
  }
  return m;
}

/** A fresh instance of `file` with its host initialised to `hostPages` pages. */
export function instantiate(hostPages: number, file: WasmBuild = 'rmsim.wasm'): RmsimExports {
  const reused = idle.get(file)?.pop();
  if (reused) {
    reused.reinit(hostPages);
    return reused;
  }
  if (live >= MAX_INSTANCES) {
    throw new Error(`fast paths: ${live} WASM instances alive (cap ${MAX_INSTANCES}); reuse one with resetAll()`);
  }
  const inst = new WebAssembly.Instance(wasmModule(file), {});
  const x = inst.exports as unknown as RmsimExports;
  if (x.RMSIM_WASM_ABI?.value !== WASM_ABI) {
    throw new Error(`fast paths: build/${file} has export version ${x.RMSIM_WASM_ABI?.value}, these bindings need ${WASM_ABI}; run \`npm run build:wasm\``);
  }
  buildOf.set(x, file);
  const ref = new WeakRef(x);
  made.add(ref);
  // Counted alive until the exports object (and with it the memory) is collected.
  live++;
  finalizer.register(x, ref);
  x.init(hostPages);
  return x;
}

/** Give an instance back for reuse (FastPaths.dispose); its owner must not touch it again. */
export function release(x: RmsimExports): void {
  const file = buildOf.get(x) ?? 'rmsim.wasm';
  let pool = idle.get(file);
  if (!pool) idle.set(file, (pool = []));
  if (!pool.includes(x)) pool.push(x);
}
