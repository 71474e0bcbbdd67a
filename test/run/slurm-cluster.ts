// A throw-away one-node Slurm cluster for tests: munged, slurmctld and slurmd in the
// foreground as children of this process, with a temporary key, configuration, state and
// ports, so nothing of the machine's own Slurm or munge is used or touched. stop() ends exactly
// the processes start() spawned and removes the folder; callers call it in `finally`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

const DAEMONS = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'sinfo'];

/** Why a Slurm cluster cannot be started here, or undefined when it can be tried. */
export function slurmUnavailable(): string | undefined {
  const missing = DAEMONS.filter((d) => spawnSync('sh', ['-c', `command -v ${d} || test -x /usr/sbin/${d}`]).status !== 0);
  if (missing.length) return `Slurm/munge not installed (${missing.join(', ')} missing; .ci/run installs slurm-wlm and munge)`;
  if (process.getuid?.() !== 0) return 'slurmd must run as root to start jobs';
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

async function waitFor(what: string, ok: () => boolean, timeoutMs: number, log: () => string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`slurm test cluster: ${what} did not happen within ${timeoutMs} ms\n${log()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function bin(name: string): string {
  return existsSync(`/usr/sbin/${name}`) ? `/usr/sbin/${name}` : name;
}

export interface SlurmCluster {
  dir: string;
  /** Environment for sbatch/squeue/sinfo (SLURM_CONF). */
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

export async function startSlurmCluster(): Promise<SlurmCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'rmsim-slurm-'));
  const children: ChildProcess[] = [];
  const logs = () => ['slurmctld.log', 'slurmd.log', 'munged.log'].map((f) => {
    const p = join(dir, 'log', f);
    return existsSync(p) ? `--- ${f}\n${readFileSync(p, 'utf8').split('\n').slice(-15).join('\n')}` : `--- ${f}: none`;
  }).join('\n');
  const stop = async () => {
    // The daemons run in the foreground as our children: SIGTERM each, wait for its exit.
    for (const c of [...children].reverse()) {
      if (c.exitCode === null && c.signalCode === null) {
        const exited = new Promise<void>((r) => c.once('exit', () => r()));
        c.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // munged refuses a socket folder others can write, and a key others can read.
    for (const sub of ['munge', 'state', 'spool', 'log']) mkdirSync(join(dir, sub), { mode: 0o700 });
    chmodSync(dir, 0o755);
    const key = join(dir, 'munge', 'munge.key');
    writeFileSync(key, randomBytes(1024), { mode: 0o600 });
    const sock = join(dir, 'munge', 'munge.sock');
    const spawnDaemon = (cmd: string, args: string[]) => {
      const c = spawn(bin(cmd), args, { stdio: 'ignore', env: { ...process.env, SLURM_CONF: join(dir, 'slurm.conf') } });
      c.on('error', () => { /* reported by the readiness wait */ });
      children.push(c);
      return c;
    };
    spawnDaemon('munged', ['--foreground', '--force', `--key-file=${key}`, `--socket=${sock}`, `--pid-file=${join(dir, 'munge', 'munged.pid')}`,
      `--log-file=${join(dir, 'log', 'munged.log')}`, `--seed-file=${join(dir, 'munge', 'munged.seed')}`]);
    await waitFor('munged socket', () => existsSync(sock), 10_000, logs);

    const host = hostname();
    const conf = [
      'ClusterName=rmsimtest',
      `SlurmctldHost=${host}(127.0.0.1)`,
      'SlurmUser=root',
      'SlurmdUser=root',
      `SlurmctldPort=${await freePort()}`,
      `SlurmdPort=${await freePort()}`,
      'AuthType=auth/munge',
      `AuthInfo=socket=${sock}`,
      'CredType=cred/munge',
      `StateSaveLocation=${join(dir, 'state')}`,
      `SlurmdSpoolDir=${join(dir, 'spool')}`,
      `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
      `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
      `SlurmctldLogFile=${join(dir, 'log', 'slurmctld.log')}`,
      `SlurmdLogFile=${join(dir, 'log', 'slurmd.log')}`,
      // No cgroups: the test must not depend on the machine's cgroup setup.
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'SchedulerType=sched/builtin',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_CPU',
      'MpiDefault=none',
      'SwitchType=switch/none',
      'JobCompType=jobcomp/none',
      'JobAcctGatherType=jobacct_gather/none',
      'AccountingStorageType=accounting_storage/none',
      'ReturnToService=2',
      `PlugStackConfig=${join(dir, 'plugstack.conf')}`,
      `NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus().length} State=UNKNOWN`,
      `PartitionName=rmsim Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
    ];
    writeFileSync(join(dir, 'slurm.conf'), conf.join('\n') + '\n');
    writeFileSync(join(dir, 'plugstack.conf'), '');
    const env = { ...process.env, SLURM_CONF: join(dir, 'slurm.conf') };
    spawnDaemon('slurmctld', ['-D', '-f', join(dir, 'slurm.conf')]);
    spawnDaemon('slurmd', ['-D', '-f', join(dir, 'slurm.conf')]);
    const idle = () => {
      const r = spawnSync('sinfo', ['-h', '-o', '%T'], { env, encoding: 'utf8' });
      return r.status === 0 && /idle/.test(r.stdout);
    };
    await waitFor('an idle node', idle, 30_000, logs);
    return { dir, env, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
