// The benchmark's WASM module, build/rmsim-bench.wasm (entry wasm/bench-entry.ts): the release
// API of build/rmsim.wasm plus the array-driven loops of wasm/bench.ts that time each fast path
// inside WASM as the C reference's loops do. The release module carries none of them.
import { instantiate, type RmsimExports } from '../../sim/fastpath/wasm/module.js';

export interface BenchExports extends RmsimExports {
  bench_map_array(h: number, gfns: number, n: number): void;
  bench_walk_array(h: number, gfns: number, n: number): number;
  bench_insert_array(h: number, idx: number, pfns: number, orders: number, n: number): number;
  bench_lookup_array(h: number, idx: number, n: number): number;
  bench_buddy_churn(n: number, seed: number): number;
  bench_buddy_churn_start(n: number, seed: number): void;
  bench_buddy_churn_steps(steps: number): number;
  bench_zap_array(h: number, starts: number, n: number, len: number): void;
  bench_erase_array(h: number, starts: number, n: number, len: number): void;
  bench_walk_many_array(h: number, keys: number, out: number, n: number, withOffset: number): number;
  bench_map_many_array(h: number, gfns: number, pfns: number, n: number): void;
}

/** An instance of the benchmark module with its host initialised to `hostPages` pages. */
export function instantiateBench(hostPages: number): BenchExports {
  return instantiate(hostPages, 'rmsim-bench.wasm') as BenchExports;
}
