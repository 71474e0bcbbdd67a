// `rmsim merge`: shards of one sweep back into the sweep.json an unsharded run writes. Refuses
// (exit 2, with the file names) shards of different grids, a header that does not hash to its
// fingerprint, a missing or repeated shard, and runs outside their shard's slice.
import { UsageError } from '../errors.js';
import { buildSweepDocument, type RunMetrics, type SweepDocument } from './sweep-aggregate.js';
import { headerFingerprint } from './sweep-plan.js';
import { SHARD_SCHEMA_ID, type ShardFile } from './sweep-shard.js';

export interface ShardInput {
  /** Where it came from, for messages. */
  source: string;
  text: string;
}

function parseShardFile(input: ShardInput): ShardFile {
  let f: ShardFile;
  try {
    f = JSON.parse(input.text) as ShardFile;
  } catch {
    throw new UsageError(`${input.source}: expected a sweep shard (JSON), found text that does not parse`);
  }
  if (f?.schema !== SHARD_SCHEMA_ID) throw new UsageError(`${input.source}: expected a sweep shard (schema ${SHARD_SCHEMA_ID}), found ${JSON.stringify(f?.schema)}`);
  if (headerFingerprint(f.header) !== f.fingerprint) throw new UsageError(`${input.source}: its grid does not hash to its fingerprint ${f.fingerprint} (edited or truncated?)`);
  return f;
}

/** Merge every shard of one sweep into its sweep.json document. */
export function mergeShards(inputs: readonly ShardInput[]): SweepDocument {
  if (inputs.length === 0) throw new UsageError('merge: expected at least one shard folder');
  const shards = inputs.map((i) => ({ source: i.source, file: parseShardFile(i) }));
  const first = shards[0];
  for (const s of shards) {
    if (s.file.fingerprint !== first.file.fingerprint) {
      throw new UsageError(`merge: ${s.source} is a shard of another sweep (grid ${s.file.fingerprint}) than ${first.source} (grid ${first.file.fingerprint})`);
    }
  }
  const count = first.file.shard.count;
  const bySlice = new Map<number, string>();
  for (const s of shards) {
    const { index } = s.file.shard;
    if (s.file.shard.count !== count) throw new UsageError(`merge: ${s.source} is shard ${index}/${s.file.shard.count}, ${first.source} one of ${count}`);
    const seen = bySlice.get(index);
    if (seen !== undefined) throw new UsageError(`merge: shard ${index}/${count} given twice (${seen} and ${s.source})`);
    bySlice.set(index, s.source);
  }
  const missing = Array.from({ length: count }, (_, k) => k + 1).filter((i) => !bySlice.has(i));
  if (missing.length) throw new UsageError(`merge: missing shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} of ${count}`);

  const total = first.file.runs_total;
  const runs: Array<RunMetrics | undefined> = new Array<RunMetrics | undefined>(total);
  for (const s of shards) {
    for (const r of s.file.runs) {
      if (!Number.isSafeInteger(r.run) || r.run < 0 || r.run >= total || r.run % count !== s.file.shard.index - 1) {
        throw new UsageError(`merge: ${s.source} holds run ${r.run}, which is not in shard ${s.file.shard.index}/${count}`);
      }
      if (runs[r.run] !== undefined) throw new UsageError(`merge: run ${r.run} appears twice`);
      runs[r.run] = r.metrics;
    }
  }
  const absent = runs.findIndex((r) => r === undefined);
  if (absent >= 0 || runs.length !== total) throw new UsageError(`merge: run ${absent} of ${total} is in no shard (a shard that did not finish?)`);
  return buildSweepDocument(first.file.header, first.file.fingerprint, runs as RunMetrics[]);
}
