// Validation of metrics.json and run.json against the shipped schemas (sim/output/schemas/),
// for tests, for `rmsim merge`-style consumers and for users checking a file by hand.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { createAjv } from '../schema.js';
import { packageRoot } from '../paths.js';

export function outputSchemaPath(name: 'metrics' | 'run'): string {
  return join(packageRoot(), 'sim', 'output', 'schemas', `${name}.schema.json`);
}

const ajv = createAjv();
const validators = new Map<string, ValidateFunction>();

function validator(name: 'metrics' | 'run'): ValidateFunction {
  let v = validators.get(name);
  if (!v) {
    v = ajv.compile(JSON.parse(readFileSync(outputSchemaPath(name), 'utf8')) as object);
    validators.set(name, v);
  }
  return v;
}

function check(name: 'metrics' | 'run', doc: unknown): string[] {
  const v = validator(name);
  if (v(doc)) return [];
  return (v.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? e.keyword}`);
}

/** Problems with a parsed metrics.json (empty when it is valid). */
export function validateMetricsDocument(doc: unknown): string[] {
  return check('metrics', doc);
}

/** Problems with a parsed run.json (empty when it is valid). */
export function validateRunInfo(doc: unknown): string[] {
  return check('run', doc);
}
