// Array-driven loops for the benchmark (bench/fastpath): the same work as the C reference's
// loops, inside WASM, over arrays the benchmark copies into scratch memory (scratch_alloc).
// Built only into build/rmsim-bench.wasm (bench-entry.ts), never into the release module.
import { bumpAlloc } from './mem';
import { eptMap, eptMapMany, eptRootAddr, eptWalkFrom, eptZap } from './ept';
import { pcInsert, pcLookup, pcErase } from './pagecache';
import { allocPages, freePagesAt } from './buddy';
import { walkMany } from './walk-many';

/** map(gfns[i], i, 4 KiB) for i < n. */
export function mapArray(h: u32, gfns: usize, n: u32): void {
  for (let i: u32 = 0; i < n; i++) eptMap(h, load<u32>(gfns + (<usize>i << 2)), i, 1);
}

/** Sum of walk(gfns[i]) (as the C reference sums them). */
export function walkArray(h: u32, gfns: usize, n: u32): f64 {
  let s: i64 = 0;
  const root = eptRootAddr(h);
  for (let i: u32 = 0; i < n; i++) s += <i64>eptWalkFrom(root, load<u32>(gfns + (<usize>i << 2)));
  return <f64>s;
}

/** insert(idx[i], pfn[i], ord[i]); number that succeeded. */
export function insertArray(h: u32, idx: usize, pfns: usize, orders: usize, n: u32): u32 {
  let ok: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const o = <usize>i << 2;
    if (pcInsert(h, load<u32>(idx + o), load<u32>(pfns + o), load<u32>(orders + o))) ok++;
  }
  return ok;
}

/** Sum of lookup(idx[i]). */
export function lookupArray(h: u32, idx: usize, n: u32): f64 {
  let s: i64 = 0;
  for (let i: u32 = 0; i < n; i++) s += <i64>pcLookup(h, load<u32>(idx + (<usize>i << 2)));
  return <f64>s;
}

const BUDDY_ORDERS: StaticArray<u32> = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 9, 9];

/** The churn between calls (buddyChurnStart, buddyChurnSteps): the live blocks' pfns and
 * orders, how many, the xorshift32 state and the sum of the pfns allocated so far. */
let churnPfn: usize = 0;
let churnOrd: usize = 0;
let churnLive: u32 = 0;
let churnX: u32 = 0;
let churnSum: u64 = 0;

/** Start the C reference's buddy churn (xorshift32 from seed) for at most n ops in all. */
export function buddyChurnStart(n: u32, seed: u32): void {
  churnPfn = bumpAlloc(<usize>n << 2, 8);
  churnOrd = bumpAlloc(<usize>n << 2, 8);
  churnLive = 0;
  churnX = seed;
  churnSum = 0;
}

/** The churn's next `steps` mixed alloc/free (as c/fastpath.c buddy_steps); the sum of every
 * pfn allocated since buddyChurnStart. The state is held in locals inside the loop. */
export function buddyChurnSteps(steps: u32): f64 {
  const livePfn = churnPfn;
  const liveOrd = churnOrd;
  let live = churnLive;
  let x = churnX;
  let sum = churnSum;
  for (let i: u32 = 0; i < steps; i++) {
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    if ((x & 1) && live > 0) {
      const k = (x >> 1) % live;
      const kp = <usize>k << 2;
      freePagesAt(load<u32>(livePfn + kp), load<u32>(liveOrd + kp));
      live--;
      store<u32>(livePfn + kp, load<u32>(livePfn + (<usize>live << 2)));
      store<u32>(liveOrd + kp, load<u32>(liveOrd + (<usize>live << 2)));
    } else {
      const o = unchecked(BUDDY_ORDERS[(x >> 8) & 15]);
      const p = allocPages(o, (x >> 16) & 1);
      if (p >= 0) {
        store<u32>(livePfn + (<usize>live << 2), <u32>p);
        store<u32>(liveOrd + (<usize>live << 2), o);
        live++;
        sum += <u64>p;
      }
    }
  }
  churnLive = live;
  churnX = x;
  churnSum = sum;
  return <f64>sum;
}

/** The whole churn of n ops in one call: sum of the pfns allocated. */
export function buddyChurn(n: u32, seed: u32): f64 {
  buddyChurnStart(n, seed);
  return buddyChurnSteps(n);
}

/** zap [starts[i], starts[i] + len) for i < n, leaves only. */
export function zapArray(h: u32, starts: usize, n: u32, len: u32): void {
  for (let i: u32 = 0; i < n; i++) {
    const s = <u64>load<u32>(starts + (<usize>i << 2));
    eptZap(h, s, s + <u64>len, false);
  }
}

/** erase [starts[i], starts[i] + len) for i < n (records into OUT as pc_erase does). */
export function eraseArray(h: u32, starts: usize, n: u32, len: u32): void {
  for (let i: u32 = 0; i < n; i++) {
    const s = <u64>load<u32>(starts + (<usize>i << 2));
    pcErase(h, s, s + <u64>len, 0);
  }
}

/** Sum of the batched walks (withOffset) or lookups of keys[i], results through out[i]. */
export function walkManyArray(h: u32, keys: usize, out: usize, n: u32, withOffset: bool): f64 {
  walkMany(h, keys, out, n, withOffset);
  let s: i64 = 0;
  for (let i: u32 = 0; i < n; i++) s += <i64>load<i32>(out + (<usize>i << 2));
  return <f64>s;
}

/** mapMany(gfns, pfns, 4 KiB) with pfns[i] = i (as mapArray); pfns is scratch the caller gives. */
export function mapManyArray(h: u32, gfns: usize, pfns: usize, n: u32): void {
  for (let i: u32 = 0; i < n; i++) store<u32>(pfns + (<usize>i << 2), i);
  eptMapMany(h, gfns, pfns, n, 1);
}
