// A cost profile for the host a probe recording was made on: every cost the fit rules reach is
// refitted from the recording (fit-rules.ts), every other cost keeps the base profile's value
// and is marked kept with why, and the host block says where and when the recording was made.
import type { CostEntry, CostProfileFile } from '../costs/schema.js';
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

function entryOf(file: CostProfileFile, name: string): CostEntry | undefined {
  return name.startsWith('lock.') ? (file.lockCosts as Record<string, CostEntry>)[name.slice(5)] : file.costs[name];
}

/** Fit `base` to the recording's host. The result passes the cost-profile schema (checked). */
export function fitProfile(rec: ProbeRecording, base: CostProfileFile, opts: FitOptions = {}): ProfileFit {
  const out: CostProfileFile = JSON.parse(JSON.stringify(base));
  delete out.calibration; // the base's measured figures describe its own host, not this one
  const ctx: FitContext = {
    rec,
    value(name) {
      const e = entryOf(out, name);
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
      const e = entryOf(out, v.name);
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
    note: `base profile ${base.name}; nested: ${rec.host.nested}; /dev/kvm: ${rec.host.kvm}; guest_memfd: ${rec.host.guest_memfd}; shmem_enabled: ${rec.host.shmem_enabled}${rec.skipped.length ? `; skipped: ${rec.skipped.map((s) => `${s.what} (${s.why})`).join('; ')}` : ''}`,
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
