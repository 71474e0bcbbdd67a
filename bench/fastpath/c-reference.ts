// Builds and runs the C reference (c/fastpath.c) with the system `cc -O2` when there is one.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CResult {
  ept_map_ns: number;
  ept_walk_ns: number;
  ept_zap_ns: number;
  buddy_ns: number;
  walk_checksum: number;
  zapped: number;
  buddy_checksum: number;
  cc: string;
}

/** The C figures, or a reason why there are none. */
export function runCReference(scale: number, reps: number): CResult | { note: string } {
  const src = fileURLToPath(new URL('../../../bench/fastpath/c/fastpath.c', import.meta.url));
  let cc: string;
  try {
    cc = execFileSync('cc', ['--version'], { encoding: 'utf8' }).split('\n')[0]!;
  } catch {
    return { note: 'no C compiler (cc) on this machine' };
  }
  const dir = mkdtempSync(join(tmpdir(), 'rmsim-fastpath-c-'));
  try {
    const bin = join(dir, 'fastpath');
    execFileSync('cc', ['-O2', '-o', bin, src]);
    const out = execFileSync(bin, [String(scale), String(reps)], { encoding: 'utf8', maxBuffer: 1 << 20 });
    return { ...(JSON.parse(out) as Omit<CResult, 'cc'>), cc };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
