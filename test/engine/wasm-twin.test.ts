// The WASM side (wasm/shared/) must reproduce the engine's draws, log/exp and histogram buckets
// bit for bit: a million of each, compared one by one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RngStream, streamState, detLog, detExp, bucketIndex, makeDistribution } from '../../sim/engine/index.js';

const N = 1_000_000;
const repo = fileURLToPath(new URL('../../../', import.meta.url));

/** Compile wasm/shared/selftest.ts now (the sources as they are, not a possibly stale build/). */
let compiled: Promise<Uint8Array> | null = null;
function compileTwin(): Promise<Uint8Array> {
  compiled ??= (async () => {
    const asc = await import('assemblyscript/asc');
    const dir = mkdtempSync(join(tmpdir(), 'rmsim-twin-'));
    const out = join(dir, 'selftest.wasm');
    const res = await asc.main([join(repo, 'wasm/shared/selftest.ts'), '-o', out, '--runtime', 'stub', '-O3'], {});
    if (res.error) throw new Error(`asc failed: ${res.error.message}\n${res.stderr.toString()}`);
    const bytes = readFileSync(out);
    rmSync(dir, { recursive: true, force: true });
    return bytes;
  })();
  return compiled;
}

interface Twin {
  seed(a: number, b: number, c: number, d: number): void;
  nextU32(): number;
  uniform01(): number;
  exponential(mean: number): number;
  lognormal(median: number, sigma: number): number;
  below(n: number): number;
  log(x: number): number;
  exp(x: number): number;
  bucket(v: number): number;
}

async function loadTwin(): Promise<Twin> {
  const bytes = await compileTwin();
  const mod = await WebAssembly.compile(bytes as unknown as ArrayBuffer);
  const instance = await WebAssembly.instantiate(mod, { env: { abort: () => { throw new Error('abort'); } } });
  return instance.exports as unknown as Twin;
}

function seeded(t: Twin, path: string): RngStream {
  const st = streamState(42, path, 3);
  t.seed(st[0], st[1], st[2], st[3]);
  return new RngStream(st);
}

test('wasm twin: 1M uint32, uniform, exponential, lognormal and below draws are bit-identical', async () => {
  const t = await loadTwin();
  let s = seeded(t, 'vm0/vcpu0');
  for (let i = 0; i < N; i++) if ((t.nextU32() >>> 0) !== s.nextU32()) assert.fail(`nextU32 differs at draw ${i}`);
  s = seeded(t, 'vm0/vcpu1');
  for (let i = 0; i < N; i++) if (t.uniform01() !== s.uniform01()) assert.fail(`uniform01 differs at draw ${i}`);
  s = seeded(t, 'vm0/vcpu2');
  const ex = makeDistribution({ kind: 'exponential', mean: 16_000 });
  for (let i = 0; i < N; i++) {
    const a = t.exponential(16_000);
    const b = ex.sample(s);
    if (a !== b) assert.fail(`exponential differs at draw ${i}: wasm ${a} ts ${b}`);
  }
  s = seeded(t, 'vm0/vcpu3');
  const ln = makeDistribution({ kind: 'lognormal', median: 5_000, sigma: 1.3 });
  for (let i = 0; i < N; i++) {
    const a = t.lognormal(5_000, 1.3);
    const b = ln.sample(s);
    if (a !== b) assert.fail(`lognormal differs at draw ${i}: wasm ${a} ts ${b}`);
  }
  s = seeded(t, 'vm0/vcpu4');
  for (let i = 0; i < N; i++) if (t.below(1000003) !== s.below(1000003)) assert.fail(`below differs at draw ${i}`);
});

test('wasm twin: detLog/detExp agree bit for bit over 1M arguments spanning the range', async () => {
  const t = await loadTwin();
  const s = new RngStream(streamState(7, 'detmath', 0));
  const f = new Float64Array(1);
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < N; i++) {
    // random finite positive doubles: random mantissa, exponent anywhere in the normal range plus subnormals
    u[0] = s.nextU32();
    u[1] = (s.nextU32() & 0x7fefffff) >>> 0;
    const x = f[0];
    const a = t.log(x);
    const b = detLog(x);
    if (!Object.is(a, b)) assert.fail(`log(${x}) differs: wasm ${a} ts ${b}`);
    const y = (s.uniform01() - 0.5) * 1500;
    const c = t.exp(y);
    const d = detExp(y);
    if (!Object.is(c, d)) assert.fail(`exp(${y}) differs: wasm ${c} ts ${d}`);
  }
});

test('wasm twin: histogram bucket indices agree for 1M values from 0 to 2^53', async () => {
  const t = await loadTwin();
  const s = new RngStream(streamState(9, 'buckets', 0));
  for (let i = 0; i < N; i++) {
    // log-uniform magnitudes so every power of two is exercised
    const v = Math.floor(s.uniform01() * 2 ** (s.below(54)));
    const a = t.bucket(v);
    const b = bucketIndex(v);
    if (a !== b) assert.fail(`bucket(${v}) differs: wasm ${a} ts ${b}`);
  }
  for (const v of [0, 1, 127, 128, 255, 256, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53 - 1]) assert.equal(t.bucket(v), bucketIndex(v), `bucket(${v})`);
});
