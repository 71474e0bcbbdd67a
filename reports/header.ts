// What every report's header says about a run, whatever compared it: the cost profile with the
// host it was measured on, and run warnings as text. metrics.json's warnings are read
// generically (strings, or objects with a message and a kind), so a new kind shows as written.
import { resolveProfile } from '../sim/costs/index.js';

/** The cost profile's host, when the profile is a shipped one. */
export function profileHost(name: string | undefined): string | undefined {
  if (!name) return undefined;
  try {
    const h = resolveProfile(name).host;
    return [h.cpu, h.kernel && `kernel ${h.kernel}`, h.hypervisor?.split(/[,;]/)[0]].filter(Boolean).join(', ');
  } catch {
    return undefined;
  }
}

/** "spr-pvm-6.18 (Intel Xeon ..., kernel 6.18, ...)" */
export function profileField(name: string | undefined): string {
  const host = profileHost(name);
  return `${name ?? 'unknown'}${host ? ` (${host})` : ''}`;
}

export function warningText(w: unknown): string {
  if (typeof w === 'string') return w;
  if (w && typeof w === 'object' && typeof (w as { message?: unknown }).message === 'string') {
    // metrics.json's RunWarning: { kind: 'saturated' | 'warmup_not_reached', message, ... }.
    const o = w as { message: string; kind?: unknown };
    return typeof o.kind === 'string' ? `${o.kind}: ${o.message}` : o.message;
  }
  return JSON.stringify(w);
}

/** The warnings of several runs, each prefixed with the run's label; one line per distinct warning. */
export function labelledWarnings(runs: Array<{ label: string; warnings?: unknown[] }>): string[] {
  return [...new Set(runs.flatMap((r) => (r.warnings ?? []).map((w) => `${r.label}: ${warningText(w)}`)))];
}
