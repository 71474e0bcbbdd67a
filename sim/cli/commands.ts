// The list of subcommands. Each module exports a `register(program)` function.
import type { Command } from 'commander';
import { register as registerReport } from './report.js';
import { register as registerRun } from './run.js';
import { register as registerList } from './list.js';
import { register as registerBench } from './bench.js';
import { register as registerProbe } from './probe.js';
import { register as registerSweep } from './sweep.js';
import { register as registerMerge } from './merge.js';
import { register as registerCalibrate } from './calibrate.js';
import { register as registerValidate } from './validate.js';

export function registerCommands(program: Command): void {
  registerRun(program);
  registerList(program);
  registerReport(program);
  registerBench(program);
  registerProbe(program);
  registerSweep(program);
  registerMerge(program);
  registerCalibrate(program);
  registerValidate(program);
}
