/**
 * A single-node Slurm cluster of its own for tests: munged on its own key and socket, slurmctld and slurmd as root
 * (in the foreground, as children of the test) on free ports, with state, spool and logs in a temporary folder,
 * two CPUs, select/cons_tres, no accounting. stop() cancels every job, waits for them to end, then stops the
 * daemons and removes the folder. Needs Debian's slurm-wlm and munge (.ci/run installs them) and root.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Why the Slurm tests cannot run here, or undefined when they can. */
export function slurmMissing(): string | undefined {
  for (const program of ['slurmctld', 'slurmd', 'sbatch', 'munged', 'mungekey']) {
    if (spawnSync('sh', ['-c', `command -v ${program}`]).status !== 0) return `${program} is not installed (apt-get install slurm-wlm munge)`;
  }
  if (process.getuid?.() !== 0) return 'slurmd must run as root';
  return undefined;
}

/** A free TCP port on this machine (the kernel's choice). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface JobTask {
  readonly jobId: string;
  readonly arrayJobId: string;
  readonly arrayTaskId: number;
  readonly state: string;
  readonly exitCode: string;
  readonly reason: string;
}

export interface SlurmCluster {
  readonly dir: string;
  /** The environment that points Slurm's commands at this cluster. */
  readonly env: NodeJS.ProcessEnv;
  /** Run a Slurm command (sbatch, squeue, scancel, scontrol) against this cluster; its stdout. */
  run(command: string, args: readonly string[], cwd?: string): Promise<string>;
  /** Submit a batch script; the (array) job's id. */
  sbatch(args: readonly string[], cwd: string): Promise<string>;
  /** Wait until no task of the job is pending or running. */
  waitForJob(jobId: string, timeoutMs: number): Promise<void>;
  /** Every task of an array job as scontrol shows it (state, exit code). */
  tasks(arrayJobId: string): Promise<JobTask[]>;
  /** The daemons' logs, for a failing test's message. */
  logs(): string;
  stop(): Promise<void>;
}

/** Slurm's job states after which a job does not run again (squeue(1), JOB STATE CODES). */
const FINAL_STATES = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE']);

function slurmConf(dir: string, ctldPort: number, slurmdPort: number): string {
  return [
    'ClusterName=rsntest',
    `SlurmctldHost=localhost(127.0.0.1)`,
    `SlurmctldPort=${ctldPort}`,
    `SlurmdPort=${slurmdPort}`,
    'AuthType=auth/munge',
    'CredType=cred/munge',
    `AuthInfo=socket=${join(dir, 'munge', 'socket')}`,
    'SlurmUser=root',
    'SlurmdUser=root',
    `StateSaveLocation=${join(dir, 'state')}`,
    `SlurmdSpoolDir=${join(dir, 'spool')}`,
    `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
    `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
    `SlurmctldLogFile=${join(dir, 'log', 'slurmctld.log')}`,
    `SlurmdLogFile=${join(dir, 'log', 'slurmd.log')}`,
    'MailProg=/bin/true',
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'JobAcctGatherType=jobacct_gather/none',
    'AccountingStorageType=accounting_storage/none',
    'JobCompType=jobcomp/none',
    'MpiDefault=none',
    'SchedulerType=sched/backfill',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_CPU',
    'ReturnToService=2',
    // Two CPUs whatever the machine has; finished jobs stay visible to scontrol for the checks.
    'SlurmdParameters=config_overrides',
    'MinJobAge=3600',
    'KillWait=30',
    'NodeName=rsnnode NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN',
    'PartitionName=rsn Nodes=rsnnode Default=YES MaxTime=INFINITE State=UP',
    '',
  ].join('\n');
}

export async function startCluster(): Promise<SlurmCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'rsn-slurm-'));
  for (const sub of ['state', 'spool', 'log', 'jobs']) mkdirSync(join(dir, sub));
  mkdirSync(join(dir, 'munge'), { mode: 0o700 });
  const conf = join(dir, 'slurm.conf');
  writeFileSync(conf, slurmConf(dir, await freePort(), await freePort()));
  const env: NodeJS.ProcessEnv = { ...process.env, SLURM_CONF: conf };
  const daemons: ChildProcess[] = [];
  const startDaemon = (program: string, args: readonly string[]) => {
    const child = spawn(program, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('exit', (code, signal) => {
      if (!stopping) writeFileSync(join(dir, 'log', `${program}.exit`), `${program} exited (${signal ?? code}): ${stderr}\n`);
    });
    daemons.push(child);
  };
  let stopping = false;
  const key = join(dir, 'munge', 'munge.key');
  const keyed = spawnSync('mungekey', ['--create', '--keyfile', key], { encoding: 'utf8' });
  if (keyed.status !== 0) throw new Error(`mungekey failed: ${keyed.stderr}`);
  startDaemon('munged', [
    '--foreground', '--force', `--socket=${join(dir, 'munge', 'socket')}`, `--key-file=${key}`,
    `--log-file=${join(dir, 'log', 'munged.log')}`, `--pid-file=${join(dir, 'munge', 'munged.pid')}`, `--seed-file=${join(dir, 'munge', 'seed')}`,
  ]);
  const killDaemons = () => {
    for (const child of daemons) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  process.once('exit', killDaemons);

  const run = async (command: string, args: readonly string[], cwd?: string): Promise<string> => {
    try {
      return (await promisify(execFile)(command, args, { env, cwd, encoding: 'utf8' })).stdout;
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      throw new Error(`${command} ${args.join(' ')}: ${e.stderr || e.message}`);
    }
  };
  const logs = () => ['munged.log', 'slurmctld.log', 'slurmd.log', 'munged.exit', 'slurmctld.exit', 'slurmd.exit']
    .map((f) => join(dir, 'log', f)).filter(existsSync).map((f) => `--- ${f}\n${readFileSync(f, 'utf8').split('\n').slice(-30).join('\n')}`).join('\n');

  const until = async (what: string, timeoutMs: number, ready: () => Promise<boolean>) => {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (await ready().catch(() => false)) return;
      await sleep(250);
    }
    throw new Error(`${what} within ${timeoutMs / 1000} s\n${logs()}`);
  };
  await until('munged did not open its socket', 20_000, async () => existsSync(join(dir, 'munge', 'socket')));
  startDaemon('slurmctld', ['-D', '-i', '-f', conf]);
  await until('slurmctld did not answer', 30_000, async () => (await run('scontrol', ['ping'])).includes('UP'));
  startDaemon('slurmd', ['-D', '-N', 'rsnnode', '-f', conf]);
  await until('the node did not come up idle', 30_000, async () => (await run('sinfo', ['-h', '-o', '%T'])).trim() === 'idle');

  const cluster: SlurmCluster = {
    dir, env, run, logs,
    async sbatch(args, cwd) {
      return (await run('sbatch', ['--parsable', ...args], cwd)).trim().split(';')[0]!;
    },
    async waitForJob(jobId, timeoutMs) {
      await until(`job ${jobId} did not finish`, timeoutMs, async () => {
        const tasks = await cluster.tasks(jobId);
        // Final states named one by one: a state this list does not know (a transient one, or none shown yet) is not an end.
        return tasks.length > 0 && tasks.every((t) => FINAL_STATES.has(t.state));
      });
    },
    async tasks(arrayJobId) {
      const text = await run('scontrol', ['show', 'job', '--oneliner', arrayJobId]);
      return text.split('\n').filter((l) => l.startsWith('JobId=')).map((line) => {
        const field = (name: string) => new RegExp(`(?:^| )${name}=(\\S*)`).exec(line)?.[1] ?? '';
        return {
          jobId: field('JobId'), arrayJobId: field('ArrayJobId'), arrayTaskId: Number(field('ArrayTaskId')),
          state: field('JobState'), exitCode: field('ExitCode'), reason: field('Reason'),
        };
      });
    },
    async stop() {
      try {
        await run('scancel', ['--user', 'root', '--full']).catch(() => '');
        await until('jobs were still running after scancel', 90_000, async () => (await run('squeue', ['-h'])).trim() === '').catch(() => undefined);
      } finally {
        stopping = true;
        killDaemons();
        await Promise.all(daemons.map((child) => (child.exitCode !== null || child.signalCode !== null ? undefined : new Promise((r) => child.once('exit', r)))));
        process.removeListener('exit', killDaemons);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  return cluster;
}
