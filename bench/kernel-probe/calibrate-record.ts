// Records a calibration probe run to a file, for fixtures and for comparing hosts:
//   node dist/bench/kernel-probe/calibrate-record.js [--quick] OUT.json
// (as root for /dev/kvm and the shmem THP rows). `rmsim calibrate` runs the same probe and fits it.
import { writeFileAtomic } from '../../sim/output/atomic-write.js';
import { runCalibrationProbe } from './calibrate-run.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const out = args.find((a) => !a.startsWith('--'));
if (!out) {
  process.stderr.write('usage: node dist/bench/kernel-probe/calibrate-record.js [--quick] OUT.json\n');
  process.exit(2);
}
const recording = await runCalibrationProbe({
  quick,
  command: `node dist/bench/kernel-probe/calibrate-record.js${quick ? ' --quick' : ''} ${out}`,
  onProgress: (done, total, what) => process.stderr.isTTY && process.stderr.write(`\r\x1b[K[${done}/${total}] ${what}`),
});
if (process.stderr.isTTY) process.stderr.write('\n');
writeFileAtomic(out, JSON.stringify(recording) + '\n');
process.stderr.write(`${recording.rows.length} rows, ${recording.skipped.length} skipped -> ${out}\n`);
