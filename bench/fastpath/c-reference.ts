// Builds the C reference (c/fastpath.c) with the system `cc -O2` when there is one and runs it
// as a server: one command out, one JSON line back, synchronously, so the benchmark can time a
// piece of C and the same piece of WASM back to back (c-twins.ts). The two talk through two
// FIFOs with blocking reads on both sides: while one side works the other sleeps in read(2)
// without waking (a polling wait would wake this process a thousand times a second, and on a
// busy machine each wake-up can preempt the server mid-piece). A server that dies is seen as
// end of file.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sizes } from './workloads.js';

/** The flags the reference is compiled with (kept as they were when the targets were set). */
export const C_FLAGS = ['-O2'];

export interface CReference {
  /** `cc --version`'s first line and the flags. */
  cc: string;
  flags: string[];
  /** Send one command (see c/fastpath.c), return its JSON answer. */
  call(command: string): Record<string, number>;
  dispose(): void;
}

/** Compile the C reference and start it for these workload sizes, or say why not. */
export function startCReference(z: Sizes): CReference | { note: string } {
  const src = fileURLToPath(new URL('../../../bench/fastpath/c/fastpath.c', import.meta.url));
  let cc: string;
  try {
    cc = execFileSync('cc', ['--version'], { encoding: 'utf8' }).split('\n')[0]!;
  } catch {
    return { note: 'no C compiler (cc) on this machine' };
  }
  const dir = mkdtempSync(join(tmpdir(), 'rmsim-fastpath-c-'));
  const bin = join(dir, 'fastpath');
  const req = join(dir, 'req');
  const rep = join(dir, 'rep');
  let child: ChildProcess | undefined;
  const fds: number[] = [];
  const dispose = () => {
    for (const fd of fds.splice(0)) closeSync(fd); // the server reads EOF and exits
    child?.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    execFileSync('cc', [...C_FLAGS, '-o', bin, src]);
    // it runs (no arguments: usage, exit 2) before anything waits for it to open the FIFOs
    if (spawnSync(bin, [], { stdio: 'ignore' }).status !== 2) throw new Error(`C reference: ${bin} does not run`);
    execFileSync('mkfifo', [req, rep]);
    child = spawn(bin, [z.map, z.walk, z.zap, z.buddy, req, rep].map(String), { stdio: ['ignore', 'ignore', 'inherit'] });
    // each open waits for the server's open of the other end (it opens req, then rep)
    fds.push(openSync(req, 'w'), openSync(rep, 'r'));
  } catch (e) {
    dispose();
    throw e;
  }
  const [reqFd, repFd] = fds as [number, number];
  const buf = Buffer.alloc(4096);
  const call = (command: string): Record<string, number> => {
    writeSync(reqFd, `${command}\n`);
    let text = '';
    while (!text.endsWith('\n')) {
      const n = readSync(repFd, buf, 0, buf.length, null);
      if (n === 0) throw new Error(`C reference: the server exited on '${command}'`);
      text += buf.toString('utf8', 0, n);
    }
    const answer = JSON.parse(text) as Record<string, number> & { error?: string };
    if (answer.error !== undefined) throw new Error(`C reference: ${answer.error}: '${command}'`);
    return answer;
  };
  return { cc, flags: C_FLAGS, call, dispose };
}
