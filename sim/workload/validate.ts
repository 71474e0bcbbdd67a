// Schema validation of a workload value against workloads/schema.json, turning Ajv's errors
// into one Problem per real mistake. Ajv reports every branch of a oneOf; we pick the branch
// whose shape matches what the user wrote (a string for a size, an object with `values` for a
// weighted choice) and report only that branch's errors, so a typo produces one line.
import { readFileSync } from 'node:fs';
import type { ErrorObject, AnySchemaObject, ValidateFunction } from 'ajv';
import { createAjv } from '../schema.js';
import { didYouMean } from './did-you-mean.js';
import { showValue, type Problem } from './errors.js';
import { workloadSchemaPath } from '../paths.js';
import type { PathSegment } from './source.js';

/** A problem before it is given a source position. */
export interface RawProblem {
  path: PathSegment[];
  /** Point at the key rather than the value (unknown fields). */
  atKey?: boolean;
  expected: string;
  found: string;
  hint?: string;
}

const ajv = createAjv();
const schema = JSON.parse(readFileSync(workloadSchemaPath(), 'utf8')) as AnySchemaObject;
const SCHEMA_ID = schema.$id as string;
ajv.addSchema(schema);

// Where each schema object sits (JSON pointer), so a failed oneOf's branches can be
// validated on their own by reference whatever validator reported them.
const pointers = new Map<unknown, string>();
(function index(node: unknown, ptr: string): void {
  if (node === null || typeof node !== 'object') return;
  pointers.set(node, ptr);
  for (const [k, v] of Object.entries(node)) index(v, `${ptr}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`);
})(schema, '');

const compiled = new Map<string, ValidateFunction>();
function validatorFor(ref: string): ValidateFunction {
  let v = compiled.get(ref);
  if (!v) {
    v = ajv.getSchema(ref) ?? ajv.compile({ $ref: ref });
    compiled.set(ref, v);
  }
  return v;
}

/** Resolve a schema reference inside our schema ("#/$defs/size") to the schema object. */
function resolveRef(ref: string): AnySchemaObject | undefined {
  const hash = ref.slice(ref.indexOf('#') + 1);
  let node: unknown = schema;
  for (const part of hash.split('/').filter(Boolean)) {
    node = (node as Record<string, unknown> | undefined)?.[decodeURIComponent(part)];
  }
  return node as AnySchemaObject | undefined;
}

function deref(s: AnySchemaObject): AnySchemaObject {
  let cur = s;
  for (let i = 0; i < 8 && typeof cur.$ref === 'string'; i++) cur = resolveRef(cur.$ref) ?? cur;
  return cur;
}

export function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(s: AnySchemaObject, v: unknown): boolean {
  if ('const' in s) return s.const === v;
  if (Array.isArray(s.enum)) return (s.enum as unknown[]).includes(v);
  const types: string[] = s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type];
  const t = jsonType(v);
  return types.includes(t) || (t === 'integer' && types.includes('number'));
}

/** Choose the oneOf branch the user evidently meant, by type and then by shared keys. */
function chooseBranch(branches: AnySchemaObject[], v: unknown): number {
  let best = -1;
  let bestScore = -1;
  branches.forEach((b, i) => {
    const s = deref(b);
    const types: string[] = s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type];
    const t = jsonType(v);
    const sameType = types.includes(t) || (t === 'integer' && types.includes('number'));
    if (!sameType) return;
    let score = 1;
    if (t === 'object' && s.properties) {
      const props = Object.keys(s.properties as object);
      score += Object.keys(v as object).filter((k) => props.includes(k)).length;
    }
    if (score > bestScore) {
      best = i;
      bestScore = score;
    }
  });
  // A value matching a const/enum branch exactly is never the cause of a failure.
  return branches.some((b) => typeMatches(deref(b), v) && ('const' in deref(b) || deref(b).enum)) ? -1 : best;
}

function segments(instancePath: string, root: unknown): PathSegment[] {
  const out: PathSegment[] = [];
  let node = root;
  for (const raw of instancePath.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const seg: PathSegment = Array.isArray(node) ? Number(part) : part;
    out.push(seg);
    node = (node as Record<string, unknown> | undefined)?.[seg as string];
  }
  return out;
}

function valueAt(root: unknown, path: PathSegment[]): unknown {
  let node = root;
  for (const seg of path) node = (node as Record<string, unknown> | undefined)?.[seg as string];
  return node;
}

function describe(e: ErrorObject): string {
  const parent = e.parentSchema as AnySchemaObject | undefined;
  if (parent?.description) return String(parent.description);
  return e.message ?? e.keyword;
}

function toProblem(e: ErrorObject, base: PathSegment[], value: unknown): RawProblem | undefined {
  const path = [...base, ...segments(e.instancePath, value)];
  const v = valueAt(value, path.slice(base.length));
  const parent = e.parentSchema as AnySchemaObject | undefined;
  // An error inside propertyNames is about a key: report it at that key.
  const propertyName = (e as ErrorObject & { propertyName?: string }).propertyName;
  if (propertyName !== undefined) {
    const allowed = e.keyword === 'enum' ? (e.params as { allowedValues: unknown[] }).allowedValues.map(String) : [];
    const guess = didYouMean(propertyName, allowed);
    return {
      path: [...path, propertyName],
      atKey: true,
      expected: allowed.length ? `a known field (${allowed.join(', ')})` : describe(e),
      found: `unknown field ${JSON.stringify(propertyName)}`,
      hint: guess ? `did you mean "${guess}"?` : undefined,
    };
  }
  switch (e.keyword) {
    case 'propertyNames':
      return undefined; // its inner error names the key
    case 'additionalProperties': {
      const field = (e.params as { additionalProperty: string }).additionalProperty;
      const allowed = Object.keys((parent?.properties as object | undefined) ?? {});
      const guess = didYouMean(field, allowed);
      return {
        path: [...path, field],
        atKey: true,
        expected: `a known field (${allowed.join(', ')})`,
        found: `unknown field ${JSON.stringify(field)}`,
        hint: guess ? `did you mean "${guess}"?` : undefined,
      };
    }
    case 'required': {
      const field = (e.params as { missingProperty: string }).missingProperty;
      const fieldSchema = parent?.properties?.[field] as AnySchemaObject | undefined;
      const what = fieldSchema ? deref(fieldSchema).description : undefined;
      return { path: [...path, field], expected: what ? `${what} (required)` : 'this field (required)', found: 'nothing' };
    }
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map(String);
      const guess = typeof v === 'string' ? didYouMean(v, allowed) : undefined;
      return {
        path,
        expected: parent?.description ? String(parent.description) : `one of ${allowed.join(', ')}`,
        found: showValue(v),
        hint: guess ? `did you mean "${guess}"?` : undefined,
      };
    }
    case 'if':
      return undefined; // the `then` branch's own errors say what is wrong
    default:
      return { path, expected: describe(e), found: showValue(v) };
  }
}

/**
 * Validate `value` (the part of the document at `base`) against the schema at `ref`.
 * Returns problems without positions, in document order of Ajv's traversal.
 */
export function validateAgainst(value: unknown, ref = SCHEMA_ID, base: PathSegment[] = []): RawProblem[] {
  const validate = validatorFor(ref);
  if (validate(value)) return [];
  const errors = validate.errors ?? [];
  const problems: RawProblem[] = [];
  // Paths whose oneOf failed: everything at or below them is branch noise, replaced by the
  // chosen branch's own validation.
  const unions = errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf');
  const unionPaths = unions.map((e) => e.instancePath);
  const under = (p: string, u: string) => p === u || p.startsWith(u + '/');
  for (const e of errors) {
    if (e.keyword === 'oneOf' || e.keyword === 'anyOf') continue;
    if (unionPaths.some((u) => under(e.instancePath, u))) continue;
    const p = toProblem(e, base, value);
    if (p) problems.push(p);
  }
  for (const u of unions) {
    // Nested unions inside a failed union are handled by the recursion below.
    if (unionPaths.some((other) => other !== u.instancePath && under(u.instancePath, other))) continue;
    const rel = segments(u.instancePath, value);
    const v = valueAt(value, rel);
    const branches = u.schema as AnySchemaObject[];
    const b = chooseBranch(branches, v);
    const branchRef = `${SCHEMA_ID}#${pointers.get(branches)}/${b}`;
    const sub = b >= 0 ? validateAgainst(v, branchRef, [...base, ...rel]) : [];
    if (sub.length > 0) problems.push(...sub);
    else problems.push({ path: [...base, ...rel], expected: describe(u), found: showValue(v) });
  }
  // One line per distinct problem.
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.path.join('.')}|${p.expected}|${p.found}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Render a path the way users write it: actors[2].size.values[0]. */
export function formatPath(path: readonly PathSegment[]): string {
  let s = '';
  for (const seg of path) s += typeof seg === 'number' ? `[${seg}]` : s === '' ? seg : `.${seg}`;
  return s;
}

export type { Problem };
