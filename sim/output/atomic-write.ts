// Outputs are written to a temporary name in the destination folder and renamed into place,
// so a reader (or a crash) never sees half a file. Callers build every output in memory first
// and write nothing at all when the run fails (DESIGN.md principle 8).
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Write `data` to `path` through a temporary file in the same folder (same filesystem). */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.rmsim-tmp-${process.pid}-${basename(path)}`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Write several files; each lands atomically (a set is committed file by file, in order). */
export function writeFilesAtomic(files: ReadonlyArray<{ path: string; data: string | Uint8Array }>): void {
  for (const f of files) writeFileAtomic(f.path, f.data);
}
