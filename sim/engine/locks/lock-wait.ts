// The lock-wait protocol every lock in this folder follows: how a contended locker waits (spins,
// pays its schedule-out, sleeps), how it is handed the lock or woken to retry, and what the
// wake-up costs. The engine's dispatch (simulation.ts) turns the scheduled entries back into
// lock calls (LockImpl.acquired / retry); the locks decide who waits and who goes next.
import type { LockImpl, Process } from '../process.js';
import { Phase, Pending, ProcState } from '../process.js';
import type { Simulation } from '../simulation.js';
import { detLog } from '../detmath.js';
import type { Gauge } from '../recorder.js';
import type { Fifo } from '../fifo.js';

/** Mark p as waiting on lock l from now. */
export function beginWait(sim: Simulation, p: Process<any>, l: LockImpl): void {
  p.state = ProcState.WAIT_LOCK;
  p.waitLock = l;
  p.waitStart = sim.now;
}

/** p spins in the FIFO queue of a lock whose waiters never sleep (spinlock, rwlock). */
export function queueSpinner(sim: Simulation, p: Process<any>, l: LockImpl, queue: Fifo<Process<any>>, qlen: Gauge): void {
  beginWait(sim, p, l);
  p.lockPhase = Phase.SPIN;
  queue.push(p);
  qlen.set(queue.length);
}

/** p sleeps on a lock now, with nothing scheduled: it leaves its CPU unless it holds a spinlock. */
export function sleepNow(sim: Simulation, p: Process<any>): void {
  p.lockPhase = Phase.ASLEEP;
  sim.cancelPending(p);
  if (p.atomic === 0) sim.offCpu(p);
}

/** A contended sleeping-lock waiter goes to sleep: schedule-out costs sleep_ns on its CPU. */
export function sleepOut(sim: Simulation, p: Process<any>): void {
  const c = sim.lockCosts.sleep_ns;
  if (c > 0 && p.onCpu === true) {
    p.lockPhase = Phase.SLEEPING_OUT;
    p.sleepOutEnd = sim.now + c;
    sim.scheduleProcess(p, p.sleepOutEnd, Pending.SLEPT_OUT);
  } else {
    sleepNow(sim, p);
  }
}

/**
 * The lock is now reserved for waiter p: it resumes holding it. A spinner takes it after
 * `spinDelayNs` (cache-line transfer); a waiter still paying its schedule-out resumes when that
 * ends (it never left the CPU); a sleeping waiter after wakeup_ns, then via the run queue.
 */
export function grant(sim: Simulation, p: Process<any>, spinDelayNs: number): void {
  const ph = p.lockPhase;
  p.lockPhase = Phase.GRANTED;
  // One scheduleProcess call site (V8 inlines it and the heap's sift once, not three times).
  const t = ph === Phase.SPIN ? sim.now + spinDelayNs : ph === Phase.SLEEPING_OUT ? p.sleepOutEnd : sim.now + wakeDelay(sim, p);
  sim.scheduleProcess(p, t, Pending.LOCK_ACQUIRED);
}

/** Wake the first waiter of a sleeping lock to retry (the lock may be stolen meanwhile). */
export function wakeToRetry(sim: Simulation, p: Process<any>): void {
  const ph = p.lockPhase;
  p.lockPhase = Phase.WOKEN;
  const t = ph === Phase.SLEEPING_OUT ? p.sleepOutEnd : sim.now + wakeDelay(sim, p);
  sim.scheduleProcess(p, t, Pending.LOCK_RETRY);
}

/** Wake-up latency of an off-CPU waiter: wakeup_ns, plus Exp(wakeup_spread_ns) when that is set (nothing drawn when 0). */
export function wakeDelay(sim: Simulation, p: Process<any>): number {
  const c = sim.lockCosts;
  if (c.wakeup_spread_ns <= 0) return c.wakeup_ns;
  const s = (p.wakeRng ??= sim.rng(`lock/wakeup/${p.name}`));
  return c.wakeup_ns + Math.round(-c.wakeup_spread_ns * detLog(s.uniform01()));
}

/** p now owns sleeping lock l (its spinners depend on p staying on CPU, see Simulation.offCpu). */
export function addOwned(p: Process<any>, l: LockImpl): void {
  p.owned.push(l);
  p.nOwned++;
}

/** p no longer owns l (usually the lock it took last: the rest is out of line, off the unlock's hot path). */
export function dropOwned(p: Process<any>, l: LockImpl): void {
  const o = p.owned;
  if (o[o.length - 1] === l) o.pop();
  else dropOwnedInside(o, l);
  p.nOwned--;
}

function dropOwnedInside(o: LockImpl[], l: LockImpl): void {
  o.splice(o.lastIndexOf(l), 1);
}
