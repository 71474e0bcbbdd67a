// Builds and runs the C reference (c/fastpath.c) with the system `cc -O2` when there is one.
// Built once per benchmark run; each section (EPT, buddy) can then be run on its own, so the
// benchmark times C in the same minutes as the WASM runs it is compared with.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One run's figures (ns per op); a section that was not run has nulls. */
export interface CRun {
  ept_map_ns: number | null;
  ept_walk_ns: number | null;
  ept_zap_ns: number | null;
  walk_checksum: number | null;
  zapped: number | null;
  buddy_ns: number | null;
  buddy_checksum: number | null;
}

export type CSection = 'all' | 'ept' | 'buddy';

export interface CReference {
  cc: string;
  run(section: CSection): CRun;
  dispose(): void;
}

/** Compile the C reference for this scale and repetition count, or say why not. */
export function buildCReference(scale: number, reps: number): CReference | { note: string } {
  const src = fileURLToPath(new URL('../../../bench/fastpath/c/fastpath.c', import.meta.url));
  let cc: string;
  try {
    cc = execFileSync('cc', ['--version'], { encoding: 'utf8' }).split('\n')[0]!;
  } catch {
    return { note: 'no C compiler (cc) on this machine' };
  }
  const dir = mkdtempSync(join(tmpdir(), 'rmsim-fastpath-c-'));
  const bin = join(dir, 'fastpath');
  try {
    execFileSync('cc', ['-O2', '-o', bin, src]);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    cc,
    run: (section) => JSON.parse(execFileSync(bin, [String(scale), String(reps), section], { encoding: 'utf8', maxBuffer: 1 << 20 })) as CRun,
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
