// The list of subcommands. Each module exports a `register(program)` function.
import type { Command } from 'commander';

export function registerCommands(program: Command): void {
  void program;
}
