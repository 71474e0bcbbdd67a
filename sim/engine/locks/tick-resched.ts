// The scheduler tick against optimistic spinners (mutex_spin_on_owner and rwsem_spin_on_owner
// both stop when need_resched() is set): at each tick on a spinner's CPU a kernel thread or
// other task wakes with chance tick_resched_ppm, and the spinner gives up, queues and sleeps.
// Off (no cost, no draws) unless the lock costs set both tick_ns and tick_resched_ppm.
import type { Process } from '../process.js';
import type { Simulation } from '../simulation.js';
import type { RngStream } from '../rng.js';
import { detLog } from '../detmath.js';

export class TickResched {
  /** Whether ticks end spins at all under this simulation's lock costs. */
  readonly on: boolean;
  private readonly pending = new Map<Process<any>, () => void>();
  private rng: RngStream | null = null;

  constructor(
    private readonly sim: Simulation,
    private readonly lockName: string,
    /** Called at the tick that ends p's spin, if p is still spinning on this lock then. */
    private readonly onResched: (p: Process<any>) => void,
  ) {
    this.on = sim.lockCosts.tick_ns > 0 && sim.lockCosts.tick_resched_ppm > 0;
  }

  /**
   * p starts spinning: its spin ends at the first tick whose Bernoulli(tick_resched_ppm) draw
   * hits, a geometric number of ticks after the next one, drawn from `lock/<name>/tick`.
   */
  arm(p: Process<any>): void {
    if (!this.on) return;
    const c = this.sim.lockCosts;
    const q = c.tick_resched_ppm / 1e6;
    this.rng ??= this.sim.rng(`lock/${this.lockName}/tick`);
    const u = this.rng.uniform01();
    const ticks = q >= 1 ? 1 : 1 + Math.floor(detLog(u) / detLog(1 - q));
    const t = (Math.floor(this.sim.now / c.tick_ns) + ticks) * c.tick_ns;
    if (!Number.isSafeInteger(t)) return;
    this.pending.set(p, this.sim.at(t, () => {
      this.pending.delete(p);
      this.onResched(p);
    }));
  }

  /** p stopped spinning (took the lock, went to sleep, was interrupted). */
  disarm(p: Process<any>): void {
    if (!this.on) return;
    const cancel = this.pending.get(p);
    if (cancel === undefined) return;
    this.pending.delete(p);
    cancel();
  }
}
