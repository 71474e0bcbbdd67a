// Per-lock statistics, shared by every instance with the same name and labels:
// <name>.acquisitions, <name>.contended (counters), <name>.wait_ns, <name>.hold_ns (histograms),
// <name>.queue_len (time-weighted gauge with series). Reader/writer locks add {mode=read|write}
// to all but queue_len (one queue).
import type { Counter, Gauge, Labels } from '../recorder.js';
import type { Histogram } from '../histogram.js';
import type { Simulation } from '../simulation.js';

export interface LockOptions {
  /** Extra labels keep instances' statistics apart, e.g. { vm: '0' }. */
  labels?: Labels;
}

export class ModeStats {
  readonly acquisitions: Counter;
  readonly contended: Counter;
  readonly wait: Histogram;
  readonly hold: Histogram;
  constructor(sim: Simulation, name: string, labels: Labels | undefined) {
    this.acquisitions = sim.stats.counter(`${name}.acquisitions`, labels);
    this.contended = sim.stats.counter(`${name}.contended`, labels);
    this.wait = sim.stats.histogram(`${name}.wait_ns`, labels);
    this.hold = sim.stats.histogram(`${name}.hold_ns`, labels);
  }
}

export function modeLabels(labels: Labels | undefined, mode: string): Labels {
  return { ...(labels ?? {}), mode };
}

export function queueGauge(sim: Simulation, name: string, labels: Labels | undefined): Gauge {
  return sim.stats.gauge(`${name}.queue_len`, labels);
}
