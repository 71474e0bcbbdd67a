// A reference model of mutex ordering (kernel/locking/mutex.c), written to be read, not to be
// fast: every rule is one branch, the state is a handful of fields, time advances by one queue
// of timed steps. The fuzz comparison (lock-reference.test.ts) runs the same random scenarios on
// it and on the engine's Mutex and compares every acquisition and release, time and process.
//
// Scope (what the scenarios vary): any number of processes, each a script of
// (gap, hold on or off its CPU) steps; wakeup_ns, spin_poll_ns, cacheline_ns. Fixed: unlimited
// CPUs, no schedule-out cost (sleep_ns 0), no scheduler tick, no interrupts, one lock.
//
// The rules (mutex.c as the engine models it, sim/engine/locks/mutex.ts):
//  1. lock: free and no HANDOFF pending -> taken now.
//  2. else, no HANDOFF pending and the owner on a CPU -> spin (FIFO); else sleep on the wait list (FIFO).
//  3. the owner leaves its CPU (sleeps holding the lock, or is handed it while asleep) -> every spinner sleeps.
//  4. unlock with HANDOFF pending -> the first waiter owns it now and runs wakeup_ns later.
//  5. else unlock -> the first spinner owns it and runs spin_poll_ns + cacheline_ns later; and the
//     first waiter, unless already woken, is woken and retries wakeup_ns later.
//  6. a retry finding the lock free and no HANDOFF -> takes it; else sets HANDOFF and sleeps again, still first.

export interface Step {
  /** Time off CPU before calling mutex_lock. */
  gap: number;
  /** How long the lock is held. */
  hold: number;
  /** Held computing on the CPU (true) or sleeping (false). */
  onCpu: boolean;
}

export interface RefCosts {
  wakeup_ns: number;
  spin_poll_ns: number;
  cacheline_ns: number;
}

/** One line per acquisition or release: `time name acquire|release`. */
export type LockEvent = string;

interface Proc {
  name: string;
  steps: Step[];
  next: number;
  onCpu: boolean;
}

type TimedStep = { t: number; seq: number; run: () => void };

/** Runs the timed steps, earliest first, then in the order they were queued, until none is left. */
function drain(queue: TimedStep[], setNow: (t: number) => void): void {
  while (queue.length > 0) {
    let best = 0;
    for (let i = 1; i < queue.length; i++) {
      const a = queue[i]!;
      const b = queue[best]!;
      if (a.t < b.t || (a.t === b.t && a.seq < b.seq)) best = i;
    }
    const { t, run } = queue.splice(best, 1)[0]!;
    setNow(t);
    run();
  }
}

export function referenceMutex(scripts: Step[][], costs: RefCosts): LockEvent[] {
  const log: LockEvent[] = [];
  // The queue of timed steps: earliest first, then in the order they were queued.
  const queue: TimedStep[] = [];
  let seq = 0;
  let now = 0;
  const at = (t: number, run: () => void) => queue.push({ t, seq: seq++, run });

  let owner: Proc | null = null;
  let handoff = false;
  let woken: Proc | null = null;
  const waiters: Proc[] = [];
  const spinners: Proc[] = [];

  const sleepOnWaitList = (p: Proc) => {
    p.onCpu = false;
    waiters.push(p);
  };
  // rule 3
  const ownerLeavesCpu = (p: Proc) => {
    p.onCpu = false;
    if (owner !== p) return;
    while (spinners.length > 0) sleepOnWaitList(spinners.shift()!);
  };

  const startStep = (p: Proc) => {
    if (p.next >= p.steps.length) return;
    p.onCpu = false;
    at(now + p.steps[p.next]!.gap, () => lock(p));
  };

  const lock = (p: Proc) => {
    p.onCpu = true;
    if (owner === null && !handoff) {
      owner = p; // rule 1
      acquired(p);
    } else if (!handoff && owner !== null && owner.onCpu) {
      spinners.push(p); // rule 2
    } else {
      sleepOnWaitList(p);
    }
  };

  const acquired = (p: Proc) => {
    p.onCpu = true;
    log.push(`${now} ${p.name} acquire`);
    const step = p.steps[p.next]!;
    if (step.onCpu) {
      at(now + step.hold, () => unlock(p));
    } else {
      ownerLeavesCpu(p);
      at(now + step.hold, () => {
        p.onCpu = true;
        unlock(p);
      });
    }
  };

  const unlock = (p: Proc) => {
    log.push(`${now} ${p.name} release`);
    if (handoff) {
      // rule 4
      handoff = false;
      const w = waiters.shift()!;
      owner = w;
      at(now + costs.wakeup_ns, () => acquired(w));
      ownerLeavesCpu(w);
    } else {
      // rule 5
      const s = spinners.shift();
      owner = s ?? null;
      if (s) at(now + costs.spin_poll_ns + costs.cacheline_ns, () => acquired(s));
      if (waiters.length > 0 && woken === null) {
        const w = waiters[0]!;
        woken = w;
        at(now + costs.wakeup_ns, () => retry(w));
      }
    }
    p.next++;
    startStep(p);
  };

  // rule 6
  const retry = (w: Proc) => {
    woken = null;
    if (owner === null && !handoff) {
      waiters.splice(waiters.indexOf(w), 1);
      owner = w;
      acquired(w);
    } else {
      handoff = true;
      w.onCpu = false;
    }
  };

  const procs = scripts.map((steps, i): Proc => ({ name: `p${i}`, steps, next: 0, onCpu: false }));
  for (const p of procs) startStep(p);
  drain(queue, (t) => {
    now = t;
  });
  return log;
}

// ---------------------------------------------------------------------------------------------
// rw_semaphore (kernel/locking/rwsem.c as sim/engine/locks/rwsem.ts models it), same scope plus
// read or write per step and RWSEM_WAIT_TIMEOUT (rwsem_wait_timeout_ns; 4 ms in the kernel,
// counted in ns here: no tick). The rules:
//  1. down_read: no writer, no HANDOFF, nobody on the wait list -> taken now (a waiting writer
//     blocks new readers: writer preference).
//  2. down_write: no writer, no HANDOFF, no readers -> taken now (it may rob a woken waiter).
//  3. else a writer spins (FIFO) while a writer owns the lock on a CPU and no HANDOFF is pending;
//     everyone else sleeps on the wait list (FIFO).
//  4. the write owner leaves its CPU -> spinners (and a HANDOFF spinner) sleep.
//  5. on the last release: a reader at the head that has waited the timeout sets HANDOFF. Without
//     HANDOFF the first spinner owns the lock after spin_poll_ns + cacheline_ns (and a writer at
//     the head, unless woken, is woken to retry). Otherwise the wait list: a writer at the head is
//     handed the lock under HANDOFF (after its spin, or wakeup_ns) or else woken to retry
//     (wakeup_ns); a reader at the head: every queued reader is granted (wakeup_ns), writers skipped.
//  6. a writer's retry: no writer and no readers -> takes it (HANDOFF cleared). Else, past the
//     timeout, it sets HANDOFF; with HANDOFF, first in line and the owner on a CPU, it spins on
//     the owner; else it sleeps again.

export interface RwStep extends Step {
  write: boolean;
}

export interface RwRefCosts extends RefCosts {
  rwsem_wait_timeout_ns: number;
}

interface RwProc {
  name: string;
  steps: RwStep[];
  next: number;
  onCpu: boolean;
  spinning: boolean;
  waitStart: number;
  /** Only the latest timed step of a process counts (a grant replaces a pending retry). */
  token: number;
}

export function referenceRwsem(scripts: RwStep[][], costs: RwRefCosts): LockEvent[] {
  const log: LockEvent[] = [];
  const queue: TimedStep[] = [];
  let seq = 0;
  let now = 0;
  const at = (t: number, run: () => void) => queue.push({ t, seq: seq++, run });
  /** A timed step of process p that a later one replaces. */
  const atFor = (p: RwProc, t: number, run: () => void) => {
    const token = ++p.token;
    at(t, () => {
      if (p.token === token) run();
    });
  };

  let writer: RwProc | null = null;
  let readers = 0;
  let handoff = false;
  let woken: RwProc | null = null;
  let handoffSpinner: RwProc | null = null;
  const waiters: RwProc[] = [];
  const spinners: RwProc[] = [];
  const isWrite = (p: RwProc) => p.steps[p.next]!.write;
  const timedOut = (p: RwProc) => now - p.waitStart >= costs.rwsem_wait_timeout_ns;

  const sleep = (p: RwProc) => {
    p.onCpu = false;
    p.spinning = false;
  };
  const startStep = (p: RwProc) => {
    if (p.next >= p.steps.length) return;
    p.onCpu = false;
    atFor(p, now + p.steps[p.next]!.gap, () => lock(p));
  };
  /** The lock is p's: it runs after its spin (spinning) or after a wake-up (asleep). */
  const grant = (p: RwProc, spinDelay: number) => {
    atFor(p, now + (p.spinning ? spinDelay : costs.wakeup_ns), () => acquired(p));
  };

  const lock = (p: RwProc) => {
    p.onCpu = true;
    if (writer === null && !handoff && (isWrite(p) ? readers === 0 : waiters.length === 0)) {
      if (isWrite(p)) writer = p; // rules 1, 2
      else readers++;
      acquired(p);
      return;
    }
    p.waitStart = now;
    if (isWrite(p) && !handoff && writer !== null && writer.onCpu) {
      p.spinning = true; // rule 3
      spinners.push(p);
    } else {
      sleep(p);
      waiters.push(p);
    }
  };

  const acquired = (p: RwProc) => {
    p.onCpu = true;
    p.spinning = false;
    log.push(`${now} ${p.name} acquire`);
    const step = p.steps[p.next]!;
    if (!step.onCpu) ownerLeavesCpu(p);
    atFor(p, now + step.hold, () => unlock(p));
  };

  // rule 4
  const ownerLeavesCpu = (p: RwProc) => {
    p.onCpu = false;
    if (writer !== p) return;
    while (spinners.length > 0) {
      const s = spinners.shift()!;
      sleep(s);
      waiters.push(s);
    }
    if (handoffSpinner !== null) {
      sleep(handoffSpinner);
      handoffSpinner = null;
    }
  };

  const unlock = (p: RwProc) => {
    p.onCpu = true;
    log.push(`${now} ${p.name} release`);
    if (isWrite(p)) writer = null;
    else readers--;
    if (writer === null && readers === 0) release();
    p.next++;
    startStep(p);
  };

  // rule 5
  const release = () => {
    const h = waiters[0];
    if (h !== undefined && !isWrite(h) && !handoff && timedOut(h)) handoff = true;
    if (!handoff) {
      const s = spinners.shift();
      if (s !== undefined) {
        writer = s;
        grant(s, costs.spin_poll_ns + costs.cacheline_ns);
        if (h !== undefined && isWrite(h) && woken === null) wake(h);
        return;
      }
    }
    if (h === undefined) return;
    if (isWrite(h)) {
      if (handoff) {
        handoff = false;
        waiters.shift();
        writer = h;
        if (woken === h) woken = null;
        const spun = h === handoffSpinner;
        if (spun) handoffSpinner = null;
        grant(h, spun ? costs.spin_poll_ns + costs.cacheline_ns : 0);
        if (!h.onCpu) ownerLeavesCpu(h);
      } else if (woken === null) {
        wake(h);
      }
      return;
    }
    handoff = false;
    for (const w of waiters.filter((x) => !isWrite(x))) {
      waiters.splice(waiters.indexOf(w), 1);
      readers++;
      grant(w, 0);
    }
  };

  const wake = (h: RwProc) => {
    woken = h;
    atFor(h, now + costs.wakeup_ns, () => retry(h));
  };

  // rule 6
  const retry = (p: RwProc) => {
    woken = null;
    p.onCpu = true;
    if (writer === null && readers === 0) {
      waiters.splice(waiters.indexOf(p), 1);
      handoff = false;
      writer = p;
      acquired(p);
      return;
    }
    if (timedOut(p)) handoff = true;
    if (handoff && waiters[0] === p && writer !== null && writer.onCpu) {
      p.spinning = true;
      handoffSpinner = p;
      return;
    }
    sleep(p);
  };

  const procs = scripts.map((steps, i): RwProc => ({ name: `p${i}`, steps, next: 0, onCpu: false, spinning: false, waitStart: 0, token: 0 }));
  for (const p of procs) startStep(p);
  drain(queue, (t) => {
    now = t;
  });
  return log;
}
