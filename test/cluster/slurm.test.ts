/**
 * rsn bench under a real Slurm (slurm-cluster.ts): the array script of docs/cluster.md
 * (scripts/cluster/rsn-array.sbatch) submitted as it is, on a small suite, into shared folders; then the faults a
 * cluster brings. Every result is compared byte for byte with one plain `rsn bench` process on the same settings,
 * and every job must be reported done exactly once over all the tasks' logs. Runs in CI (.ci/run installs
 * slurm-wlm and munge); elsewhere it is skipped, with the reason, where Slurm is not installed.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandJobs } from '../../benchmarks/paper/suite.js';
import type { Job } from '../../core/experiment/jobs/job.js';
import { preset } from '../../benchmarks/paper/presets.js';
import { configFromOptions } from '../../cli/options.js';
import * as paths from '../../core/results/paths.js';
import { isRoundComplete } from '../../core/results/store.js';
import { modelSpec } from '../../core/nn/models/index.js';
import { roundsFor } from '../../core/experiment/strategies.js';
import { snapshot } from '../support/snapshot.js';
import { slurmMissing, startCluster, type SlurmCluster } from './slurm-cluster.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SCRIPT = 'scripts/cluster/rsn-array.sbatch';
/** The smoke preset with four rounds per job: six jobs, shards {0, 4}, {1, 5}, {2}, {3} of four. */
const SUITE = ['--preset', 'smoke', '--prune_iters', '3', '--backend', 'wasm', '--no_download'];
const SMOKE = preset('smoke');
const jobsIn = (base: string, overrides: Record<string, unknown> = {}): Job[] =>
  expandJobs(SMOKE.axes, configFromOptions({ ...SMOKE.config, prune_iters: 3, ...overrides }, SMOKE.config), base);

const missing = process.env.CI ? undefined : slurmMissing();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const temp = mkdtempSync(join(tmpdir(), 'rsn-slurm-results-'));

let cluster: SlurmCluster;
let plain: Record<string, string>;

/** Submit the array script from the checkout with the suite's flags; the array job's id. */
function submit(base: string, sbatchFlags: readonly string[] = [], rsnFlags: readonly string[] = []): Promise<string> {
  return cluster.sbatch([
    '--array=0-3', '--cpus-per-task=1', `--output=${join(cluster.dir, 'jobs', '%A_%a.out')}`, ...sbatchFlags,
    SCRIPT, ...SUITE, '--base_dir', base, ...rsnFlags,
  ], ROOT);
}

const logOf = (jobId: string, task: number): string => {
  const file = join(cluster.dir, 'jobs', `${jobId}_${task}.out`);
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
};
const logsOf = async (jobId: string): Promise<string[]> => (await cluster.tasks(jobId)).map((t) => logOf(jobId, t.arrayTaskId));

/** How often each job is reported trained ("done NAME (12s)"; not "done NAME (by another process meanwhile)"). */
function doneCounts(logs: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const log of logs) {
    for (const match of log.matchAll(/^\S+ done {4}(\S+) \((?:\d+h\d\dm|\d+m\d\ds|\d+s)\)$/gm)) counts.set(match[1]!, (counts.get(match[1]!) ?? 0) + 1);
  }
  return counts;
}

function expectEachJobOnce(logs: readonly string[], base: string): void {
  const counts = doneCounts(logs);
  expect(Object.fromEntries(counts), logs.join('\n----\n')).toEqual(Object.fromEntries(jobsIn(base).map((j) => [j.name, 1])));
  for (const log of logs) expect(log).not.toMatch(/FAILED/);
}

const leases = (base: string): string[] => readdirSync(base, { recursive: true, encoding: 'utf8' }).filter((p) => p.split('/').some((part) => part.startsWith('.lease')));

/** Every trial's manifest lists each of its rounds exactly once. */
function expectManifests(base: string): void {
  for (const job of jobsIn(base)) {
    const manifest = JSON.parse(readFileSync(paths.trialManifest(paths.trialDir(job.dir, job.trial)), 'utf8')) as { rounds: { round: number }[] };
    expect(manifest.rounds.map((r) => r.round).sort((a, b) => a - b), job.name).toEqual([...Array(roundsFor(job.config.experiment, job.config.prune_iters)).keys()]);
  }
}

const roundZeroDone = (job: Job) => existsSync(paths.roundSummary(paths.roundDir(paths.trialDir(job.dir, job.trial), 0)));
const jobDone = (job: Job) => isRoundComplete(paths.trialDir(job.dir, job.trial), roundsFor(job.config.experiment, job.config.prune_iters) - 1, modelSpec(job.config.model));

/** Each file of every complete round under base, with its bytes and modification time (to show it was never rewritten). */
function keptRounds(base: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const job of jobsIn(base)) {
    const trial = paths.trialDir(job.dir, job.trial);
    for (let round = 0; round < roundsFor(job.config.experiment, job.config.prune_iters); round++) {
      if (!isRoundComplete(trial, round, modelSpec(job.config.model))) continue;
      const dir = paths.roundDir(trial, round);
      for (const file of readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => join(dir, f))) {
        if (statSync(file).isFile()) out.set(file, `${statSync(file).mtimeMs} ${readFileSync(file).toString('base64')}`);
      }
    }
  }
  return out;
}

async function until(what: string, timeoutMs: number, ready: () => boolean): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > end) throw new Error(`${what} within ${timeoutMs / 1000} s\n${cluster.logs()}`);
    await sleep(100);
  }
}

describe.skipIf(missing !== undefined)(`rsn bench on a Slurm cluster${missing ? ` (skipped: ${missing})` : ''}`, () => {
  beforeAll(async () => {
    const [started] = await Promise.all([
      startCluster(),
      promisify(execFile)('node', ['bin/rsn.js', 'bench', ...SUITE, '--base_dir', join(temp, 'plain'), '--jobs', '2'], { cwd: ROOT, maxBuffer: 64 << 20 }),
    ]);
    cluster = started;
    plain = snapshot(join(temp, 'plain'));
    expect(Object.keys(plain).length).toBeGreaterThan(0);
  }, 600_000);

  afterAll(async () => {
    await cluster?.stop();
    rmSync(temp, { recursive: true, force: true });
  }, 180_000);

  it('the array script: four tasks, one shard each, into one folder: every job trained exactly once, every result file identical to one plain rsn bench', async () => {
    const base = join(temp, 'array');
    const id = await submit(base);
    await cluster.waitForJob(id, 600_000);
    const tasks = await cluster.tasks(id);
    const logs = await logsOf(id);
    expect(tasks.map((t) => `${t.arrayTaskId} ${t.state} ${t.exitCode}`).sort(), logs.join('\n----\n')).toEqual(['0 COMPLETED 0:0', '1 COMPLETED 0:0', '2 COMPLETED 0:0', '3 COMPLETED 0:0']);
    expectEachJobOnce(logs, base);
    expectManifests(base);
    expect(leases(base)).toEqual([]);
    expect(snapshot(base)).toEqual(plain);
  }, 900_000);

  it('scancel of one task (SIGTERM) and USR1 to another (what --signal=B:USR1 sends): both stop, keep their rounds, release their leases; the same array again finishes the suite with identical results', async () => {
    const base = join(temp, 'faults');
    const jobs = jobsIn(base);
    const id = await submit(base);
    // Shard 0 is jobs 0 and 4, shard 1 jobs 1 and 5: each task is stopped once its first job has a round on disk.
    await until('job 0 did not complete round 0', 600_000, () => roundZeroDone(jobs[0]!));
    await cluster.run('scancel', [`${id}_0`]);
    await until('job 1 did not complete round 0', 600_000, () => roundZeroDone(jobs[1]!));
    // scancel may exit 1 although the signal went out: rsn stops at once, and scancel's retry then finds the task
    // completing ("already completing or completed"). What rsn did is checked below from its log.
    await cluster.run('scancel', ['--batch', '--signal=USR1', `${id}_1`]).catch(() => '');
    await cluster.waitForJob(id, 600_000);

    const first = await cluster.tasks(id);
    const stateOf = (task: number) => first.find((t) => t.arrayTaskId === task)!;
    expect(stateOf(0).state, logOf(id, 0)).toBe('CANCELLED');
    expect(logOf(id, 0)).toMatch(/rsn: interrupted \(SIGTERM\); \d of 2 jobs are complete in .*\nresume with:\n {2}rsn bench /);
    expect(`${stateOf(1).state} ${stateOf(1).exitCode}`, logOf(id, 1)).toBe('FAILED 138:0');
    expect(logOf(id, 1)).toMatch(/rsn: interrupted \(SIGUSR1\); \d of 2 jobs are complete in .*\nresume with:\n {2}rsn bench /);
    expect(leases(base)).toEqual([]);
    // The signals came mid-run: each stopped shard left work undone.
    expect([jobs[0], jobs[4]].some((j) => !jobDone(j!)), 'shard 0 finished before scancel reached it').toBe(true);
    expect([jobs[1], jobs[5]].some((j) => !jobDone(j!)), 'shard 1 finished before USR1 reached it').toBe(true);
    const kept = keptRounds(base);
    expect(kept.size).toBeGreaterThan(0);

    const again = await submit(base);
    await cluster.waitForJob(again, 600_000);
    const logs = [...(await logsOf(id)), ...(await logsOf(again))];
    expect((await cluster.tasks(again)).map((t) => t.state), logs.join('\n----\n')).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED']);
    expectEachJobOnce(logs, base);
    const after = keptRounds(base);
    for (const [file, stamp] of kept) expect(after.get(file), `${file} was rewritten on resuming`).toBe(stamp);
    expectManifests(base);
    expect(leases(base)).toEqual([]);
    expect(snapshot(base)).toEqual(plain);
  }, 1_200_000);

  it('two arrays submitted on one folder (task i of each running together): every job still trained exactly once, results identical', async () => {
    const base = join(temp, 'twice');
    const [a, b] = [await submit(base, ['--array=0-3%1']), await submit(base, ['--array=0-3%1'])];
    await cluster.waitForJob(a!, 900_000);
    await cluster.waitForJob(b!, 900_000);
    const logs = [...(await logsOf(a!)), ...(await logsOf(b!))];
    const tasks = [...(await cluster.tasks(a!)), ...(await cluster.tasks(b!))];
    expect(tasks.map((t) => `${t.state} ${t.exitCode}`), logs.join('\n----\n')).toEqual(Array(8).fill('COMPLETED 0:0'));
    expectEachJobOnce(logs, base);
    // In each task's log, every job of its shard was trained, or seen held by the other array's task (its lease), or found finished.
    // A job found finished is not named: the header counts it ('2 jobs (1 already done)').
    for (const array of [a!, b!]) {
      for (let task = 0; task < 4; task++) {
        const log = logOf(array, task);
        const alreadyDone = Number(/ jobs \((\d+) already done\)/.exec(log)?.[1] ?? 0);
        const unnamed = jobsIn(base).filter((j) => j.index % 4 === task).filter((job) => {
          const name = job.name.replace(/\//g, '\\/');
          return !new RegExp(`(done {4}${name} \\(|skipped ${name}: being run by host )`).test(log);
        });
        expect(unnamed.length, log).toBe(alreadyDone);
      }
    }
    expectManifests(base);
    expect(leases(base)).toEqual([]);
    expect(snapshot(base)).toEqual(plain);
  }, 1_500_000);

  it("the time limit: Slurm's USR1 (--signal=B:USR1@N of the script) stops rsn before the limit; completed rounds kept, leases released", async () => {
    const base = join(temp, 'limit');
    // One task with the whole suite and far more work than the minute allowed. USR1 is due 20 s before the limit;
    // slurmctld checks limits every 30 s and sends it up to 30 s early, so it comes 10 to 40 s after the start.
    const id = await submit(base, ['--array=0', '--time=1', '--signal=B:USR1@20'], ['--train_iters', '5000', '--eval_every', '2500', '--no_estimate']);
    await cluster.waitForJob(id, 300_000);
    const [task] = await cluster.tasks(id);
    const log = logOf(id, 0);
    expect(`${task!.state} ${task!.exitCode}`, log).toBe('FAILED 138:0');
    expect(log).toMatch(/rsn: interrupted \(SIGUSR1\); \d of 6 jobs are complete in .*\nresume with:\n {2}rsn bench /);
    expect(log).not.toMatch(/DUE TO TIME LIMIT/);
    expect(leases(base)).toEqual([]);
    // Every round folder on disk is a complete round (a round is written whole, or not at all).
    for (const job of jobsIn(base, { train_iters: 5000, eval_every: 2500 })) {
      const trial = paths.trialDir(job.dir, job.trial);
      if (!existsSync(trial)) continue;
      for (const entry of readdirSync(trial).filter((e) => e.startsWith('prune_iter_'))) {
        expect(isRoundComplete(trial, Number(entry.slice('prune_iter_'.length)), modelSpec(job.config.model)), `${trial}/${entry}`).toBe(true);
      }
    }
  }, 600_000);
});
