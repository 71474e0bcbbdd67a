// The progress bar of `rmsim run` on a terminal: simulated time against the horizon, events
// per second of wall time, and an ETA. Only the CLI creates it, and only on a TTY.
import cliProgress from 'cli-progress';
import { formatDuration } from '../units.js';

export interface Progress {
  update(simNowNs: number, events: number, wallS: number): void;
  stop(): void;
}

/** horizonNs undefined (run until the actors finish): the bar shows time and speed only. */
export function createProgress(horizonNs: number | undefined): Progress {
  const total = horizonNs ?? 0;
  const bar = new cliProgress.SingleBar(
    {
      format: horizonNs
        ? 'simulated {sim} / {horizon} |{bar}| {percentage}% | {rate} events/s | ETA {eta_formatted}'
        : 'simulated {sim} | {events} events | {rate} events/s',
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(Math.max(1, total), 0, { sim: '0ns', horizon: horizonNs ? formatDuration(horizonNs) : '', rate: 0, events: 0 });
  return {
    update(simNowNs, events, wallS) {
      bar.update(horizonNs ? Math.min(simNowNs, total) : 0, {
        sim: formatDuration(simNowNs),
        rate: wallS > 0 ? Math.round(events / wallS) : 0,
        events,
      });
    },
    stop() {
      bar.stop();
    },
  };
}

/** Progress of an experiment: runs done of total, with an ETA. Only the CLI creates it, on a TTY. */
export function createRunsProgress(total: number, label = 'runs'): { update(done: number): void; stop(): void } {
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} {value}/{total} |{bar}| {percentage}% | ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(Math.max(1, total), 0);
  return {
    update(done) {
      bar.update(done);
    },
    stop() {
      bar.stop();
    },
  };
}
