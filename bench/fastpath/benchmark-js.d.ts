// The part of benchmark.js (2.1.4, no bundled types) the fast-path benchmark uses.
declare module 'benchmark' {
  interface Stats { mean: number; rme: number; sample: number[] }
  class Benchmark {
    constructor(fn: () => void, options?: { maxTime?: number; minSamples?: number });
    run(): Benchmark;
    stats: Stats;
  }
  export default Benchmark;
}
