// Entry of build/rmsim-bench.wasm: the release API of index.ts plus the benchmark's drivers
// (bench.ts), so `rmsim bench fastpath` times the same code the model runs while the release
// module (build/rmsim.wasm, entry index.ts) carries no benchmark code.
export * from './index';
export {
  mapArray as bench_map_array, walkArray as bench_walk_array, insertArray as bench_insert_array,
  lookupArray as bench_lookup_array, buddyChurn as bench_buddy_churn, buddyChurnStart as bench_buddy_churn_start,
  buddyChurnSteps as bench_buddy_churn_steps, zapArray as bench_zap_array,
  eraseArray as bench_erase_array, walkManyArray as bench_walk_many_array, mapManyArray as bench_map_many_array,
} from './bench';
