// Charging profile costs to the acting process: the only way model code spends simulated time
// on a CPU. Fractional profile values (ns/gfn) are summed first and rounded once per charge.
//
// `yield* charge(p, ns)` behaves as a generator `{ if (t > 0) yield p.compute(t); }` would, but
// without a generator per charge (several per fault, each resumed through every frame above it
// at the compute's end). One iterator serves every charge: `yield*` takes the pending compute
// at once (the first next() right after charge() returns), so at any later next() (the
// compute's end, whichever process charged since) nothing is pending and the charge is over.
import type { Process, Yieldable } from '../engine/index.js';

class ChargeIterator implements Iterator<Yieldable, void, unknown>, Iterable<Yieldable> {
  /** The process whose compute the next next() yields; null once taken (the charge then ends). */
  pending: Process | null = null;
  private readonly step: IteratorYieldResult<Yieldable> = { value: undefined as unknown as Yieldable, done: false };
  private readonly end: IteratorReturnResult<void> = { value: undefined, done: true };

  next(): IteratorResult<Yieldable, void> {
    const p = this.pending;
    if (p === null) return this.end;
    this.pending = null;
    this.step.value = p;
    return this.step;
  }

  /** An interrupt at the compute's yield propagates, as through a generator that does not catch it. */
  throw(err: unknown): IteratorResult<Yieldable, void> {
    throw err;
  }

  return(): IteratorResult<Yieldable, void> {
    return this.end;
  }

  [Symbol.iterator](): this {
    return this;
  }
}

const CHARGE = new ChargeIterator();

/** The shared iterator, checked free: a charge or wait made and never run is a bug. */
function takeIterator(): ChargeIterator {
  const stale = CHARGE.pending;
  if (stale !== null) {
    CHARGE.pending = null; // the bug is reported once; later charges work again
    throw new Error(`charge for ${stale.name} was never run (charge is used only as yield* charge(...))`);
  }
  return CHARGE;
}

/** Busy `ns` on a CPU (rounded to an integer once); nothing when it rounds to zero. Use as `yield* charge(p, ns)`. */
export function charge(p: Process, ns: number): Iterable<Yieldable> {
  const it = takeIterator();
  it.pending = chargeWait(p, ns);
  return it;
}

/**
 * charge's wait for a model state machine (KvmPageFault, KvmSetMemAttributes): the compute, or
 * null when ns rounds to zero and the machine goes straight on.
 */
export function chargeWait(p: Process, ns: number): Process | null {
  const t = Math.round(ns);
  return t > 0 ? p.compute(t) : null;
}

/**
 * One wait on a command the process already holds (a lock request: `p.acquire(...)` returns p),
 * as `yield* waitOn(cmd)`: a model function that only waits once needs no generator of its own.
 */
export function waitOn(cmd: Process): Iterable<Yieldable> {
  const it = takeIterator();
  it.pending = cmd;
  return it;
}
