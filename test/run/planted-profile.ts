// A planted change for experiment tests: the shipped cost profile with every cost (and every
// lock cost) multiplied by a factor, written to a temporary file, as a user's patched profile.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultProfile } from '../../sim/costs/index.js';

export function plantedProfile(factor: number, name: string): string {
  const base = defaultProfile();
  const file = JSON.parse(JSON.stringify(base.file)) as { name: string; costs: Record<string, { value: number }>; lockCosts: Record<string, { value: number }> };
  // Lock costs are whole nanoseconds (the engine refuses fractions); model costs may be fractional.
  const scale = (entries: Record<string, { value: number }>, round: (x: number) => number) => {
    const names = Object.keys(entries);
    if (names.length === 0) throw new Error('profile has no costs to scale');
    for (const k of names) entries[k].value = round(entries[k].value * factor);
  };
  scale(file.costs, (x) => x);
  scale(file.lockCosts, Math.round);
  file.name = name;
  const path = join(mkdtempSync(join(tmpdir(), 'rmsim-planted-')), `${name}.json`);
  writeFileSync(path, JSON.stringify(file, null, 2));
  return path;
}

/** The shipped profile's name (the unchanged side). */
export function shippedProfileName(): string {
  return defaultProfile().name;
}

