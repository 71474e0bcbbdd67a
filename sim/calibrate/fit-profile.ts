// A cost profile for the host a probe recording was made on: every cost the fit rules reach is
// refitted from the recording (fit-rules.ts), every other cost keeps the base profile's value
// and is marked kept with why, and the host block says where and when the recording was made.
import type { CostEntry, CostProfileFile, FittedCost } from '../costs/schema.js';
import { fitRepetitions } from './least-squares.js';
import { parseProfile } from '../costs/profile.js';
import { FIT_RULES, type FitContext, type FitRule } from './fit-rules.js';
import type { ProbeRecording } from './types.js';

export interface ProfileFit {
  profile: CostProfileFile;
  fitted: string[];
  kept: string[];
  /** Rules that could not run, with why (missing rows): their costs are kept. */
  notFitted: { costs: string[]; why: string }[];
}

export interface FitOptions {
  name?: string;
  /** The rules to apply (default FIT_RULES); tests pass subsets. */
  rules?: FitRule[];
}

const NOT_REACHED = 'not reached by the probe: an assumption, a split of one measured figure, or a figure the probe does not measure; kept from the base profile';

/** A profile's entry for a fitted name: `lock.x` names lockCosts.x, any other name costs[name]. */
export function costEntryOf(file: CostProfileFile, name: string): CostEntry | undefined {
  return name.startsWith('lock.') ? (file.lockCosts as Record<string, CostEntry>)[name.slice(5)] : file.costs[name];
}

/** Fit `base` to the recording's host. The result passes the cost-profile schema (checked). */
export function fitProfile(rec: ProbeRecording, base: CostProfileFile, opts: FitOptions = {}): ProfileFit {
  const out: CostProfileFile = JSON.parse(JSON.stringify(base));
  delete out.calibration; // the base's measured figures describe its own host, not this one
  const ctx: FitContext = {
    rec,
    value(name) {
      const e = costEntryOf(out, name);
      if (!e) throw new Error(`fit rule reads unknown cost ${name}`);
      return e.value;
    },
  };
  const fitted: string[] = [];
  const notFitted: ProfileFit['notFitted'] = [];
  const where = `${rec.host.cpu_model}, kernel ${rec.host.kernel}, ${rec.host.date}`;
  for (const rule of opts.rules ?? FIT_RULES) {
    let values;
    try {
      values = rule.fit(ctx);
    } catch (err) {
      notFitted.push({ costs: rule.sets, why: (err as Error).message });
      continue;
    }
    for (const v of values) {
      const e = costEntryOf(out, v.name);
      if (!e) throw new Error(`fit rule sets unknown cost ${v.name}`);
      Object.assign(e, { value: v.value, kind: 'measured', source: `rmsim calibrate on ${where}: ${v.source}`, fit: v.fit });
      fitted.push(v.name);
    }
  }
  const kept: string[] = [];
  const why = new Map(notFitted.flatMap((n) => n.costs.map((c) => [c, `the probe rows this cost is fitted from are missing (${n.why}); kept from the base profile`] as const)));
  const mark = (name: string, e: CostEntry) => {
    if (e.fit?.status === 'fitted' && fitted.includes(name)) return;
    e.fit = { status: 'kept', why: why.get(name) ?? NOT_REACHED };
    kept.push(name);
  };
  for (const [name, e] of Object.entries(out.lockCosts)) mark(`lock.${name}`, e as CostEntry);
  for (const [name, e] of Object.entries(out.costs)) mark(name, e);
  out.name = opts.name ?? `calibrated-${slug(rec.host.cpu_model)}-${rec.host.kernel}`;
  out.description = `Fitted by rmsim calibrate from a probe recording of ${where} (${fitted.length} costs fitted, ${kept.length} kept from ${base.name}). Recording: ${rec.command}`;
  out.host = {
    cpu: rec.host.cpu_model,
    kernel: rec.host.kernel,
    cpus: rec.host.online_cpus,
    measured_by: 'rmsim calibrate (the kernel probe, medians per row)',
    source: `probe recording made ${rec.host.date}`,
    note: `base profile ${base.name}; nested: ${rec.host.nested}; /dev/kvm: ${rec.host.kvm}; guest_memfd: ${rec.host.guest_memfd}; shmem_enabled: ${rec.host.shmem_enabled}${rec.host.caches ? `; caches: ${rec.host.caches}` : ''}${rec.skipped.length ? `; skipped: ${rec.skipped.map((s) => `${s.what} (${s.why})`).join('; ')}` : ''}`,
    cpu_model: rec.host.cpu_model,
    kernel_release: rec.host.kernel,
    nested: rec.host.nested,
    date: rec.host.date,
  };
  parseProfile(out, `fitted profile ${out.name}`);
  return { profile: out, fitted, kept, notFitted };
}

function slug(s: string): string {
  return s.toLowerCase().replace(/\(r\)|\(tm\)|processor|cpu/g, '').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/** Runs of the probe made one after the other, as one recording that keeps where each run starts (ProbeRecording.round_starts). */
export function concatRecordings(recs: ProbeRecording[], command: string): ProbeRecording {
  if (recs.length === 0) throw new RangeError('no probe recordings to join');
  const round_starts: number[] = [];
  const rows: ProbeRecording['rows'] = [];
  for (const r of recs) {
    round_starts.push(rows.length);
    rows.push(...r.rows);
  }
  const skipped = [...new Map(recs.flatMap((r) => r.skipped).map((s) => [`${s.what}\n${s.why}`, s])).values()];
  return { schema: 'rmsim.probe/1', host: recs[0].host, command, rows, skipped, round_starts };
}

/** The rounds of a recording (one recording when it has no round_starts). */
export function splitRounds(rec: ProbeRecording): ProbeRecording[] {
  const starts = rec.round_starts ?? [0];
  return starts.map((s, i) => ({ ...rec, rows: rec.rows.slice(s, starts[i + 1] ?? rec.rows.length), round_starts: undefined }));
}

/**
 * Fit each round of the recording alone (fitProfile) and give each cost the median of its
 * rounds' values: a round the host ran in a slow or fast spell (every row of it some 20-40%
 * off, seen on the AMD EPYC host between runs minutes apart) moves a mean of the rows or a fit
 * of their pooled samples, not the median of three. The entry keeps the rounds' values
 * (fit.rounds), their spread as its standard error (1.2533 sd / sqrt k) and the method and rows of
 * the round nearest the median. A cost no round could fit is kept, as in fitProfile.
 */
export function fitProfileRounds(rec: ProbeRecording, base: CostProfileFile, opts: FitOptions = {}): ProfileFit {
  const rounds = splitRounds(rec);
  if (rounds.length < 2) return fitProfile(rec, base, opts);
  const fits = rounds.map((r) => fitProfile(r, base, opts));
  const merged = fitProfile(rec, base, opts); // the template: host, kept marks, names
  const out = merged.profile;
  const fitted: string[] = [];
  for (const name of new Set(fits.flatMap((f) => f.fitted))) {
    const entries = fits.map((f) => costEntryOf(f.profile, name)).filter((e): e is CostEntry => e?.fit?.status === 'fitted');
    const values = entries.map((e) => e.value);
    const m = fitRepetitions(values);
    const nearest = entries.reduce((a, e) => (Math.abs(e.value - m.value) < Math.abs(a.value - m.value) ? e : a));
    const fit = nearest.fit as FittedCost;
    const target = costEntryOf(out, name)!;
    Object.assign(target, {
      // Lock costs are whole ns (or ppm): the median of an even count of rounds can end in .5.
      value: name.startsWith('lock.') ? Math.round(m.value) : Math.round(m.value * 100) / 100,
      kind: 'measured',
      source: nearest.source,
      fit: { ...fit, method: `median over ${values.length} rounds of the probe of: ${fit.method}`, n: entries.reduce((s, e) => s + (e.fit as FittedCost).n, 0), se: Math.round(m.se * 100) / 100, rounds: values },
    });
    fitted.push(name);
  }
  const notFitted = merged.notFitted.filter((n) => !n.costs.some((c) => fitted.includes(c)));
  const kept = merged.kept.filter((c) => !fitted.includes(c));
  for (const name of merged.fitted.filter((c) => !fitted.includes(c))) {
    // fitted from the rounds pooled only (no single round had its rows): keep the pooled value
    fitted.push(name);
  }
  out.description = `${out.description} Each cost is the median of its fits to ${rounds.length} rounds of the probe.`;
  parseProfile(out, `fitted profile ${out.name}`);
  return { profile: out, fitted, kept, notFitted };
}
