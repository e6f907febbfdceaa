import type { Command } from 'commander';
import { resolve } from 'node:path';
import { expandJobs, groupBatches, isJobDone, parseShard, selectShard, type Batch, type Job } from '../../benchmarks/paper/jobs.js';
import { autoBatchTrials, parseBatchTrials } from '../../benchmarks/paper/batch-size.js';
import { runPool } from '../../benchmarks/paper/pool.js';
import { preset } from '../../benchmarks/paper/presets.js';
import { chooseBackend } from '../../backends/registry.js';
import { ConfigError, RsnError } from '../../core/errors.js';
import { prepareBaseDir } from '../../core/results/base-dir.js';
import { describeHolder } from '../../core/results/lease.js';
import { checkExperimentId } from '../../core/results/paths.js';
import { InterruptedError, resumeCommand, signalExitCode, withInterrupts } from '../interrupt.js';
import { CONFIG_FIELDS } from '../../core/experiment/config.js';
import { roundsFor } from '../../core/experiment/strategies.js';
import { compareWithPaper, comparisonMarkdown } from '../../benchmarks/paper/compare.js';
import { loadResults } from '../../core/report/load.js';
import { DEFAULT_ITERATION } from '../../core/report/report.js';
import { MultiProgress } from '../multi-progress.js';
import { configFromOptions, SUITE_KEYS } from '../options.js';
import { formatDuration } from '../progress.js';

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

/** --batch_trials auto on the named backend (loaded, asked, closed). */
async function autoSize(name: string, config: Parameters<typeof autoBatchTrials>[0]): Promise<number> {
  const backend = await chooseBackend(name);
  try {
    return autoBatchTrials(config, backend);
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

export async function bench(options: Record<string, unknown>, command: Command): Promise<void> {
  const chosen = preset(options.preset as string);
  const overrides = explicitOverrides(command);
  const shared = configFromOptions({ ...chosen.config, ...overrides }, chosen.config);
  if (options.experiment_id !== undefined) checkExperimentId(options.experiment_id as string);
  if ((options.base_dir as string).trim() === '') throw new ConfigError('--base_dir is empty', 'name a folder, e.g. --base_dir results/bench');
  // --list only reads; running needs a results folder it can write, checked before any worker loads data.
  const baseDir = options.list ? resolve(options.base_dir as string) : prepareBaseDir(options.base_dir as string);
  let jobs: Job[] = expandJobs(chosen.axes, shared, baseDir, options.experiment_id as string | undefined);
  const shard = options.shard ? parseShard(options.shard as string) : undefined;
  if (shard) jobs = selectShard(jobs, shard);
  if (jobs.length === 0) {
    // More shards than jobs (e.g. --shard 7/8 of a 6-job suite): nothing to do is success, or a restarting pod would loop.
    process.stderr.write(`rsn bench: shard ${options.shard as string} has no jobs (the suite has ${expandJobs(chosen.axes, shared, baseDir).length}); nothing to do\n`);
    return;
  }

  const batchTrials = parseBatchTrials(options.batch_trials);
  if (options.list) {
    // Batches as a run would form them from the pending jobs; 'auto' asks the backend only when one is named.
    const listSize = batchTrials !== 'auto' ? batchTrials : options.backend === undefined ? 1 : await autoSize(options.backend as string, shared);
    const batchOf = batchNumbers(groupBatches(jobs.filter((j) => !isJobDone(j)), listSize));
    for (const job of jobs) {
      const batch = batchOf.get(job.index);
      process.stdout.write(`${job.index}\t${job.name}\t${batch === undefined ? 'done' : 'pending'}\t${job.dir}\t${batch === undefined ? '-' : `batch ${batch}`}\n`);
    }
    return;
  }
  const jobsWanted = options.jobs as number;
  if (!Number.isInteger(jobsWanted) || jobsWanted < 1) throw new RsnError(`--jobs takes a whole number >= 1; got '${String(options.jobs)}'`);
  const chosenBackend = await chooseBackend(options.backend as string | undefined);
  const backend = chosenBackend.name;

  const pending = jobs.filter((j) => !isJobDone(j));
  const batches = groupBatches(pending, batchTrials === 'auto' ? autoBatchTrials(shared, chosenBackend) : batchTrials);
  chosenBackend.close?.();
  const workers = Math.min(jobsWanted, batches.length);
  const together = batches.length < pending.length ? `, in ${batches.length} batches trained as one computation each` : '';
  process.stderr.write(`rsn bench: preset ${chosen.name}, ${jobs.length} jobs (${jobs.length - pending.length} already done)${together}, ${workers} workers, backend ${backend}\nresults: ${baseDir}\n`);
  const work = (j: Job) => roundsFor(j.config.experiment, j.config.prune_iters) * j.config.train_iters;
  const total = pending.reduce((n, j) => n + work(j), 0);
  const progressOf = new Map<number, number>();
  let finished = 0;
  const display = new MultiProgress(workers);
  const fraction = () => [...progressOf.values()].reduce((a, b) => a + b, 0) / Math.max(1, total);

  const { result, signal } = await withInterrupts((abort) => runPool(batches, jobsWanted, { backend, dataDir: options.data_dir as string | undefined, download: options.no_download !== true }, {
    onProgress: (p) => {
      for (const job of p.jobs) progressOf.set(job.index, p.round * p.trainIters + p.iteration);
      const name = p.jobs.length === 1 ? p.job.name : `${p.jobs.length} networks (${p.job.name}, ...)`;
      display.setWorker(p.worker, `${name} round ${p.round}/${p.rounds - 1} iter ${p.iteration}/${p.trainIters}`);
      display.draw(fraction(), `${finished}/${pending.length} jobs`);
    },
    onDone: (job, seconds) => {
      finished++;
      progressOf.set(job.index, work(job));
      display.log(`done    ${job.name} (${formatDuration(seconds)})`);
      display.draw(fraction(), `${finished}/${pending.length} jobs`, true);
    },
    onFailed: (job, message) => display.log(`FAILED  ${job.name}: ${message}`),
    onHeld: (job, holder) => display.log(`skipped ${job.name}: being run by ${describeHolder(holder)}`),
    onAlreadyDone: (job) => {
      finished++;
      progressOf.set(job.index, work(job));
      display.log(`done    ${job.name} (by another process meanwhile)`);
    },
  }, { signal: abort }));
  display.draw(fraction(), `${finished}/${pending.length} jobs`, true);
  if (signal !== undefined || result.interrupted.length > 0) {
    const kept = jobs.filter(isJobDone).length;
    throw new InterruptedError(
      `interrupted (${signal ?? 'workers stopped by a signal'}); ${kept} of ${jobs.length} jobs are complete in ${baseDir}, and every completed round of the others is kept\n` +
        `resume with:\n  ${resumeCommand(process.argv.slice(2))}`,
      signalExitCode(signal ?? 'SIGINT'),
    );
  }
  if (result.held.length > 0) {
    process.stderr.write(`${result.held.length} jobs were skipped: other processes are running them (named above); they finish them\n`);
  }
  if (result.failed.length > 0) {
    throw new BenchFailedError(`${result.failed.length} of ${pending.length} jobs failed`, 'fix the cause shown above and run the same command again: finished jobs are skipped');
  }
  if (result.held.length > 0 && result.done.length === 0) return;
  const comparison = compareWithPaper(loadResults(baseDir), DEFAULT_ITERATION);
  const withData = { ...comparison, cells: comparison.cells.filter((c) => c.ours) };
  if (withData.cells.length > 0) process.stdout.write(comparisonMarkdown(withData));
  process.stderr.write(`all ${jobs.length} jobs done: ${baseDir}\nfigures and tables: rsn report ${options.base_dir as string}\n`);
}
