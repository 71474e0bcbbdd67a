// Loading a workload: a built-in name or a file, then --set assignments (precedence: file <
// --variant/--seed < --set), then schema validation, then unit parsing and cross-field checks.
// Every problem found is reported at once, each as file:line:col: path: expected, found.
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { didYouMean } from './did-you-mean.js';
import { WorkloadError, type Problem } from './errors.js';
import { normalizeWorkload } from './normalize.js';
import { builtinWorkloadDir } from '../paths.js';
import { applyAssignment, parseAssignment, PathError, type Assignment } from './set-path.js';
import { parseSource, positionOf, readSource, type PathSegment, type SourceDocument } from './source.js';
import type { Workload } from './types.js';
import { formatPath, validateAgainst, type RawProblem } from './validate.js';

export const DEFAULT_WORKLOAD = 'vm-boot';

export interface LoadOptions {
  /** --set path=value, in order. */
  sets?: readonly string[];
  /** --variant (applied as `variant=...` before the --set list). */
  variant?: string;
  /** --seed (applied as `seed=...` before the --set list). */
  seed?: number;
}

export interface BuiltinInfo {
  name: string;
  path: string;
  description: string;
}

/** Built-in workloads: workloads/<name>.yaml, sorted by name. */
export function listBuiltinWorkloads(): BuiltinInfo[] {
  const dir = builtinWorkloadDir();
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => {
      const path = join(dir, f);
      const src = readSource(path, `builtin:${basename(f, '.yaml')}`);
      const v = src.value as { description?: string } | null;
      return { name: basename(f, '.yaml'), path, description: v?.description ?? '' };
    });
}

/** Is `spec` a file path rather than a built-in name? */
function looksLikePath(spec: string): boolean {
  return spec.includes('/') || ['.yaml', '.yml', '.json'].includes(extname(spec)) || existsSync(spec);
}

function openSpec(spec: string): SourceDocument {
  if (looksLikePath(spec)) return readSource(spec);
  const builtin = join(builtinWorkloadDir(), `${spec}.yaml`);
  if (!existsSync(builtin)) {
    const names = readdirSync(builtinWorkloadDir()).filter((f) => f.endsWith('.yaml')).map((f) => basename(f, '.yaml'));
    const guess = didYouMean(spec, names);
    throw new WorkloadError([{
      source: spec, path: '', expected: `a workload file or a built-in workload (${names.join(', ')})`,
      found: 'neither', hint: guess ? `did you mean "${guess}"?` : undefined,
    }]);
  }
  return readSource(builtin, `builtin:${spec}`);
}

/** Load, override, validate and normalise a workload. Throws WorkloadError (exit 2). */
export function loadWorkload(spec: string | undefined, opts: LoadOptions = {}): Workload {
  const src = openSpec(spec ?? DEFAULT_WORKLOAD);
  return loadFromSource(src, opts, spec && looksLikePath(spec) ? dirname(resolve(spec)) : builtinWorkloadDir());
}

/** Same as loadWorkload for text already in memory (tests, experiments). */
export function loadWorkloadText(source: string, text: string, opts: LoadOptions = {}, baseDir = process.cwd()): Workload {
  return loadFromSource(parseSource(source, text), opts, baseDir);
}

function loadFromSource(src: SourceDocument, opts: LoadOptions, baseDir: string): Workload {
  if (src.value === null || typeof src.value !== 'object' || Array.isArray(src.value)) {
    const pos = positionOf(src, []);
    throw new WorkloadError([{
      source: src.source, line: pos.line, col: pos.col, path: '',
      expected: 'a mapping of workload fields (host, vms, actors, ...)',
      found: src.value === null ? 'an empty document' : Array.isArray(src.value) ? 'a list' : JSON.stringify(src.value),
    }]);
  }
  const value = structuredClone(src.value) as Record<string, unknown>;

  // Overrides, each remembered so problems inside them are reported against the flag.
  const assignments: Assignment[] = [];
  const problems: Problem[] = [];
  try {
    if (opts.variant !== undefined) assignments.push({ text: `variant=${opts.variant}`, path: ['variant'], value: opts.variant });
    if (opts.seed !== undefined) assignments.push({ text: `seed=${opts.seed}`, path: ['seed'], value: opts.seed });
    for (const s of opts.sets ?? []) assignments.push(parseAssignment(s));
  } catch (err) {
    if (err instanceof PathError) throw new WorkloadError([fromPathError(err)(undefined)]);
    throw err;
  }
  const overridden: Array<{ path: PathSegment[]; text: string }> = [];
  // --set variant.<dimension>=<value> chooses one design dimension directly (highest precedence).
  const variantSet: Record<string, string> = {};
  for (const a of assignments) {
    if (a.path.length === 2 && a.path[0] === 'variant' && typeof a.path[1] === 'string') {
      variantSet[a.path[1]] = String(a.value);
      continue;
    }
    try {
      overridden.push({ path: applyAssignment(value, a), text: a.text });
    } catch (err) {
      if (err instanceof PathError) problems.push(fromPathError(err)(undefined));
      else throw err;
    }
  }
  if (problems.length) throw new WorkloadError(problems);

  const place = (p: RawProblem): Problem => {
    const o = [...overridden].reverse().find((s) => isPrefix(s.path, p.path) || isPrefix(p.path, s.path));
    const base = { path: formatPath(p.path), expected: p.expected, found: p.found, hint: p.hint };
    if (o && isPrefix(o.path, p.path)) return { source: `--set ${o.text}`, ...base };
    const pos = positionOf(src, p.path, p.atKey);
    return { source: src.source, line: pos.line, col: pos.col, ...base };
  };

  const schemaProblems = validateAgainst(value);
  if (schemaProblems.length) throw new WorkloadError(inDocumentOrder(schemaProblems.map(place)));

  const defaultName = src.source.startsWith('builtin:') ? src.source.slice(8) : basename(src.source).replace(/\.(ya?ml|json)$/, '');
  const { workload, problems: semantic } = normalizeWorkload(value, src.source, defaultName);
  if (semantic.length) throw new WorkloadError(inDocumentOrder(semantic.map(place)));

  // host.thp and vms.mmu are design dimensions too: from the file they rank below the variant,
  // from --set above it (workload < variant < --set).
  const wasSet = (path: PathSegment[]) => overridden.some((o) => isPrefix(o.path, path));
  const dims: Array<[string, PathSegment[], string | undefined]> = [
    ['thp', ['host', 'thp'], workload.host.thp],
    ['mmu', ['vms', 'mmu'], workload.vms.mmu],
  ];
  for (const [dim, path, val] of dims) {
    if (val === undefined) continue;
    if (wasSet(path)) workload.variantChoices.set[dim] = val;
    else workload.variantChoices.workload[dim] = val;
  }
  Object.assign(workload.variantChoices.set, variantSet);

  // Paths inside a workload file are relative to the file (--set values to the current folder).
  for (const a of workload.actors) {
    if (a.kind === 'replay' && !isAbsolute(a.trace)) a.trace = resolve(baseDir, a.trace);
  }
  if (workload.profile?.endsWith('.json') && !isAbsolute(workload.profile)) {
    workload.profile = resolve(wasSet(['profile']) ? process.cwd() : baseDir, workload.profile);
  }
  return workload;
}

/** Problems in the order of the text (those from --set last, in flag order). */
function inDocumentOrder(problems: Problem[]): Problem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (a.p.line ?? Infinity) - (b.p.line ?? Infinity) || (a.p.col ?? 0) - (b.p.col ?? 0) || a.i - b.i)
    .map(({ p }) => p);
}

function isPrefix(prefix: readonly PathSegment[], path: readonly PathSegment[]): boolean {
  return prefix.length <= path.length && prefix.every((s, i) => s === path[i]);
}

/** A PathError's message is already one complete line; keep it whole. */
function fromPathError(err: PathError) {
  return (_: unknown): Problem => {
    const m = /^(--set [^:]*): (.*?): expected (.*), found (.*)$/.exec(err.message);
    if (m) return { source: m[1], path: m[2], expected: m[3], found: m[4] };
    const e = /^expected (.*), found (.*)$/.exec(err.message);
    return { source: '--set', path: '', expected: e?.[1] ?? err.message, found: e?.[2] ?? '' };
  };
}
