// Loads build/rmsim.wasm (built by `npm run build:wasm` from wasm/) once per process and
// instantiates it. Each instance is one linear memory; V8 reserves ~10 GiB of address space
// per wasm32 memory, so live instances are capped (reuse one through resetAll instead).
import { readFileSync } from 'node:fs';

/** The raw exports of wasm/index.ts. */
export interface RmsimExports {
  memory: WebAssembly.Memory;
  init(pages: number): void;
  reinit(pages: number): void;
  reset_all(): void;
  out_ptr(): number;
  bump_start(): number;
  memory_in_use(): number;
  chunks_in_use(): number;
  host_reset(): void;
  host_alloc(order: number, mt: number): number;
  host_free(pfn: number, order: number): number;
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
  shmem_get_folio_range(h: number, start: number, end: number, policy: number, iSize: number, mt: number): void;
  fault_range(pt: number, h: number, gfnStart: number, indexStart: number, count: number,
    policy: number, iSize: number, mt: number, maxLevel: number): void;
  fault_burst(pt: number, h: number, gfnStart: number, indexStart: number, count: number, policy: number, iSize: number,
    mt: number, maxLevel: number, now: number, horizon: number, rng: number, thinkMean: number, costs: number, hist: number): void;
  // benchmark drivers (wasm/bench.ts)
  bench_scratch(bytes: number): number;
  bench_map_array(h: number, gfns: number, n: number): void;
  bench_walk_array(h: number, gfns: number, n: number): number;
  bench_insert_array(h: number, idx: number, pfns: number, orders: number, n: number): number;
  bench_lookup_array(h: number, idx: number, n: number): number;
  bench_buddy_churn(n: number, seed: number): number;
  bench_zap_array(h: number, starts: number, n: number, len: number): void;
  bench_erase_array(h: number, starts: number, n: number, len: number): void;
}

/** Most instances alive at once (each reserves ~10 GiB of address space). */
export const MAX_INSTANCES = 32;

let compiled: WebAssembly.Module | undefined;
let live = 0;
const finalizer = new FinalizationRegistry<void>(() => { live--; });
/** Instances given back with release(), reused before a new one is made. */
const idle: RmsimExports[] = [];

function wasmModule(): WebAssembly.Module {
  if (!compiled) {
    const url = new URL('../../../../build/rmsim.wasm', import.meta.url);
    let bytes: Buffer;
    try {
      bytes = readFileSync(url);
    } catch {
      throw new Error(`fast paths: ${url.pathname} is missing; run \`npm run build:wasm\``);
    }
    compiled = new WebAssembly.Module(new Uint8Array(bytes));
  }
  return compiled;
}

/** A fresh instance with its host initialised to `hostPages` pages. */
export function instantiate(hostPages: number): RmsimExports {
  const reused = idle.pop();
  if (reused) {
    reused.reinit(hostPages);
    return reused;
  }
  if (live >= MAX_INSTANCES) {
    throw new Error(`fast paths: ${live} WASM instances alive (cap ${MAX_INSTANCES}); reuse one with resetAll()`);
  }
  const inst = new WebAssembly.Instance(wasmModule(), {});
  const x = inst.exports as unknown as RmsimExports;
  // Counted alive until the exports object (and with it the memory) is collected.
  live++;
  finalizer.register(x, undefined);
  x.init(hostPages);
  return x;
}

/** Give an instance back for reuse (FastPaths.dispose); its owner must not touch it again. */
export function release(x: RmsimExports): void {
  if (!idle.includes(x)) idle.push(x);
}
