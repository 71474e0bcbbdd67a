// The fast-path benchmark's clock and quiet points, shared by its sections (run.ts, c-twins.ts).
import v8 from 'node:v8';
import vm from 'node:vm';

// Optimize every WASM function before it first runs (toolchain.md: no OSR for wasm).
v8.setFlagsFromString('--no-liftoff');
// process.cpuUsage counts V8's GC threads too: collect before each timed pass so one variant's
// garbage is not charged to the next.
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

/** Process CPU time in ns (the machine is shared: wall time would count other tenants). */
export const cpuNs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) * 1000; };

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
/**
 * Wait (without spending CPU) until no thread of this process is working: after gc() V8 still
 * frees dead ArrayBuffers' memory on background threads (tens of MB from the typed-array and
 * Map variants), and process CPU time would charge that to whatever is timed next. Returns when
 * a 10 ms sleep costs under 0.5 ms of process CPU, or after 1 s.
 */
function settle(): void {
  for (let i = 0; i < 100; i++) {
    const c0 = cpuNs();
    Atomics.wait(sleepCell, 0, 0, 10);
    if (cpuNs() - c0 < 500_000) return;
  }
}

/** A full GC, then wait until the process is idle: call right before a timed pass. */
export function quiesce(): void {
  collectGarbage();
  settle();
}
