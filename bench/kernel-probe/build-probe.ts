// Builds one of bench/kernel-probe/*.c with the system cc (-O2) into a temporary directory,
// and runs a built probe streaming its stdout lines and stderr progress lines. The probes are
// built at run time, on the host they measure, so nothing compiled elsewhere is trusted.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

/** The probe cannot run here (no cc, a failing build or syscall): said in one line. */
export class ProbeError extends Error {}

/** The source of a probe, by file name (bench/kernel-probe/NAME). */
export function probeSource(name: string): string {
  return fileURLToPath(new URL(`../../../bench/kernel-probe/${name}`, import.meta.url));
}

/** The first line of `cc --version`, or a ProbeError when there is no compiler. */
export function compilerVersion(): string {
  try {
    return execFileSync('cc', ['--version'], { encoding: 'utf8' }).split('\n')[0]!;
  } catch {
    throw new ProbeError('no C compiler (cc) on this machine: the kernel probe cannot be built');
  }
}

export interface BuiltProbe {
  bin: string;
  /** Removes the temporary directory. */
  dispose(): void;
}

/** cc -O2 -pthread SOURCE into a fresh temporary directory. */
export function buildProbe(sourceName: string): BuiltProbe {
  compilerVersion();
  const dir = mkdtempSync(join(tmpdir(), 'rmsim-probe-'));
  const bin = join(dir, sourceName.replace(/\.c$/, ''));
  try {
    execFileSync('cc', ['-O2', '-Wall', '-pthread', '-o', bin, probeSource(sourceName)], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw new ProbeError(`cc ${sourceName} failed: ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}`);
  }
  return { bin, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Root may raise the probe's priority so other work does not preempt it mid-syscall. */
export function nicedCommand(bin: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['nice', ['-n', '-20', bin, ...args]] : [bin, args];
}

/**
 * Runs `bin args`, feeding `input` on stdin, calling onLine for every stdout line and onStderr
 * for every stderr line; rejects with a ProbeError (naming the last stderr lines) on a non-zero exit.
 */
export function streamProbe(bin: string, args: string[], handlers: { onLine: (line: string) => void; onStderr?: (line: string) => void; input?: string }): Promise<void> {
  const [cmd, argv] = nicedCommand(bin, args);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: [handlers.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const errTail: string[] = [];
    createInterface({ input: child.stdout! }).on('line', handlers.onLine);
    createInterface({ input: child.stderr! }).on('line', (l) => {
      if (!l.startsWith('# ')) errTail.push(l);
      if (errTail.length > 5) errTail.shift();
      handlers.onStderr?.(l);
    });
    child.on('error', (e) => reject(new ProbeError(`${bin}: ${e.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new ProbeError(`${bin.split('/').pop()} ${args.join(' ')} exited ${signal ?? code}: ${errTail.join(' | ') || 'no message'}`));
    });
    if (child.stdin) {
      // A probe that fails before reading all its input closes the pipe: its exit status says why.
      child.stdin.on('error', () => undefined);
      child.stdin.end(handlers.input);
    }
  });
}
