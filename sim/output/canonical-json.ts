// Canonical JSON for deterministic outputs: object keys sorted at every level (arrays keep
// their order), numbers as JavaScript prints them (shortest round-trip form, the same in every
// V8), no whitespace. The digest of a document is sha256 over this form of the document
// without its `digest` field, so anyone can recompute it from the file alone.
import { createHash } from 'node:crypto';

export function canonicalize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonicalize);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = canonicalize(x);
    }
    return out;
  }
  if (typeof v === 'number' && !Number.isFinite(v)) {
    throw new Error(`non-finite number ${v} cannot be written to canonical JSON`);
  }
  return v;
}

export function canonicalJson(v: unknown): string {
  return JSON.stringify(canonicalize(v));
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The digest of a document: "sha256:" + hex over canonicalJson(doc without `digest`). */
export function documentDigest(doc: Record<string, unknown>): string {
  const { digest: _ignored, ...body } = doc;
  void _ignored;
  return `sha256:${sha256Hex(canonicalJson(body))}`;
}

/**
 * Readable, still deterministic text: objects one key per line in the given key order (callers
 * canonicalize first), arrays of scalars or of small scalar tuples on one line, so histogram
 * buckets and series stay compact.
 */
export function stableStringify(v: unknown, indent = ''): string {
  const inner = indent + '  ';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    const flat = v.every((x) => x === null || typeof x !== 'object' || (Array.isArray(x) && x.every((y) => y === null || typeof y !== 'object')));
    if (flat) return JSON.stringify(v);
    return `[\n${v.map((x) => inner + stableStringify(x, inner)).join(',\n')}\n${indent}]`;
  }
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined);
    if (keys.length === 0) return '{}';
    return `{\n${keys.map((k) => `${inner}${JSON.stringify(k)}: ${stableStringify((v as Record<string, unknown>)[k], inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(v);
}
