// HTML pieces every report page needs: the Vega runtime to inline (reports open offline),
// escaping, and JSON that is safe inside a <script> element. The page layout is layout.ts.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

let vegaRuntime: string | undefined;

/** vega.min.js is not in vega's exports map: find it beside the module build on disk. */
export function loadVegaRuntime(): string {
  if (vegaRuntime === undefined) {
    const resolved = createRequire(import.meta.url).resolve('vega');
    vegaRuntime = readFileSync(join(dirname(resolved), 'vega.min.js'), 'utf8');
  }
  return vegaRuntime;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON inside a <script> element: keep `</script>` and friends from closing it. */
export function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c');
}
