// Named variants, composed with `+` (e.g. `v10+thp-always`). Each name sets some dimensions;
// precedence is workload < variant < --set. Combinations the modeled kernel cannot have are
// refused; designs that never existed in a kernel run marked hypothetical.
import { UsageError } from '../errors.js';
import { DEFAULT_CHOICES, DIMENSIONS, dimensionName, isChoice, isDimension, type ChoiceValues, type Dimension, type PartialChoices } from './choices.js';
import { strategiesFor, type Strategies } from './strategies.js';

export interface VariantDef {
  name: string;
  description: string;
  /** docs/kernel-model.md source keys the idea comes from. */
  source: string;
  sets: PartialChoices;
  /** Never existed in a kernel: results are marked hypothetical. */
  hypothetical?: boolean;
  /** A base design (v10, guest_memfd): later modifiers may override its choices. */
  base?: boolean;
}

export const VARIANTS: readonly VariantDef[] = [
  { name: 'v10', description: 'memfd_restricted v10 as posted on 6.1 (mutex per invalidate phase, memory-error walk with the list fix)', source: '[S2][S5][S6]', sets: { backend: 'restrictedmem', notifier: 'v10', errorLookup: 'sb-walk' }, base: true },
  { name: 'v10-as-posted', description: 'v10 with the memory-error walk exactly as posted (NULL private_data dereference on any shmem page error)', source: '[S2] section 8', sets: { backend: 'restrictedmem', errorLookup: 'sb-walk-as-posted' }, base: true },
  { name: 'notifier-held-across', description: 'notifier mutex held from invalidate_start to invalidate_end, as requested in review', source: '[S9]', sets: { notifier: 'held-across' } },
  { name: 'notifier-rwsem', description: 'the 2023 rework in the TDX tree (not v10, whose notifiers are a list under a mutex): bindings held with down_read across invalidate start, fallocate and end, write side for register/unregister; exact gfn ranges', source: '[S9] N3', sets: { notifier: 'rwsem' } },
  { name: 'notifier-srcu', description: 'SRCU-protected notifier list; unregister pays synchronize_srcu (hypothetical)', source: 'section 2 N5', sets: { notifier: 'srcu' }, hypothetical: true },
  { name: 'error-direct', description: 'memory error finds its file from the mapping in O(1)', source: '[S14] section 2 E2', sets: { errorLookup: 'direct' } },
  { name: 'thp-never', description: 'shmem_enabled=never: 4 KiB folios only (the default)', source: '[S18] H1', sets: { thp: 'never' } },
  { name: 'thp-always', description: 'shmem_enabled=always: 2 MiB folio per empty 2 MiB block, no i_size check', source: '[S18] H2', sets: { thp: 'always' } },
  { name: 'thp-within_size', description: 'shmem_enabled=within_size: 2 MiB only where round_up(index+1, 512) <= i_size', source: '[S18] H3', sets: { thp: 'within_size' } },
  { name: 'thp-advise', description: 'shmem_enabled=advise: never huge for restrictedmem (no VMA)', source: 'H4', sets: { thp: 'advise' } },
  { name: 'punch-split', description: 'partial punch of a huge folio zeroes then splits to order 0 (6.1 default)', source: '[S18][S19] P1', sets: { partialPunch: 'split' } },
  { name: 'punch-zero', description: 'partial punch zeroes and keeps the huge folio (hypothetical policy)', source: '[S19][S22] P2', sets: { partialPunch: 'zero' }, hypothetical: true },
  { name: 'tdp', description: 'hardware EPT/NPT with the TDP MMU: faults read-lock mmu_lock, zap skips empty subtrees', source: '[S15]', sets: { mmu: 'tdp' } },
  { name: 'shadow', description: 'shadow paging (this host): faults write-lock mmu_lock, rmap zap O(gfns), 4 KiB leaves', source: 'section 7/8', sets: { mmu: 'shadow' } },
  { name: 'guest_memfd', description: 'KVM guest_memfd as on the 6.18 host: per-VM file, invalidate_lock across the punch, one mmu_lock hold per VM, 4 KiB folios', source: '[S14] N6', sets: { backend: 'guest_memfd', errorLookup: 'direct' }, base: true },
  { name: 'slot-zap-slot', description: 'deleting a memslot zaps only its leaves (KVM_X86_QUIRK_SLOT_ZAP_ALL off, as for TDX VMs; 6.12+), not the whole VM', source: 'issue 13 point 1', sets: { slotDelete: 'zap-slot' } },
  { name: 'unsafe-no-retry', description: 'fault path skips the invalidation retry (exists to prove the safety checker)', source: 'DESIGN.md principle 5', sets: { faultRetry: 'no-retry' }, hypothetical: true },
];

export interface ResolvedVariant {
  /** Canonical spec, e.g. "v10+thp-always". */
  name: string;
  choices: ChoiceValues;
  strategies: Strategies;
  hypothetical: boolean;
  /** Why the run is marked hypothetical (one line per reason). */
  hypotheticalReasons: string[];
}

/** Name and one-line description of every variant. */
export function listVariants(): Array<{ name: string; description: string; hypothetical: boolean }> {
  return VARIANTS.map((v) => ({ name: v.name, description: v.description, hypothetical: !!v.hypothetical }));
}

export interface ResolveOptions {
  /** Choices from the workload file (lowest precedence). */
  workload?: Record<string, string>;
  /** Choices from --set variant.<dimension>=<value> (highest precedence). */
  set?: Record<string, string>;
}

/**
 * Resolve "a+b+c" into choices and strategies. Within one spec two names may not choose the
 * same dimension differently; guest_memfd refuses choices its kernel cannot have.
 */
export function resolveVariant(spec = 'v10', opts: ResolveOptions = {}): ResolvedVariant {
  const choices: ChoiceValues = { ...DEFAULT_CHOICES };
  applyDims(choices, opts.workload, 'workload');
  const setBy: Partial<Record<Dimension, VariantDef>> = {};
  const reasons: string[] = [];
  const names = spec.split('+').map((s) => s.trim());
  for (const n of names) {
    const def = VARIANTS.find((v) => v.name === n);
    if (!def) throw new UsageError(`unknown variant '${n}' in '${spec}'${didYouMean(n)}; see rmsim list`);
    for (const [d, v] of Object.entries(def.sets) as Array<[Dimension, string]>) {
      const prev = setBy[d];
      // A modifier may refine a base design; two modifiers (or two bases) may not disagree.
      const overrides = prev !== undefined && prev.base && !def.base;
      if (prev !== undefined && prev !== def && !overrides && (choices as Record<string, string>)[d] !== v) {
        throw new UsageError(`variant '${spec}': '${prev.name}' and '${n}' both choose ${d} (${(choices as Record<string, string>)[d]} vs ${v})`);
      }
      (choices as Record<string, string>)[d] = v;
      setBy[d] = def;
    }
    if (def.hypothetical) reasons.push(`${n}: ${def.description}`);
  }
  applyDims(choices, opts.set, '--set');
  checkCompatible(choices, spec);
  return { name: names.join('+'), choices, strategies: strategiesFor(choices), hypothetical: reasons.length > 0, hypotheticalReasons: reasons };
}

function applyDims(choices: ChoiceValues, src: Record<string, string> | undefined, where: string): void {
  for (const [key, v] of Object.entries(src ?? {})) {
    const d = dimensionName(key);
    if (!isDimension(d)) throw new UsageError(`${where}: variant.${d} is not a design choice (choices: ${Object.keys(DIMENSIONS).join(', ')})`);
    if (!isChoice(d, v)) throw new UsageError(`${where}: variant.${d}=${v}: expected one of ${DIMENSIONS[d].join(', ')}`);
    (choices as Record<string, string>)[d] = v;
  }
}

/** Refuse what the modeled kernels cannot have. */
function checkCompatible(c: ChoiceValues, spec: string): void {
  if (c.backend === 'guest_memfd') {
    if (c.thp !== 'never') throw new UsageError(`variant '${spec}': guest_memfd on the modeled 6.18 kernel has 4 KiB folios only (thp-${c.thp} refused)`);
    if (c.notifier !== 'v10') throw new UsageError(`variant '${spec}': guest_memfd has no restrictedmem notifier layer (notifier-${c.notifier} refused)`);
    if (c.errorLookup !== 'direct') throw new UsageError(`variant '${spec}': guest_memfd finds a poisoned folio's file directly (kvm_gmem_error_folio); error lookup ${c.errorLookup} refused`);
    if (c.partialPunch !== 'split') throw new UsageError(`variant '${spec}': guest_memfd has no huge folios to keep (punch-zero refused)`);
  }
}

function didYouMean(n: string): string {
  let best = '';
  let bestD = Infinity;
  for (const v of VARIANTS) {
    const d = editDistance(n, v.name);
    if (d < bestD) {
      bestD = d;
      best = v.name;
    }
  }
  return bestD <= 3 ? ` (did you mean '${best}'?)` : '';
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length];
}
