#!/usr/bin/env node
// rmsim: the command-line entry point. Each subcommand lives in its own file and
// registers itself here; exit codes follow DESIGN.md (0 ok, 1 check failed, 2 bad input).
import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands.js';
import { UsageError } from '../errors.js';

const program = new Command();
program
  .name('rmsim')
  .description('Deterministic discrete-event simulator of memfd_restricted / KVM guest_memfd')
  .version(process.env.npm_package_version ?? '0.1.0')
  .exitOverride()
  .showHelpAfterError();

registerCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exit(err.exitCode === 0 ? 0 : 2);
  }
  if (err instanceof UsageError) {
    process.stderr.write(`rmsim: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
