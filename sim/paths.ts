// Where the package's data files live, found from this module's location so the compiled
// code (dist/sim) and the sources agree: the folder holding our package.json.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      const name = (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name;
      if (name === 'restrictedmem-sim') return (root = dir);
    }
    const up = resolve(dir, '..');
    if (up === dir) throw new Error('restrictedmem-sim package root not found');
    dir = up;
  }
}

export function builtinWorkloadDir(): string {
  return join(packageRoot(), 'workloads');
}

export function workloadSchemaPath(): string {
  return join(builtinWorkloadDir(), 'schema.json');
}
