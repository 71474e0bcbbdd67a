// Builds the C reference (c/fastpath.c) with the system `cc -O2` when there is one and runs it
// as a server: one command out, one JSON line back, synchronously, so the benchmark can time a
// piece of C and the same piece of WASM back to back (c-twins.ts). The two talk through two
// FIFOs; this side opens both read-write and non-blocking (an open never waits for the other
// end, and a dead server cannot hang the benchmark: a reply not there within the deadline is an
// error).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
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

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
/** Longest a command may take (a full-size walk is well under a second). */
const REPLY_DEADLINE_MS = 120_000;

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
    execFileSync('mkfifo', [req, rep]);
    const flags = constants.O_RDWR | constants.O_NONBLOCK;
    fds.push(openSync(req, flags), openSync(rep, flags));
    child = spawn(bin, [z.map, z.walk, z.zap, z.buddy, req, rep].map(String), { stdio: ['ignore', 'ignore', 'inherit'] });
  } catch (e) {
    dispose();
    throw e;
  }
  const [reqFd, repFd] = fds as [number, number];
  const buf = Buffer.alloc(4096);
  const call = (command: string): Record<string, number> => {
    writeSync(reqFd, `${command}\n`);
    let text = '';
    const deadline = Date.now() + REPLY_DEADLINE_MS;
    while (!text.endsWith('\n')) {
      let n = 0;
      try {
        n = readSync(repFd, buf, 0, buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      }
      if (n > 0) { text += buf.toString('utf8', 0, n); continue; }
      if (Date.now() > deadline) throw new Error(`C reference: no answer to '${command}' within ${REPLY_DEADLINE_MS / 1000} s`);
      Atomics.wait(sleepCell, 0, 0, 1); // idle (no CPU) while the server works
    }
    const answer = JSON.parse(text) as Record<string, number> & { error?: string };
    if (answer.error !== undefined) throw new Error(`C reference: ${answer.error}: '${command}'`);
    return answer;
  };
  return { cc, flags: C_FLAGS, call, dispose };
}
