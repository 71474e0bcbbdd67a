// Reading a probe recording (types.ts) from JSON: checked against its schema so a fit never
// runs on a file of another kind, with the first problem named.
import { readFileSync } from 'node:fs';
import type { ValidateFunction } from 'ajv';
import { createAjv } from '../schema.js';
import { UsageError } from '../errors.js';
import type { ProbeRecording } from './types.js';

const recordingSchema = {
  type: 'object',
  required: ['schema', 'host', 'command', 'rows', 'skipped'],
  properties: {
    schema: { const: 'rmsim.probe/1' },
    host: {
      type: 'object',
      required: ['cpu_model', 'kernel', 'nested', 'date', 'online_cpus', 'kvm', 'guest_memfd', 'shmem_enabled'],
      properties: {
        cpu_model: { type: 'string' }, kernel: { type: 'string' }, nested: { type: 'boolean' }, date: { type: 'string' },
        online_cpus: { type: 'integer' }, kvm: { type: 'boolean' }, guest_memfd: { type: 'boolean' }, shmem_enabled: { type: 'string' }, caches: { type: 'string' },
      },
    },
    command: { type: 'string' },
    rows: {
      type: 'array',
      items: {
        type: 'object',
        required: ['probe', 'backend', 'params', 'samples_ns'],
        properties: {
          probe: { type: 'string' },
          backend: { enum: ['guest_memfd', 'shmem', 'kvm'] },
          params: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
          samples_ns: { type: 'array', items: { type: 'number' } },
          punches: { type: 'array' },
        },
      },
    },
    skipped: { type: 'array', items: { type: 'object', required: ['what', 'why'], properties: { what: { type: 'string' }, why: { type: 'string' } } } },
  },
} as const;

// Compiled on first use (about 65 ms): every CLI command imports this module through the
// calibrate command's registration, and only a fit reads a recording.
let compiled: ValidateFunction | undefined;

export function parseRecording(data: unknown, where: string): ProbeRecording {
  const validate = (compiled ??= createAjv().compile(recordingSchema));
  if (!validate(data)) {
    const e = validate.errors?.[0];
    throw new UsageError(`${where}: not a probe recording (rmsim.probe/1): ${e?.instancePath || '/'} ${e?.message ?? 'invalid'}`);
  }
  return data as unknown as ProbeRecording;
}

export function loadRecording(path: string): ProbeRecording {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UsageError(`--from ${path}: cannot read the file`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--from ${path}: invalid JSON (${(err as Error).message})`);
  }
  return parseRecording(data, path);
}
