/**
 * The second half of the one orchestration path (after plan.ts): start a worker, which loads the backend and the
 * data (so a backend that does not load or a damaged data file is refused before anything is written); refuse
 * trials that would mix backends; claim each configuration's folder once; size the batches from the backend the
 * worker loaded (--batch_trials auto); then start the other workers and run the jobs, each trial under its lease.
 */
import { RsnError } from '../errors.js';
import { isLeased } from '../results/lease.js';
import { modelSpec } from '../nn/model.js';
import type { DatasetName } from '../data/index.js';
import { claimConfiguration, mixedBackendsError } from './claim.js';
import { autoBatchTrials } from './jobs/batch-size.js';
import { groupBatches, jobDir, type Batch, type Job } from './jobs/job.js';
import type { WorkerReady, WorkerStart } from './jobs/messages.js';
import { emptyPoolResult, runPool, type PoolControl, type PoolEvents, type PoolResult } from './jobs/pool.js';
import { startWorker, WorkerUnusableError, type StartedWorker, type WorkerEntry } from './jobs/spawn.js';
import type { Plan } from './plan.js';

/** What the run is about to do, once its first worker has loaded the backend. */
export interface RunStart {
  readonly backend: string;
  readonly batches: readonly Batch[];
  /** The most jobs trained together in one batch. */
  readonly together: number;
  readonly workers: number;
}

export interface RunEvents extends PoolEvents {
  onStart?(start: RunStart): void;
}

export interface RunResult extends PoolResult {
  /** The backend the workers loaded (undefined when nothing was left to run). */
  readonly backend: string | undefined;
  /** Stopped by the signal before any job was handed out. */
  readonly stoppedEarly: boolean;
}

const stop = (worker: StartedWorker) => {
  if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGTERM');
};

/** The first worker's readiness, or undefined when the signal stopped the run first. */
async function readyOrStopped(worker: StartedWorker, signal: AbortSignal | undefined): Promise<WorkerReady | undefined> {
  if (signal?.aborted) return undefined;
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<undefined>((resolve) => {
    onAbort = () => resolve(undefined);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([worker.ready, stopped]);
  } catch (error) {
    // Ctrl-C reaches the worker too: stopped, not broken (whichever of the two signals is seen first).
    if (signal?.aborted || (error instanceof WorkerUnusableError && (error.stoppedBy === 'SIGINT' || error.stoppedBy === 'SIGTERM'))) return undefined;
    if (error instanceof WorkerUnusableError && !error.userError) throw new Error(error.message);
    throw error instanceof WorkerUnusableError ? new RsnError(error.message) : error;
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

/** Claim each configuration folder of the plan, once. */
function claimAll(plan: Plan): void {
  const claimed = new Set<string>();
  for (const job of [...plan.pending, ...plan.done]) {
    if (claimed.has(job.dir)) continue;
    claimConfiguration(job.dir, job.experimentId, job.config, plan.request.force);
    claimed.add(job.dir);
  }
}

/** Run a checked plan's pending jobs (see the module comment); resolves to what became of each. */
export async function runPlan(plan: Plan, entry: WorkerEntry, events: RunEvents, control: Pick<PoolControl, 'signal'> = {}): Promise<RunResult> {
  const { request, pending } = plan;
  if (pending.length === 0) {
    // Nothing to train; config.json is still (re)written, as the advice for a damaged one promises.
    claimAll(plan);
    return { ...emptyPoolResult(), backend: undefined, stoppedEarly: false };
  }
  const settings: WorkerStart = {
    backend: request.backend, dataDir: request.dataDir, download: request.download,
    datasets: [...new Set(pending.map((job) => job.config.dataset))] as DatasetName[],
    logJsonl: plan.logJsonl, evaluations: request.evaluations,
  };
  const first = startWorker(entry, settings);
  const onData = (message: { type: string; text?: string }) => {
    if (message.type === 'log' && message.text !== undefined) events.onLog?.(message.text);
  };
  first.child.on('message', onData);
  let ready: WorkerReady | undefined;
  try {
    ready = await readyOrStopped(first, control.signal);
  } catch (error) {
    stop(first);
    throw error;
  } finally {
    first.child.off('message', onData);
  }
  if (ready === undefined) {
    stop(first);
    return { ...emptyPoolResult(), backend: undefined, stoppedEarly: true };
  }
  const backend = ready.backend;
  const mixing = (job: Job) => (request.allowMixedBackends ? undefined : mixedBackendsError(jobDir(job), backend, modelSpec(job.config.model)));
  try {
    if (!request.force) {
      for (const job of pending) {
        // A trial another process holds is reported as held by the pool, and checked again once its lease is ours.
        if (isLeased(jobDir(job), plan.staleMs)) continue;
        const error = mixing(job);
        if (error) throw error;
      }
    }
    claimAll(plan);
  } catch (error) {
    stop(first);
    throw error;
  }
  const size = request.batchTrials === 'auto' ? (config: Job['config']) => autoBatchTrials(config, ready) : request.batchTrials;
  const batches = groupBatches(pending, size);
  const count = Math.max(1, Math.min(request.workers, batches.length));
  events.onStart?.({ backend, batches, together: Math.max(...batches.map((b) => b.jobs.length)), workers: count });
  const others = Array.from({ length: count - 1 }, () => startWorker(entry, { ...settings, backend }));
  const result = await runPool(batches, [first, ...others], events, {
    signal: control.signal, staleMs: plan.staleMs,
    checkJob: (job) => mixing(job)?.message,
  });
  return { ...result, backend, stoppedEarly: false };
}
