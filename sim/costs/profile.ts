// Loading and reading cost profiles. A profile belongs to one host (docs/kernel-model.md section 7):
// the loader validates it against the schema, refuses one that lacks a cost the model charges,
// and hands the model plain numbers. Overrides (`--set costs.<name>=<value>`) give a new profile.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import type { ValidateFunction } from 'ajv';
import { createAjv } from '../schema.js';
import { UsageError } from '../errors.js';
import { costProfileSchema, type CostProfileFile, type CostEntry, type CostHost } from './schema.js';
import { COST_NAMES, type CostName } from './names.js';

/** The engine's LockCosts (docs/engine-api.md), plain ns. */
export interface LockCostValues {
  sleep_ns: number;
  wakeup_ns: number;
  cacheline_ns: number;
  spin_poll_ns: number;
  srcu_gp_ns: number;
  tick_ns: number;
  tick_resched_ppm: number;
  /** Mean of the exponential spread added to wakeup_ns (0 when the profile has none). */
  wakeup_spread_ns: number;
}

export const DEFAULT_PROFILE_NAME = 'spr-pvm-6.18';

// Compiled on first use: a worker thread handed an already validated profile (sim/run/run-spec.ts)
// never pays for compiling the schema.
let compiled: ValidateFunction | undefined;
const validator = (): ValidateFunction => (compiled ??= createAjv().compile(costProfileSchema));

/** A validated profile: `ns(name)` is what model code charges (fractional ns are rounded by the caller once per operation). */
export class CostProfile {
  readonly name: string;
  readonly host: CostHost;
  readonly lockCosts: LockCostValues;
  readonly file: CostProfileFile;
  private readonly values: Map<string, number>;

  constructor(file: CostProfileFile) {
    this.file = file;
    this.name = file.name;
    this.host = file.host;
    this.lockCosts = {
      sleep_ns: file.lockCosts.sleep_ns.value,
      wakeup_ns: file.lockCosts.wakeup_ns.value,
      cacheline_ns: file.lockCosts.cacheline_ns.value,
      spin_poll_ns: file.lockCosts.spin_poll_ns.value,
      srcu_gp_ns: file.lockCosts.srcu_gp_ns.value,
      tick_ns: file.lockCosts.tick_ns.value,
      tick_resched_ppm: file.lockCosts.tick_resched_ppm.value,
      wakeup_spread_ns: file.lockCosts.wakeup_spread_ns?.value ?? 0,
    };
    this.values = new Map(Object.entries(file.costs).map(([k, e]) => [k, e.value]));
  }

  /** Value of a cost in its unit (ns, ns/page, ...). */
  ns(name: CostName): number {
    const v = this.values.get(name);
    if (v === undefined) throw new UsageError(`cost profile ${this.name}: no cost named ${name}`);
    return v;
  }

  entry(name: string): CostEntry | undefined {
    return this.file.costs[name];
  }

  /** A copy with some values replaced (lock costs by `lock.<name>`), each marked as a user override. */
  withOverrides(overrides: Record<string, number>): CostProfile {
    const copy: CostProfileFile = JSON.parse(JSON.stringify(this.file));
    for (const [key, value] of Object.entries(overrides)) {
      if (!Number.isFinite(value) || value < 0) throw new UsageError(`cost override ${key}: expected a non-negative number, found ${value}`);
      const lock = key.startsWith('lock.') ? key.slice(5) : undefined;
      const target = lock !== undefined ? (copy.lockCosts as Record<string, CostEntry>)[lock] : copy.costs[key];
      if (!target) throw new UsageError(`cost override: no cost named ${key}${suggest(key)}`);
      target.value = value;
      target.kind = 'assumption';
      target.source = 'user override (--set)';
    }
    return new CostProfile(copy);
  }

  /** sha256 of the canonical profile JSON, for run.json. */
  hash(): string {
    return createHash('sha256').update(canonicalJson(this.file)).digest('hex');
  }
}

function suggest(key: string): string {
  const best = [...COST_NAMES].filter((n) => n.split('.')[0] === key.split('.')[0]);
  return best.length ? ` (known ${key.split('.')[0]}.* costs: ${best.join(', ')})` : '';
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Validate parsed JSON as a cost profile; `where` names the source in errors. */
export function parseProfile(data: unknown, where: string): CostProfile {
  const validate = validator();
  if (!validate(data)) {
    const e = validate.errors?.[0];
    throw new UsageError(`${where}: not a cost profile: ${e?.instancePath || '/'} ${e?.message ?? 'invalid'}`);
  }
  const file = data as CostProfileFile;
  const missing = COST_NAMES.filter((n) => !(n in file.costs));
  // A profile calibrated before a cost existed is refused rather than completed with the
  // shipped values: a silent mix of two hosts' costs would pass for a calibration of one.
  if (missing.length) {
    throw new UsageError(
      `${where}: cost profile lacks ${missing.join(', ')} (it predates these costs: rerun rmsim calibrate on its host, ` +
        `or copy their entries from the shipped profile, sim/costs/profiles/spr-pvm-6.18.json, and say so in their source)`,
    );
  }
  return new CostProfile(file);
}

/** Load a cost profile from a JSON file. */
export function loadProfile(path: string): CostProfile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UsageError(`cost profile ${path}: cannot read the file`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`cost profile ${path}: invalid JSON (${(err as Error).message})`);
  }
  return parseProfile(data, path);
}

/** Directory of the shipped profiles, found from this module whether it runs from sim/ or dist/sim/. */
export function shippedProfilesDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, 'profiles'), join(here, '..', '..', '..', 'sim', 'costs', 'profiles')]) {
    try {
      readFileSync(join(candidate, `${DEFAULT_PROFILE_NAME}.json`));
      return candidate;
    } catch {
      /* try the next */
    }
  }
  throw new Error('shipped cost profiles not found next to sim/costs');
}

let cachedDefault: CostProfile | undefined;

/** The shipped default profile (section 7 figures of this machine kind). */
export function defaultProfile(): CostProfile {
  cachedDefault ??= loadProfile(join(shippedProfilesDir(), `${DEFAULT_PROFILE_NAME}.json`));
  return cachedDefault;
}

/** A shipped profile by name, or a path to a JSON file. */
export function resolveProfile(nameOrPath?: string): CostProfile {
  if (!nameOrPath || nameOrPath === DEFAULT_PROFILE_NAME) return defaultProfile();
  if (nameOrPath.endsWith('.json')) return loadProfile(nameOrPath);
  return loadProfile(join(shippedProfilesDir(), `${nameOrPath}.json`));
}
