// From a schema-valid workload value to the typed Workload: defaults filled in, units parsed
// to integer bytes and nanoseconds, and the checks a schema cannot express (a range inside the
// VM's memory, a VM index that exists, an unbounded actor in a run without a duration).
import { DIMENSIONS } from '../variants/choices.js';
import { COST_NAMES } from '../costs/names.js';
import { DEFAULT_LOCK_COSTS } from '../engine/costs.js';
import { didYouMean } from './did-you-mean.js';
import { PAGE_SIZE, parseDuration, parseRateInterval, parseSize, UnitError, formatSize } from '../units.js';
import type { RawProblem } from './validate.js';
import type { PathSegment } from './source.js';
import type {
  ActorSpec, FileRange, SizeDistribution, Workload, HostSpec, VmSpec, ThpPolicy, MmuMode, Arrival,
} from './types.js';


/** Defaults, stated once: a small host and one small VM, so an empty workload runs in a blink. */
export const DEFAULTS = {
  seed: 1,
  variant: 'v10',
  warmup: 0,
  host: { memory: 4 * 1024 ** 3, cpus: 2, fragmentation: 0 },
  vms: {
    count: 1, memory: 256 * 1024 ** 2, vcpus: 1, private_fraction: 1,
    shared_file: false, memslots: { count: 1, alignment: 2 * 1024 ** 2, misalign: 0 },
  },
};

type Obj = Record<string, unknown>;

class Collector {
  problems: RawProblem[] = [];
  add(path: PathSegment[], expected: string, found: string): void {
    this.problems.push({ path, expected, found });
  }
  /** Run a unit parser; on failure record a problem and return the fallback. */
  unit(path: PathSegment[], v: unknown, parse: (v: unknown) => number, fallback: number): number {
    if (v === undefined) return fallback;
    try {
      return parse(v);
    } catch (err) {
      if (err instanceof UnitError) {
        this.add(path, err.expected, err.found);
        return fallback;
      }
      throw err;
    }
  }
}

function obj(v: unknown): Obj {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {};
}

export function normalizeWorkload(raw: unknown, source: string, defaultName: string): { workload: Workload; problems: RawProblem[] } {
  const c = new Collector();
  const w = obj(raw);
  const h = obj(w.host);
  const v = obj(w.vms);
  const ms = obj(v.memslots);

  const host: HostSpec = {
    memoryBytes: c.unit(['host', 'memory'], h.memory, parseSize, DEFAULTS.host.memory),
    cpus: h.cpus === 'unlimited' ? Infinity : ((h.cpus as number | undefined) ?? DEFAULTS.host.cpus),
    thp: h.thp as ThpPolicy | undefined,
    fragmentation: (h.fragmentation as number | undefined) ?? DEFAULTS.host.fragmentation,
  };
  const vms: VmSpec = {
    count: (v.count as number | undefined) ?? DEFAULTS.vms.count,
    memoryBytes: c.unit(['vms', 'memory'], v.memory, parseSize, DEFAULTS.vms.memory),
    vcpus: (v.vcpus as number | undefined) ?? DEFAULTS.vms.vcpus,
    mmu: v.mmu as MmuMode | undefined,
    privateFraction: (v.private_fraction as number | undefined) ?? DEFAULTS.vms.private_fraction,
    sharedFile: (v.shared_file as boolean | undefined) ?? DEFAULTS.vms.shared_file,
    memslots: {
      count: (ms.count as number | undefined) ?? DEFAULTS.vms.memslots.count,
      alignmentBytes: c.unit(['vms', 'memslots', 'alignment'], ms.alignment, parseSize, DEFAULTS.vms.memslots.alignment),
      misalignBytes: c.unit(['vms', 'memslots', 'misalign'], ms.misalign, parseSize, DEFAULTS.vms.memslots.misalign),
    },
  };
  checkPages(c, ['host', 'memory'], host.memoryBytes, true);
  checkPages(c, ['vms', 'memory'], vms.memoryBytes, true);
  if (vms.memoryBytes > host.memoryBytes) {
    c.add(['vms', 'memory'], `at most host.memory (${formatSize(host.memoryBytes)})`, formatSize(vms.memoryBytes));
  }
  checkPowerOfTwoPages(c, ['vms', 'memslots', 'alignment'], vms.memslots.alignmentBytes);
  checkPages(c, ['vms', 'memslots', 'misalign'], vms.memslots.misalignBytes, false);
  const vmPages = Math.floor(vms.memoryBytes / PAGE_SIZE);
  if (vms.memslots.count > vmPages && vmPages > 0) {
    c.add(['vms', 'memslots', 'count'], `at most one memslot per 4KiB page of vms.memory (${vmPages})`, String(vms.memslots.count));
  }

  const durationNs = w.duration === undefined ? undefined : c.unit(['duration'], w.duration, parseDuration, 0);
  const warmupNs = c.unit(['warmup'], w.warmup, parseDuration, DEFAULTS.warmup);
  if (durationNs !== undefined && durationNs <= 0) c.add(['duration'], 'a duration above zero', String(w.duration));
  if (durationNs !== undefined && warmupNs >= durationNs && durationNs > 0) {
    c.add(['warmup'], `a warm-up shorter than duration (${String(w.duration)})`, String(w.warmup));
  }

  const requires = obj(w.requires);
  for (const [dim, values] of Object.entries(requires)) {
    const allowed = (DIMENSIONS as Record<string, readonly string[]>)[dim] ?? [];
    (Array.isArray(values) ? values : []).forEach((val, j) => {
      if (!allowed.includes(String(val))) c.add(['requires', dim, j], `one of ${allowed.join(', ')}`, JSON.stringify(val));
    });
  }

  const actorsRaw = Array.isArray(w.actors) ? w.actors : [];
  const names = new Map<string, number>();
  const actors: ActorSpec[] = [];
  actorsRaw.forEach((a, i) => {
    const spec = normalizeActor(c, obj(a), i, vms, durationNs);
    if (!spec) return;
    const prev = names.get(spec.name);
    if (prev !== undefined) c.add(['actors', i, 'name'], `a name unused by other actors (actors[${prev}] has it)`, JSON.stringify(spec.name));
    names.set(spec.name, i);
    actors.push(spec);
  });

  const workload: Workload = {
    name: (w.name as string | undefined) ?? defaultName,
    description: (w.description as string | undefined) ?? '',
    source,
    seed: (w.seed as number | undefined) ?? DEFAULTS.seed,
    variant: (w.variant as string | undefined) ?? DEFAULTS.variant,
    requires: (w.requires as Record<string, string[]> | undefined) ?? {},
    variantChoices: { workload: {}, set: {} },
    profile: w.profile as string | undefined,
    costOverrides: normalizeCosts(c, obj(w.costs)),
    durationNs,
    warmupNs,
    host,
    vms,
    actors,
  };
  return { workload, problems: c.problems };
}

const KNOWN_COSTS: readonly string[] = [...COST_NAMES, ...Object.keys(DEFAULT_LOCK_COSTS).map((k) => `lock.${k}`)];

/** `costs: {shmem: {truncate_page_ns: 90}}` or `{"shmem.truncate_page_ns": 90}` to dotted names, each checked. */
function normalizeCosts(c: Collector, raw: Obj): Record<string, number> {
  const out: Record<string, number> = {};
  const put = (path: PathSegment[], name: string, v: unknown): void => {
    if (!KNOWN_COSTS.includes(name)) {
      const guess = didYouMean(name, KNOWN_COSTS);
      c.add(path, `a cost name of the profile${guess ? ` (did you mean "${guess}"?)` : ''}`, JSON.stringify(name));
      return;
    }
    out[name] = v as number;
  };
  for (const [k, v] of Object.entries(raw)) {
    if (v !== null && typeof v === 'object') for (const [k2, v2] of Object.entries(v as Obj)) put(['costs', k, k2], `${k}.${k2}`, v2);
    else put(['costs', k], k, v);
  }
  return out;
}

function checkPages(c: Collector, path: PathSegment[], bytes: number, positive: boolean): void {
  if (bytes % PAGE_SIZE !== 0) c.add(path, 'a whole number of 4KiB pages', formatSize(bytes));
  else if (positive && bytes === 0) c.add(path, 'a size of at least 4KiB', '0');
}

function checkPowerOfTwoPages(c: Collector, path: PathSegment[], bytes: number): void {
  if (bytes < PAGE_SIZE || (bytes & (bytes - 1)) !== 0 || !Number.isSafeInteger(bytes) || bytes > 2 ** 40) {
    c.add(path, 'a power of two of at least 4KiB (4KiB, 2MiB, 1GiB)', formatSize(bytes));
  }
}

function normalizeSize(c: Collector, path: PathSegment[], v: unknown, fallback: number): SizeDistribution {
  if (v === undefined) return { kind: 'fixed', bytes: fallback };
  if (typeof v === 'string' || typeof v === 'number') {
    const bytes = c.unit(path, v, parseSize, fallback);
    checkPages(c, path, bytes, true);
    return { kind: 'fixed', bytes };
  }
  const o = obj(v);
  if (Array.isArray(o.values)) {
    const values = o.values.map((x, i) => {
      const b = c.unit([...path, 'values', i], x, parseSize, PAGE_SIZE);
      checkPages(c, [...path, 'values', i], b, true);
      return b;
    });
    const weights = Array.isArray(o.weights) ? (o.weights as number[]) : values.map(() => 1);
    if (weights.length !== values.length) {
      c.add([...path, 'weights'], `one weight per value (${values.length})`, `${weights.length} weights`);
    }
    return { kind: 'choice', values, weights };
  }
  const min = c.unit([...path, 'min'], o.min, parseSize, PAGE_SIZE);
  const max = c.unit([...path, 'max'], o.max, parseSize, PAGE_SIZE);
  const step = c.unit([...path, 'step'], o.step, parseSize, PAGE_SIZE);
  checkPages(c, [...path, 'min'], min, true);
  checkPages(c, [...path, 'max'], max, true);
  checkPages(c, [...path, 'step'], step, true);
  if (max < min) c.add([...path, 'max'], `a size at least min (${formatSize(min)})`, formatSize(max));
  return { kind: 'uniform', min, max, step };
}

function maxOf(d: SizeDistribution): number {
  return d.kind === 'fixed' ? d.bytes : d.kind === 'choice' ? Math.max(...d.values) : d.max;
}

function normalizeRange(c: Collector, path: PathSegment[], v: unknown, vms: VmSpec): FileRange {
  const o = obj(v);
  const offset = c.unit([...path, 'offset'], o.offset, parseSize, 0);
  const size = o.size === undefined ? undefined : c.unit([...path, 'size'], o.size, parseSize, PAGE_SIZE);
  checkPages(c, [...path, 'offset'], offset, false);
  if (size !== undefined) checkPages(c, [...path, 'size'], size, true);
  const end = offset + (size ?? 0);
  if (offset >= vms.memoryBytes || end > vms.memoryBytes) {
    c.add(path, `a range inside vms.memory (${formatSize(vms.memoryBytes)})`,
      `offset ${formatSize(offset)}${size !== undefined ? ` size ${formatSize(size)}` : ''}`);
  }
  return { offset, size };
}

function normalizeActor(c: Collector, a: Obj, i: number, vms: VmSpec, durationNs: number | undefined): ActorSpec | undefined {
  const p = (k: string): PathSegment[] => ['actors', i, k];
  const kind = a.kind as ActorSpec['kind'];
  const vm = (a.vm as number | 'all' | undefined) ?? 'all';
  if (typeof vm === 'number' && vm >= vms.count) c.add(p('vm'), `a VM index below vms.count (${vms.count}) or "all"`, String(vm));
  const base = {
    name: (a.name as string | undefined) ?? `${kind}${i}`,
    vm,
    startNs: c.unit(p('start'), a.start, parseDuration, 0),
    ops: a.ops as number | undefined,
    intervalNs: a.rate === undefined ? undefined : c.unit(p('rate'), a.rate, parseRateInterval, 1),
    arrival: (a.arrival as Arrival | undefined) ?? 'poisson',
  };
  // An actor that never stops needs the run to have a duration.
  const unbounded = (finite: boolean) => {
    if (!finite && base.ops === undefined && durationNs === undefined) {
      c.add(p('ops'), 'an operation count (ops), or a top-level duration for the run', 'neither');
    }
  };
  const sizeRange = (defSize: number) => {
    const size = normalizeSize(c, p('size'), a.size, defSize);
    const alignmentBytes = c.unit(p('alignment'), a.alignment, parseSize, PAGE_SIZE);
    checkPowerOfTwoPages(c, p('alignment'), alignmentBytes);
    const range = normalizeRange(c, p('range'), a.range, vms);
    const span = range.size ?? vms.memoryBytes - range.offset;
    if (maxOf(size) > span) c.add(p('size'), `sizes that fit the range (${formatSize(span)})`, formatSize(maxOf(size)));
    return { size, alignmentBytes, range, threads: (a.threads as number | undefined) ?? 1 };
  };
  switch (kind) {
    case 'vcpu': {
      const pattern = (a.pattern as 'sequential' | 'uniform' | 'zipf' | undefined) ?? 'sequential';
      const vcpus = (a.vcpus as number | 'all' | undefined) ?? 'all';
      if (typeof vcpus === 'number' && vcpus > vms.vcpus) c.add(p('vcpus'), `at most vms.vcpus (${vms.vcpus}) or "all"`, String(vcpus));
      const z = obj(a.zipf);
      const range = normalizeRange(c, p('range'), a.range, vms);
      const hotSetBytes = z.hot_set === undefined ? undefined : c.unit(['actors', i, 'zipf', 'hot_set'], z.hot_set, parseSize, PAGE_SIZE);
      if (hotSetBytes !== undefined) {
        checkPages(c, ['actors', i, 'zipf', 'hot_set'], hotSetBytes, true);
        const span = range.size ?? vms.memoryBytes - range.offset;
        if (hotSetBytes > span) c.add(['actors', i, 'zipf', 'hot_set'], `at most the range (${formatSize(span)})`, formatSize(hotSetBytes));
      }
      if (a.zipf !== undefined && pattern !== 'zipf') c.add(p('zipf'), 'zipf settings only with pattern: zipf', `pattern ${pattern}`);
      unbounded(pattern === 'sequential');
      return {
        ...base, kind, vcpus, pattern, range,
        zipf: { s: (z.s as number | undefined) ?? 1.1, hotSetBytes },
        private: (a.private as boolean | undefined) ?? true,
        thinkNs: c.unit(p('think'), a.think, parseDuration, 0),
      };
    }
    case 'fallocate': {
      const wholeFile = (a.whole_file as boolean | undefined) ?? false;
      unbounded(wholeFile);
      return { ...base, kind, ...sizeRange(2 * 1024 ** 2), wholeFile };
    }
    case 'punch':
      unbounded(false);
      return {
        ...base, kind, ...sizeRange(4096),
        batch: (a.batch as number | undefined) ?? 1,
        refill: (a.refill as boolean | undefined) ?? false,
        populate: (a.populate as boolean | undefined) ?? false,
      };
    case 'conversion':
      unbounded(false);
      return {
        ...base, kind, ...sizeRange(2 * 1024 ** 2),
        direction: (a.direction as 'to_private' | 'to_shared' | 'toggle' | undefined) ?? 'toggle',
        discard: (a.discard as boolean | undefined) ?? true,
        touch: (a.touch as boolean | undefined) ?? false,
      };
    case 'memslot_churn': {
      unbounded(false);
      const slotBytes = c.unit(p('slot_size'), a.slot_size, parseSize, 2 * 1024 ** 2);
      checkPages(c, p('slot_size'), slotBytes, true);
      if (slotBytes > vms.memoryBytes) c.add(p('slot_size'), `at most vms.memory (${formatSize(vms.memoryBytes)})`, formatSize(slotBytes));
      return {
        ...base, kind, slotBytes,
        holdNs: c.unit(p('hold'), a.hold, parseDuration, 100_000),
        slots: (a.slots as number | undefined) ?? 1,
      };
    }
    case 'memory_error': {
      const atNs = Array.isArray(a.at) ? a.at.map((x, j) => c.unit(['actors', i, 'at', j], x, parseDuration, 0)) : [];
      unbounded(atNs.length > 0);
      return { ...base, kind, atNs, target: (a.target as 'allocated' | 'any' | undefined) ?? 'allocated' };
    }
    case 'vm_lifecycle':
      unbounded(false);
      return {
        ...base, kind,
        lifetimeNs: c.unit(p('lifetime'), a.lifetime, parseDuration, 1_000_000),
        maxLive: (a.max_live as number | undefined) ?? 4,
        touchFraction: (a.touch as number | undefined) ?? 0.25,
      };
    case 'page_cache': {
      unbounded(false);
      const low = c.unit(p('low_watermark'), a.low_watermark, parseSize, 4 * 1024 ** 2);
      return {
        ...base, kind,
        readBytes: c.unit(p('read'), a.read, parseSize, 512 * 1024),
        rereadFraction: (a.reread as number | undefined) ?? 0.3,
        lowWatermarkBytes: low,
        highWatermarkBytes: c.unit(p('high_watermark'), a.high_watermark, parseSize, 2 * low),
      };
    }
    case 'replay':
      return {
        ...base, kind,
        trace: a.trace as string,
        backend: (a.backend as 'guest_memfd' | 'shmem' | 'both' | undefined) ?? 'both',
        concurrency: (a.concurrency as 'serial' | 'per_thread' | undefined) ?? 'serial',
      };
    default:
      return undefined;
  }
}
