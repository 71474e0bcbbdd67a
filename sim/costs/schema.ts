// JSON Schema of a cost profile (rmsim.costs/1). Every latency the model charges is one entry
// with its value, unit and provenance, so a number in a result can be traced to where it came from.

export const COST_KINDS = ['measured', 'derived', 'assumption', 'published'] as const;
export type CostKind = (typeof COST_KINDS)[number];

/** One cost: value in the unit named (ns, ns/page, ns/gfn, ...), where it came from, and why. */
export interface CostEntry {
  value: number;
  unit: string;
  kind: CostKind;
  source: string;
  note: string;
  /** How calibration set this value (rmsim calibrate): fitted from probe rows, or kept from the base profile. */
  fit?: CostFit;
}

/** A value calibration fitted: which rows, how, and how well (R^2 for line fits, standard error of the value). */
export interface FittedCost {
  status: 'fitted';
  method: string;
  /** Probe rows (probe name and parameters) the value came from. */
  rows: string[];
  n: number;
  r2?: number;
  /** Standard error of the value, in its unit. */
  se: number;
  /**
   * When the value is the median of fits of the probe's repetitions (rounds of the same rows
   * taken apart in time), each repetition's value, in the order taken: how far they spread.
   */
  rounds?: number[];
}

/** A value calibration could not reach: kept from the base profile, with why. */
export interface KeptCost {
  status: 'kept';
  why: string;
}

export type CostFit = FittedCost | KeptCost;

export interface CostHost {
  cpu: string;
  kernel: string;
  hypervisor?: string;
  cpus?: number;
  memory?: string;
  measured_by?: string;
  source: string;
  note?: string;
  /** Set by rmsim calibrate: /proc/cpuinfo model name, uname -r, whether nested, when probed. */
  cpu_model?: string;
  kernel_release?: string;
  nested?: boolean;
  date?: string;
}

export interface CostProfileFile {
  schema: 'rmsim.costs/1';
  name: string;
  description?: string;
  host: CostHost;
  lockCosts: Record<'sleep_ns' | 'wakeup_ns' | 'cacheline_ns' | 'spin_poll_ns' | 'srcu_gp_ns' | 'tick_ns' | 'tick_resched_ppm', CostEntry> & { wakeup_spread_ns?: CostEntry };
  costs: Record<string, CostEntry>;
  /** The measured figures the profile was fitted to (section 7), used by the calibration test. */
  calibration?: Record<string, unknown>;
}

const entry = {
  type: 'object',
  additionalProperties: false,
  required: ['value', 'unit', 'kind', 'source', 'note'],
  properties: {
    value: { type: 'number', minimum: 0 },
    unit: { type: 'string', pattern: '^(ns(/[a-z]+)?|ppm|pages)$' },
    kind: { enum: [...COST_KINDS] },
    source: { type: 'string', minLength: 1 },
    note: { type: 'string' },
    fit: {
      oneOf: [
        {
          type: 'object',
          additionalProperties: false,
          required: ['status', 'method', 'rows', 'n', 'se'],
          properties: {
            status: { const: 'fitted' },
            method: { type: 'string' },
            rows: { type: 'array', items: { type: 'string' } },
            n: { type: 'integer', minimum: 1 },
            r2: { type: 'number' },
            se: { type: 'number', minimum: 0 },
            rounds: { type: 'array', items: { type: 'number' } },
          },
        },
        {
          type: 'object',
          additionalProperties: false,
          required: ['status', 'why'],
          properties: { status: { const: 'kept' }, why: { type: 'string', minLength: 1 } },
        },
      ],
    },
  },
} as const;

export const costProfileSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'rmsim.costs/1',
  type: 'object',
  additionalProperties: false,
  required: ['schema', 'name', 'host', 'lockCosts', 'costs'],
  properties: {
    schema: { const: 'rmsim.costs/1' },
    name: { type: 'string', minLength: 1 },
    description: { type: 'string' },
    host: {
      type: 'object',
      required: ['cpu', 'kernel', 'source'],
      additionalProperties: false,
      properties: {
        cpu: { type: 'string' },
        kernel: { type: 'string' },
        hypervisor: { type: 'string' },
        cpus: { type: 'integer', minimum: 1 },
        memory: { type: 'string' },
        measured_by: { type: 'string' },
        source: { type: 'string' },
        note: { type: 'string' },
        cpu_model: { type: 'string' },
        kernel_release: { type: 'string' },
        nested: { type: 'boolean' },
        date: { type: 'string' },
      },
    },
    lockCosts: {
      type: 'object',
      additionalProperties: false,
      required: ['sleep_ns', 'wakeup_ns', 'cacheline_ns', 'spin_poll_ns', 'srcu_gp_ns', 'tick_ns', 'tick_resched_ppm'],
      properties: { sleep_ns: entry, wakeup_ns: entry, cacheline_ns: entry, spin_poll_ns: entry, srcu_gp_ns: entry, tick_ns: entry, tick_resched_ppm: entry, wakeup_spread_ns: entry },
    },
    costs: { type: 'object', additionalProperties: entry },
    calibration: { type: 'object' },
  },
} as const;
