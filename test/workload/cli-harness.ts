// Run `rmsim <command>` in-process (the same commander wiring and exit-code rules as
// sim/cli/main.ts) and capture what it prints, so many CLI cases fit in a fast test.
import { Command, CommanderError } from 'commander';
import { registerCommands } from '../../sim/cli/commands.js';
import { UsageError } from '../../sim/errors.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function rmsim(args: string[]): Promise<CliResult> {
  const program = new Command().name('rmsim').exitOverride();
  registerCommands(program);
  let stdout = '';
  let stderr = '';
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string | Uint8Array) => { stdout += String(s); return true; }) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => { stderr += String(s); return true; }) as typeof process.stderr.write;
  program.configureOutput({ writeOut: (s) => { stdout += s; }, writeErr: (s) => { stderr += s; } });
  const saved = process.exitCode;
  process.exitCode = 0;
  let code = 0;
  try {
    await program.parseAsync(['node', 'rmsim', ...args]);
    code = Number(process.exitCode ?? 0);
  } catch (err) {
    if (err instanceof CommanderError) code = err.exitCode === 0 ? 0 : 2;
    else if (err instanceof UsageError) {
      stderr += `rmsim: ${err.message}\n`;
      code = 2;
    } else throw err;
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
    process.exitCode = saved;
  }
  return { code, stdout, stderr };
}
