// One configured Ajv for the project's JSON Schemas: every error reported (allErrors) with
// its schema (verbose) so messages can say what was expected; strict so a typo in a schema
// itself fails loudly.
//
// Ajv is loaded on the first validator compiled, not when a module importing this one loads:
// a sweep's worker threads run specs the main thread already validated and never compile a
// schema, so each would otherwise load Ajv's ~60 modules for nothing at start-up.
import { createRequire } from 'node:module';
import type { Ajv } from 'ajv';

export function createAjv(): Ajv {
  const { Ajv: AjvClass } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
  return new AjvClass({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
}
