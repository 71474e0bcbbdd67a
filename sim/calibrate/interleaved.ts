// Calibration and validation in one run (`rmsim validate --calibrate`): rounds of a probe pass
// then every sequence, so whatever the host does meanwhile (load from other work, the
// hypervisor taking memory back, frequency) weighs on the probe rows and on the sequences
// alike. A calibration taken minutes before a validation drifts with the host: on this
// repository's nested AMD EPYC host the kernel's own totals for one sequence moved 0.70-1.55x
// between two idle runs (bench/results/validation/README.md). The rounds' probe rows alone are
// fitted, each round apart and each cost the median over the rounds (fit-profile.ts
// fitProfileRounds: the rules read probe rows, never a sequence); the rounds' repetitions of each sequence are
// pooled into one measurement (repetitions.ts), whose spread is the noise floor validation
// reports next to each error.
import { concatRecordings } from './fit-profile.js';
import { poolMeasurements } from './repetitions.js';
import { needsKvm } from './sequences.js';
import type { KernelSequence, ProbeRecording, ProbeRow, SequenceMeasurement } from './types.js';
import type { SequenceExecutor } from './validate.js';

export interface InterleavedRunners {
  /** One calibration round's probe pass (round from 0). */
  probe(round: number): Promise<ProbeRecording>;
  /** Repetitions of one sequence on the kernel, every repetition kept (`reps_op_ns`). */
  execute: SequenceExecutor;
}

export interface InterleavedOptions {
  rounds: number;
  /** Repetitions of each sequence per round. */
  repsPerRound: number;
  /** /dev/kvm with guest_memfd usable: sequences that need it are left out otherwise (validation skips them with why). */
  kvm: boolean;
  /** The pooled recording's command (provenance). */
  command: string;
  /** Before each step: the round (from 0), the rounds, and what comes ('probe' or a sequence's name). */
  onStep?: (round: number, rounds: number, what: string) => void;
}

export interface InterleavedRun {
  /** Every round's probe rows pooled (per row the samples of every round). */
  recording: ProbeRecording;
  /** The rounds' recordings one after the other (round_starts): what the fit reads, round by round (fit-profile.ts fitProfileRounds). */
  rounds: ProbeRecording;
  /** Per sequence, every round's repetitions pooled. */
  measured: Map<string, SequenceMeasurement>;
}

export async function runInterleaved(seqs: KernelSequence[], runners: InterleavedRunners, o: InterleavedOptions): Promise<InterleavedRun> {
  if (!Number.isInteger(o.rounds) || o.rounds < 1) throw new RangeError(`rounds must be a positive integer (got ${o.rounds})`);
  const recordings: ProbeRecording[] = [];
  const taken = new Map<string, SequenceMeasurement[]>();
  for (let round = 0; round < o.rounds; round++) {
    o.onStep?.(round, o.rounds, 'probe');
    recordings.push(await runners.probe(round));
    for (const seq of seqs) {
      if (needsKvm(seq) && !o.kvm) continue;
      o.onStep?.(round, o.rounds, seq.name);
      const m = await runners.execute(seq, { reps: o.repsPerRound });
      taken.set(seq.name, [...(taken.get(seq.name) ?? []), m]);
    }
  }
  const measured = new Map([...taken].map(([name, ms]) => [name, poolMeasurements(name, ms)]));
  return { recording: poolRecordings(recordings, o.command), rounds: concatRecordings(recordings, o.command), measured };
}

/** An executor handing back the pooled measurements (validate.ts runValidation's input). */
export function pooledExecutor(run: InterleavedRun): SequenceExecutor {
  return async (seq) => {
    const m = run.measured.get(seq.name);
    if (!m) throw new Error(`sequence '${seq.name}' was not run in the rounds`);
    return m;
  };
}

/** Rows are one quantity when probe, backend and parameters (but the repetition count) agree. */
function rowKey(r: ProbeRow): string {
  const params = Object.entries(r.params).filter(([k]) => k !== 'reps').sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify([r.probe, r.backend, params]);
}

/**
 * One recording of several rounds' probe passes on one host: a row measured in several rounds
 * becomes one row with every round's samples, in round order. Two-puncher rows stay one row per
 * pass (the fit reads each pass's regime and hand-overs apart), marked with their `round`.
 * Host and date are the first round's; what any round skipped is listed once.
 */
export function poolRecordings(recs: ProbeRecording[], command: string): ProbeRecording {
  if (recs.length === 0) throw new RangeError('no probe recordings to pool');
  const rows: ProbeRow[] = [];
  const byKey = new Map<string, ProbeRow>();
  recs.forEach((rec, round) => {
    for (const row of rec.rows) {
      if (row.probe === 'two_punchers' || row.punches) {
        rows.push({ ...row, params: { ...row.params, round: round + 1 } });
        continue;
      }
      const had = byKey.get(rowKey(row));
      if (had) {
        had.samples_ns.push(...row.samples_ns);
        if ('reps' in had.params) had.params.reps = had.samples_ns.length;
        continue;
      }
      const copy: ProbeRow = { ...row, params: { ...row.params }, samples_ns: [...row.samples_ns] };
      byKey.set(rowKey(row), copy);
      rows.push(copy);
    }
  });
  const skipped = [...new Map(recs.flatMap((r) => r.skipped).map((s) => [`${s.what}\n${s.why}`, s])).values()];
  return { schema: 'rmsim.probe/1', host: recs[0].host, command, rows, skipped };
}
