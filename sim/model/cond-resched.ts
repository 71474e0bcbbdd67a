// cond_resched() inside a long kernel section (include/linux/sched.h, __cond_resched): when a
// task became runnable on this CPU meanwhile (need_resched set by its wake-up), the section's
// task gives the CPU up there, for as long as that task runs, and keeps every sleeping lock it
// holds. An rwsem writer spinning on it then sees its owner off CPU (rwsem_spin_on_owner:
// !owner_on_cpu) and goes to sleep, which is how a run of lock stealing starts between two
// punchers of one file (bench/kernel-probe/README.md). A 4 KiB punch has one batch and a hold of
// well under 1 us, so a wake-up almost never lands inside it (it is served at the return to user
// space, after the release); a 2 MiB punch holds the lock for tens of us with a cond_resched
// after every batch of folios.
//
// Wake-ups on a CPU are taken as a Poisson process (`sched.resched_interval_ns` apart on
// average, 0 = none: an idle host), drawn per process from `sched/<process>/resched`; the woken
// task runs `sched.preempt_run_ns`. Leaves out wake-ups outside such sections (served at the
// return to user space, outside the lock) and the woken task's placement on the other CPU.
import type { Process } from '../engine/index.js';
import { detLog } from '../engine/index.js';
import type { Host } from './host.js';
import { charge } from './charge.js';

/**
 * Charge `ns` of work split into `points` batches, each followed by cond_resched(): at the first
 * point after a wake-up the process leaves its CPU for sched.preempt_run_ns, then finishes the
 * work. With no points or no wake-ups, one charge as before (no draw).
 */
export function* chargeWithCondResched(p: Process, host: Host, ns: number, points: number): Generator<any, void, any> {
  const t = Math.round(ns);
  const mean = host.costs.ns('sched.resched_interval_ns');
  if (points <= 0 || mean <= 0 || t <= 0) {
    yield* charge(p, t);
    return;
  }
  // Memoryless: the next wake-up is Exp(mean) from the start of this section.
  const at = -mean * detLog(host.sim.rng(`sched/${p.name}/resched`).uniform01());
  const step = t / points;
  const k = Math.ceil(at / step);
  if (k > points) {
    yield* charge(p, t);
    return;
  }
  const before = Math.round(k * step);
  yield* charge(p, before);
  yield p.sleep(Math.max(1, Math.round(host.costs.ns('sched.preempt_run_ns'))));
  yield* charge(p, t - before);
}
