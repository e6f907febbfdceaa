import type { Command } from 'commander';
import { WORKER_ENTRY } from '../../api/workers.js';
import { expandJobs } from '../../benchmarks/paper/suite.js';
import { preset } from '../../benchmarks/paper/presets.js';
import { chooseBackend, checkBackendChoice } from '../../backends/registry.js';
import { autoBatchTrials, parseBatchTrials } from '../../core/experiment/jobs/batch-size.js';
import { groupBatches, isJobDone, parseShard, selectShard, type Batch, type Job } from '../../core/experiment/jobs/job.js';
import { runPlan } from '../../core/experiment/orchestrate.js';
import { planRun, verifyKept } from '../../core/experiment/plan.js';
import { ConfigError, RsnError } from '../../core/errors.js';
import { checkBaseDir } from '../../core/results/base-dir.js';
import { describeHolder } from '../../core/results/lease.js';
import { checkExperimentId } from '../../core/results/paths.js';
import { InterruptedError, resumeCommand, signalExitCode, withInterrupts } from '../interrupt.js';
import { CONFIG_FIELDS } from '../../core/experiment/config.js';
import { compareWithPaper, verdictCounts } from '../../benchmarks/paper/compare.js';
import { loadResults } from '../../core/report/load.js';
import { DEFAULT_ITERATION } from '../../core/report/report.js';
import { MultiProgress } from '../multi-progress.js';
import { configFromOptions, SUITE_KEYS, wholeNumberFlag } from '../options.js';
import { jobSteps, StepsDone } from '../job-work.js';
import { formatDuration } from '../progress.js';
import { labelled, wrap } from '../wrap.js';
import { resolve } from 'node:path';
import { calibrationSteps, estimateSuite, suiteSteps, withoutCompleteRounds, type SuiteEstimate } from '../../benchmarks/paper/estimate.js';
import type { Backend } from '../../core/autodiff/backend.js';
import { costKey } from '../../core/experiment/cost.js';
import { EstimatedProgress, estimateLines, LIST_HEADER, listRow, runEstimateLine } from '../bench-estimate.js';

/** Some jobs of the suite failed to run (scientific disagreement with the paper is not a failure). */
export class BenchFailedError extends RsnError {}

/** Flags given explicitly on the command line (not defaults), so that they override the preset. */
function explicitOverrides(command: Command): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of CONFIG_FIELDS) {
    if (SUITE_KEYS.has(field.key)) continue;
    if (command.getOptionValueSource(field.key) === 'cli' || command.getOptionValueSource(field.key) === 'env') {
      out[field.key] = command.getOptionValue(field.key);
    }
  }
  return out;
}

/**
 * A run prints its estimate before starting when its own training is at least this many times the calibration's
 * (--estimate asks for it whatever the size): a smoke-sized suite is not worth calibrating.
 */
const ESTIMATE_MIN_RATIO = 20;

/** The estimate of jobs trained one network at a time, calibrated on `backend`, with a line saying so first. */
async function estimateOn(backend: Backend, jobs: readonly Job[]): Promise<SuiteEstimate> {
  process.stderr.write(`rsn bench: calibrating ${new Set(jobs.map((j) => costKey(j.config))).size} step programs on ${backend.name} for the estimate...\n`);
  return estimateSuite(jobs, backend);
}

/**
 * The estimate a run prints before it starts, made in this process on its own copy of the backend (the workers load
 * theirs): only for jobs trained one network per computation, which is what the calibration prices.
 */
async function runEstimate(options: Record<string, unknown>, pending: readonly Job[], batchTrials: number | 'auto', shared: Parameters<typeof autoBatchTrials>[0]): Promise<SuiteEstimate | undefined> {
  const worthIt = options.estimate === true || (options.no_estimate !== true && pending.length > 0 && suiteSteps(pending) >= ESTIMATE_MIN_RATIO * calibrationSteps(pending));
  if (!worthIt || pending.length === 0) return undefined;
  const backend = await chooseBackend(options.backend as string | undefined);
  try {
    const size = batchTrials === 'auto' ? autoBatchTrials(shared, backend) : batchTrials;
    if (groupBatches(pending, size).length !== pending.length) {
      process.stderr.write('estimate: not made for jobs trained several at a time (--batch_trials); it prices one network per computation\n');
      return undefined;
    }
    const priced = await estimateOn(backend, pending);
    const left = withoutCompleteRounds(priced.jobs);
    return { ...priced, jobs: left, seconds: left.reduce((n, j) => n + j.seconds, 0) };
  } finally {
    backend.close?.();
  }
}

/** Job index -> its batch's number (1, 2, ...), for --list. */
function batchNumbers(batches: readonly Batch[]): Map<number, number> {
  const out = new Map<number, number>();
  batches.forEach((batch, k) => batch.jobs.forEach((job) => out.set(job.index, k + 1)));
  return out;
}

/** done, damaged (with the first damaged file) or pending, for --list. */
function listStatus(job: Job): string {
  try {
    verifyKept(job);
  } catch (error) {
    return `damaged (${(error as Error).message.split('\n')[0]})`;
  }
  return isJobDone(job) ? 'done' : 'pending';
}

export async function bench(options: Record<string, unknown>, command: Command): Promise<void> {
  const chosen = preset(options.preset as string);
  const overrides = explicitOverrides(command);
  const shared = configFromOptions({ ...chosen.config, ...overrides }, chosen.config);
  if (options.experiment_id !== undefined) checkExperimentId(options.experiment_id as string);
  if ((options.base_dir as string).trim() === '') throw new ConfigError('--base_dir is empty', 'name a folder, e.g. --base_dir results/bench');
  // --list only reads; running needs a results folder it can write, checked before any worker starts.
  const baseDir = options.list ? resolve(options.base_dir as string) : checkBaseDir(options.base_dir as string);
  let jobs: Job[] = expandJobs(chosen.axes, shared, baseDir, options.experiment_id as string | undefined);
  const shard = options.shard !== undefined ? parseShard(options.shard as string) : undefined;
  if (shard) jobs = selectShard(jobs, shard);
  if (jobs.length === 0) {
    // More shards than jobs (e.g. --shard 7/8 of a 6-job suite): nothing to do is success, or a restarting pod would loop.
    process.stderr.write(`rsn bench: shard ${options.shard as string} has no jobs (the suite has ${expandJobs(chosen.axes, shared, baseDir).length}); nothing to do\n`);
    return;
  }

  const batchTrials = parseBatchTrials(options.batch_trials);
  if (options.list) {
    // Batches as a run would form them from the pending jobs; 'auto' asks the backend only when one is named.
    const statuses = new Map(jobs.map((job) => [job.index, listStatus(job)]));
    // The backend is loaded once (a closed backend stays closed) for the batch size and for the estimate.
    const needed = options.estimate === true || (batchTrials === 'auto' && options.backend !== undefined);
    const backend = needed ? await chooseBackend(options.backend as string | undefined) : undefined;
    let estimate: SuiteEstimate | undefined;
    let batchOf: Map<number, number>;
    try {
      const listSize = batchTrials !== 'auto' ? batchTrials : options.backend === undefined ? 1 : autoBatchTrials(shared, backend!);
      batchOf = batchNumbers(groupBatches(jobs.filter((j) => statuses.get(j.index) === 'pending'), listSize));
      if (options.estimate) estimate = await estimateOn(backend!, jobs);
    } finally {
      backend?.close?.();
    }
    const priced = new Map(estimate?.jobs.map((j) => [j.job.index, j]));
    // The header on stderr: stdout stays one job per line for scripts.
    process.stderr.write(`${[...LIST_HEADER, ...(estimate ? ['core-hours'] : [])].join('\t')}\n`);
    for (const job of jobs) process.stdout.write(listRow(job, statuses.get(job.index)!, batchOf.get(job.index), priced.get(job.index)));
    if (estimate) {
      const workers = Number.isInteger(options.jobs) && (options.jobs as number) >= 1 ? (options.jobs as number) : 1;
      for (const line of estimateLines(estimate, estimate.jobs.filter((j) => batchOf.has(j.job.index)), workers)) process.stderr.write(`${line}\n`);
    }
    return;
  }
  const workersWanted = wholeNumberFlag('--jobs', options.jobs, 1);
  const named = checkBackendChoice(options.backend as string | undefined);
  const plan = planRun({
    jobs, backend: options.backend as string | undefined, dataDir: options.data_dir as string | undefined, download: options.no_download !== true,
    force: false, allowMixedBackends: Boolean(options.allow_mixed_backends), batchTrials, workers: workersWanted, evaluations: false,
  });
  const { pending } = plan;
  // Rounds complete on disk count as done from the start, so that the ETA measures only the work this run does.
  const steps = new StepsDone(pending);
  let finished = 0;
  let display: MultiProgress | undefined;
  const estimate = await runEstimate(options, pending, batchTrials, shared);
  const estimated = estimate && new EstimatedProgress(estimate.jobs, Math.min(workersWanted, pending.length));
  const header = (workers: number, backend: string, together: string) => process.stderr.write(
    `rsn bench: preset ${chosen.name}, ${workers} workers, backend ${backend}\n` +
      `${wrap(`${jobs.length} jobs (${jobs.length - pending.length} already done)${together}`, undefined, '', '  ')}\n${labelled('results:', baseDir)}\n`,
  );
  if (pending.length === 0) header(0, named, '');

  const { result, signal } = await withInterrupts((abort) => runPlan(plan, WORKER_ENTRY, {
    onStart: (start) => {
      const together = start.batches.length < pending.length ? `, in ${start.batches.length} batches trained as one computation each` : '';
      header(start.workers, start.backend, together);
      if (estimate) process.stderr.write(`${wrap(runEstimateLine(estimate, start.workers), undefined, '', '  ')}\n`);
      display = new MultiProgress(start.workers, Math.max(1, pending.reduce((n, j) => n + jobSteps(j), 0)), process.stderr, 30, estimated);
    },
    onProgress: (p) => {
      for (const job of p.jobs) {
        steps.report(job, p.round, p.iteration);
        estimated?.set(job.index, p.round, p.iteration, p.trainIters);
      }
      const name = p.jobs.length === 1 ? p.job.name : `${p.jobs.length} networks (${p.job.name}, ...)`;
      display?.setWorker(p.worker, `${name} round ${p.round}/${p.rounds - 1} iter ${p.iteration}/${p.trainIters}`);
      display?.draw(steps.total, `${finished}/${pending.length} jobs`);
    },
    onDone: (job, seconds) => {
      finished++;
      steps.set(job, jobSteps(job));
      estimated?.finish(job.index);
      display?.log(`done    ${job.name} (${formatDuration(seconds)})`);
      display?.draw(steps.total, `${finished}/${pending.length} jobs`, true);
    },
    onFailed: (job, message) => display?.log(`FAILED  ${job.name}: ${message}`),
    onHeld: (job, holder) => {
      estimated?.finish(job.index); // another process runs it: nothing of it is left to this run
      display?.log(`skipped ${job.name}: being run by ${describeHolder(holder)}`);
    },
    onAlreadyDone: (job) => {
      finished++;
      steps.set(job, jobSteps(job));
      estimated?.finish(job.index);
      display?.log(`done    ${job.name} (by another process meanwhile)`);
    },
  }, { signal: abort }));
  display?.draw(steps.total, `${finished}/${pending.length} jobs`, true);
  const complete = jobs.filter(isJobDone).length;
  if (signal !== undefined || result.interrupted.length > 0 || result.stoppedEarly) {
    throw new InterruptedError(
      `interrupted (${signal ?? 'workers stopped by a signal'}); ${complete} of ${jobs.length} jobs are complete in ${baseDir}, and every completed round of the others is kept\n` +
        `resume with:\n  ${resumeCommand(process.argv.slice(2))}`,
      signalExitCode(signal ?? 'SIGINT'),
    );
  }
  if (result.failed.length > 0) {
    throw new BenchFailedError(`${result.failed.length} of ${pending.length} jobs failed`, 'fix the cause shown above and run the same command again: finished jobs are skipped');
  }
  if (complete < jobs.length) {
    // Jobs another process holds are still running: this run must not say the suite is done.
    const running = jobs.length - complete;
    process.stderr.write(
      `${complete} of ${jobs.length} jobs done: ${baseDir}; ${running} ${running === 1 ? 'is' : 'are'} being run by other processes (named above), which finish ${running === 1 ? 'it' : 'them'}\n` +
        `rsn bench ... --list shows where each job stands; figures and tables: rsn report ${options.base_dir as string}\n`,
    );
    return;
  }
  // The agreement count here; the comparison cell by cell, the figures and the tables come from rsn report.
  const comparison = compareWithPaper(loadResults(baseDir), DEFAULT_ITERATION);
  process.stdout.write(`${wrap(`the paper's Tables 1-2: ${verdictCounts(comparison)}`, undefined, '', '  ')}\n`);
  process.stderr.write(`${labelled(`all ${jobs.length} jobs done:`, baseDir)}\n${labelled('the comparison cell by cell, figures and tables: rsn report', options.base_dir as string)}\n`);
}
