// One configured Ajv for the project's JSON Schemas: every error reported (allErrors) with
// its schema (verbose) so messages can say what was expected; strict so a typo in a schema
// itself fails loudly.
import { Ajv } from 'ajv';

export function createAjv(): Ajv {
  return new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
}
