// The WASM fast paths against their C twins (c/fastpath.c), timed in pairs: a piece of work in
// C, then the same piece in WASM (or the other way round: the order alternates pair by pair),
// so both sides of a ratio run in the same second of this shared machine. What made the old
// best-of-3 ratios swing 1.0-1.37x between runs was time, not code: C ran a whole section
// before and after the WASM passes, seconds apart, and these loops are memory-bound, so a
// neighbour's cache and memory traffic during one side's pass and not the other's moved the
// ratio by as much as the gap being measured (paired pieces on a loaded machine: 0.9-1.6x
// apart, pair to pair). Pieces: the 10^7 walks and buddy ops are cut into `pieces` runs each
// (every piece the same work on both sides: the same keys, the same churn state); map and zap
// (10^6 and 10^3 ops) are repeated `pieces` times on a fresh table. A round is all of that;
// round 0 warms both sides up (first touch of memory, V8 compiling the loops) and is not
// counted. Reported per op: the median of the per-pair ratios and their min/max, and both
// sides' ns per op (median, min, max): the spread shows the noise the median sits in.
import { instantiateBench, type BenchExports } from './bench-module.js';
import type { CReference } from './c-reference.js';
import { cpuNs, quiesce } from './timing.js';
import { BUDDY_HOST_PAGES, BUDDY_SEED, eptOps, type Sizes } from './workloads.js';

export const TWIN_OPS = ['ept_map', 'ept_walk', 'ept_zap_2m', 'buddy_alloc_free'] as const;
export type TwinOp = (typeof TWIN_OPS)[number];

export interface Spread { median: number; min: number; max: number }

export interface TwinStats {
  pairs: number;
  /** ns per op of each side, over the pairs. */
  c_ns: Spread;
  wasm_ns: Spread;
  /** wasm / c per pair. */
  ratio: Spread;
}

export interface CTwinsResult {
  cc: string;
  flags: string[];
  rounds: number;
  pieces: number;
  /** Both sides computed the same: walk sums, leaves zapped, the churn's sum of pfns. */
  results_match: { walk_sum: boolean; zapped: boolean; buddy_sum: boolean };
  ops: Record<TwinOp, TwinStats>;
}

function spread(xs: number[]): Spread {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return { median: s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2, min: s[0]!, max: s[s.length - 1]! };
}

/** Bounds of piece k of `pieces` over n ops. */
const cut = (n: number, pieces: number, k: number): [number, number] => [Math.floor((n * k) / pieces), Math.floor((n * (k + 1)) / pieces)];

const timed = (f: () => void): number => { const t0 = cpuNs(); f(); return cpuNs() - t0; };

/** Run `rounds` counted rounds (after one warm-up round) of every twin op, C against WASM. */
export function runCTwins(c: CReference, z: Sizes, rounds: number, pieces: number, log: (line: string) => void): CTwinsResult {
  const e = eptOps(z);
  const ept = instantiateBench(1024);
  const bud = instantiateBench(BUDDY_HOST_PAGES);
  const samples = Object.fromEntries(TWIN_OPS.map((op) => [op, { c: [] as number[], w: [] as number[] }])) as Record<TwinOp, { c: number[]; w: number[] }>;
  const match = { walk_sum: true, zapped: true, buddy_sum: true };
  let wasmFirst = false;
  let record = false;
  /** One pair: quiet point, then both sides back to back, in the order of the last pair reversed. */
  const pair = (op: TwinOp, n: number, cSide: () => number, wasmSide: () => number) => {
    quiesce();
    let cNs: number;
    let wNs: number;
    if (wasmFirst) { wNs = wasmSide(); cNs = cSide(); } else { cNs = cSide(); wNs = wasmSide(); }
    wasmFirst = !wasmFirst;
    if (record) { samples[op].c.push(cNs / n); samples[op].w.push(wNs / n); }
  };

  let pt = 0;
  let walkKeys = 0;
  let zapStarts = 0;
  let gfnKeys = 0;
  /** A fresh table, the workload's arrays copied in, then the timed map. Fresh right before the
   * map as the C server's ept-map is (its memset leaves the zeroed tables in cache; so does
   * reset_all's memory.fill). */
  const wasmMap = () => {
    ept.reset_all();
    pt = ept.pt_new();
    gfnKeys = copyIn(ept, e.gfns);
    walkKeys = copyIn(ept, e.walks);
    zapStarts = copyIn(ept, e.zaps);
    return timed(() => ept.bench_map_array(pt, gfnKeys, z.map));
  };
  const mapBoth = () => pair('ept_map', z.map, () => c.call('ept-map').ns!, wasmMap);

  for (let r = 0; r <= rounds; r++) {
    record = r > 0;
    log(`C twins: round ${r}${r === 0 ? ' (warm-up)' : ''} of ${rounds}`);
    for (let k = 0; k < pieces; k++) {
      mapBoth();
      const before = ept.pt_count(pt, 1);
      let cZapped = 0;
      pair('ept_zap_2m', z.zap, () => { const a = c.call('ept-zap'); cZapped = a.zapped!; return a.ns!; },
        () => timed(() => ept.bench_zap_array(pt, zapStarts, z.zap, 512)));
      match.zapped &&= before - ept.pt_count(pt, 1) === cZapped;
    }
    mapBoth(); // the table the walks run on
    for (let k = 0; k < pieces; k++) {
      const [from, to] = cut(z.walk, pieces, k);
      let cSum = 0;
      let wSum = 0;
      pair('ept_walk', to - from, () => { const a = c.call(`ept-walk ${from} ${to}`); cSum = a.sum!; return a.ns!; },
        () => timed(() => { wSum = ept.bench_walk_array(pt, walkKeys + 4 * from, to - from); }));
      match.walk_sum &&= cSum === wSum;
    }
    c.call('buddy-reset');
    bud.reset_all();
    bud.bench_buddy_churn_start(z.buddy, BUDDY_SEED);
    for (let k = 0; k < pieces; k++) {
      const [from, to] = cut(z.buddy, pieces, k);
      let cSum = 0;
      let wSum = 0;
      pair('buddy_alloc_free', to - from, () => { const a = c.call(`buddy ${to - from}`); cSum = a.sum!; return a.ns!; },
        () => timed(() => { wSum = bud.bench_buddy_churn_steps(to - from); }));
      match.buddy_sum &&= cSum === wSum;
    }
  }
  const ops = Object.fromEntries(TWIN_OPS.map((op) => {
    const s = samples[op];
    return [op, { pairs: s.c.length, c_ns: spread(s.c), wasm_ns: spread(s.w), ratio: spread(s.w.map((w, i) => w / s.c[i]!)) }];
  })) as Record<TwinOp, TwinStats>;
  return { cc: c.cc, flags: c.flags, rounds, pieces, results_match: match, ops };
}

function copyIn(x: BenchExports, a: Uint32Array): number {
  const p = x.scratch_alloc(a.byteLength);
  new Uint32Array(x.memory.buffer, p, a.length).set(a);
  return p;
}
