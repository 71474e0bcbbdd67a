// The list of subcommands. Each module exports a `register(program)` function.
import type { Command } from 'commander';
import { register as registerReport } from './report.js';

export function registerCommands(program: Command): void {
  registerReport(program);
}
