// Self-test module: exposes the shared RNG, detmath and bucketing to the TS test that
// checks they match the engine bit for bit (test/engine/wasm-twin.test.ts).
import { detExp, detLog } from './detmath';
import { rngBelow, rngExponential, rngLognormal, rngNextU32, rngUniform01 } from './rng';
import { bucketIndex } from './histogram';

const state = memory.data(16);

export function seed(a: u32, b: u32, c: u32, d: u32): void {
  store<u32>(state, a, 0);
  store<u32>(state, b, 4);
  store<u32>(state, c, 8);
  store<u32>(state, d, 12);
}

export function nextU32(): u32 { return rngNextU32(state); }
export function uniform01(): f64 { return rngUniform01(state); }
export function exponential(mean: f64): f64 { return rngExponential(state, mean); }
export function lognormal(median: f64, sigma: f64): f64 { return rngLognormal(state, median, sigma); }
export function below(n: f64): f64 { return rngBelow(state, n); }
export function log(x: f64): f64 { return detLog(x); }
export function exp(x: f64): f64 { return detExp(x); }
export function bucket(v: f64): i32 { return bucketIndex(v > 0 ? <u64>v : 0); }
