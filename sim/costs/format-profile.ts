// A cost profile as the shipped profiles are written: one line per cost, so a diff of two
// profiles (a recalibration) shows one line per value that moved. Parsing it back gives the
// same object (JSON.parse(formatProfile(p)) deep-equals p).
import type { CostProfileFile } from './schema.js';

/** JSON text of a profile: top-level fields indented, each cost entry on one line. */
export function formatProfile(p: CostProfileFile): string {
  const lines: string[] = ['{'];
  const top = Object.entries(p);
  top.forEach(([key, value], i) => {
    const comma = i < top.length - 1 ? ',' : '';
    if ((key === 'costs' || key === 'lockCosts') && value && typeof value === 'object') {
      const entries = Object.entries(value as Record<string, unknown>);
      lines.push(`  ${JSON.stringify(key)}: {`);
      entries.forEach(([name, e], j) => lines.push(`    ${JSON.stringify(name)}: ${JSON.stringify(e)}${j < entries.length - 1 ? ',' : ''}`));
      lines.push(`  }${comma}`);
    } else {
      lines.push(`  ${JSON.stringify(key)}: ${JSON.stringify(value, null, 2).replace(/\n/g, '\n  ')}${comma}`);
    }
  });
  lines.push('}');
  return lines.join('\n') + '\n';
}
