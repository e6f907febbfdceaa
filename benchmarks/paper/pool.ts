import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { acquireLease, type Holder, type Lease } from '../../core/results/lease.js';
import { trialDir } from '../../core/results/paths.js';
import type { RoundSummary } from '../../core/results/records.js';
import { isJobDone, type Batch, type Job } from './jobs.js';
import type { FromWorker, ToWorker } from './messages.js';
import type { WorkerOptions } from './worker.js';

export interface JobProgress {
  readonly worker: number;
  /** The first of the jobs this progress is about; jobs: all of them (a batch trains several together). */
  readonly job: Job;
  readonly jobs: readonly Job[];
  readonly round: number;
  readonly rounds: number;
  readonly iteration: number;
  readonly trainIters: number;
}

export interface PoolEvents {
  onProgress?(progress: JobProgress): void;
  onDone?(job: Job, seconds: number): void;
  onFailed?(job: Job, message: string): void;
  /** The job's trial is leased by another live process: it is skipped, untouched. */
  onHeld?(job: Job, holder: Holder): void;
  /** The job was completed by another process between the queue being made and its lease being taken. */
  onAlreadyDone?(job: Job): void;
  /** A round was saved, or found complete on disk (skipped = true). */
  onRound?(job: Job, summary: RoundSummary, skipped: boolean): void;
  /** A line the worker wants shown (where its data came from). */
  onLog?(job: Job, text: string): void;
}

export interface PoolControl {
  /** Aborting stops the workers at once (SIGTERM), hands out no more jobs and releases every lease. */
  readonly signal?: AbortSignal;
  /** Lease staleness (default: leaseStaleMs(), RSN_LEASE_STALE_S). */
  readonly staleMs?: number;
}

export interface PoolResult {
  readonly done: Job[];
  readonly failed: { job: Job; message: string }[];
  /** Jobs skipped because another live process held their lease. */
  readonly held: { job: Job; holder: Holder }[];
  /** Jobs running when the pool was aborted. */
  readonly interrupted: Job[];
  /** Jobs found complete once their lease was taken (another process finished them meanwhile). */
  readonly alreadyDone: Job[];
}

const RSN_BIN = fileURLToPath(new URL('../../bin/rsn.js', import.meta.url));

/**
 * Run batches of jobs on `workers` child processes (each `rsn _worker`, with its own backend instance), handing
 * out the next batch whenever one finishes; a batch's jobs train together as one computation. Before a batch is
 * handed out the lease of each of its trials is taken (results/lease.ts): a job another live process holds is
 * left out and reported, never written into, and a job found complete is left out too; the leases are released
 * when the batch ends, and a lease lost to a takeover kills the worker before it writes more. A worker that dies
 * fails its batch; the others carry on.
 */
export function runPool(batches: readonly Batch[], workers: number, options: WorkerOptions, events: PoolEvents = {}, control: PoolControl = {}): Promise<PoolResult> {
  const queue = batches.map((b) => [...b.jobs]);
  const result: PoolResult = { done: [], failed: [], held: [], interrupted: [], alreadyDone: [] };
  const byIndex = new Map(batches.flatMap((b) => b.jobs).map((j) => [j.index, j]));
  const count = Math.max(1, Math.min(workers, batches.length));
  if (batches.length === 0) return Promise.resolve(result);

  const args = [
    '_worker', '--backend', options.backend, ...(options.dataDir ? ['--data_dir', options.dataDir] : []), ...(options.download ? [] : ['--no_download']),
    ...(options.logJsonl ? ['--log_jsonl', options.logJsonl] : []),
  ];
  const children = new Set<ChildProcess>();
  const aborted = () => control.signal?.aborted === true;
  control.signal?.addEventListener('abort', () => {
    queue.length = 0;
    for (const child of children) child.kill('SIGTERM');
  }, { once: true });

  const fail = (job: Job, message: string) => {
    result.failed.push({ job, message });
    events.onFailed?.(job, message);
  };

  return new Promise((resolve) => {
    let alive = count;
    const start = (slot: number) => {
      const child: ChildProcess = fork(RSN_BIN, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.add(child);
      let current: Job[] = [];
      let leases: Lease[] = [];
      let lost: string | undefined;
      const finish = () => {
        for (const lease of leases) lease.release();
        leases = [];
        current = [];
      };
      /** Take the lease of each job of a batch: the jobs that can run, with their leases. */
      const lease = async (batch: readonly Job[]) => {
        const runnable: Job[] = [];
        const taken: Lease[] = [];
        for (const job of batch) {
          let got: Awaited<ReturnType<typeof acquireLease>>;
          try {
            got = await acquireLease(trialDir(job.dir, job.trial), {
              staleMs: control.staleMs,
              onLost: (error) => {
                lost = `lost the lease of ${trialDir(job.dir, job.trial)} (${error.message}): another process took it over; this run stopped without writing more`;
                child.kill('SIGKILL');
              },
            });
          } catch (error) {
            fail(job, `cannot take the lease of ${trialDir(job.dir, job.trial)} (${(error as Error).message}); check that the results folder is writable`);
            continue;
          }
          if ('heldBy' in got) {
            result.held.push({ job, holder: got.heldBy });
            events.onHeld?.(job, got.heldBy);
            continue;
          }
          if (isJobDone(job)) {
            got.lease.release();
            result.alreadyDone.push(job);
            events.onAlreadyDone?.(job);
            continue;
          }
          runnable.push(job);
          taken.push(got.lease);
        }
        return { runnable, taken };
      };
      const next = async () => {
        const stop = () => {
          if (child.connected) child.send({ type: 'stop' } satisfies ToWorker);
        };
        for (;;) {
          if (aborted() || child.exitCode !== null || child.signalCode !== null || !child.connected) return stop();
          const batch = queue.shift();
          if (!batch) return stop();
          const { runnable, taken } = await lease(batch);
          if (aborted() || !child.connected) {
            // This worker is gone or stopping: the batch goes back for another worker (or stays undone).
            for (const l of taken) l.release();
            if (runnable.length > 0) queue.unshift(runnable);
            return stop();
          }
          if (runnable.length === 0) continue;
          current = runnable;
          leases = taken;
          lost = undefined;
          child.send({ type: 'jobs', jobs: runnable } satisfies ToWorker);
          return;
        }
      };
      child.on('message', (message: FromWorker) => {
        switch (message.type) {
          case 'ready':
            return void next();
          case 'progress': {
            const jobs = message.indices.map((i) => byIndex.get(i)!);
            return events.onProgress?.({ worker: slot, job: jobs[0]!, jobs, ...message });
          }
          case 'round':
            return events.onRound?.(byIndex.get(message.index)!, message.summary, message.skipped);
          case 'log':
            return events.onLog?.(byIndex.get(message.index)!, message.text);
          case 'done':
            for (const job of current) {
              result.done.push(job);
              events.onDone?.(job, message.seconds);
            }
            finish();
            return void next();
          case 'failed':
            for (const job of current) fail(job, message.message);
            finish();
            return void next();
        }
      });
      child.on('exit', (code, signal) => {
        children.delete(child);
        // A worker stopped by SIGINT/SIGTERM was interrupted (Ctrl-C reaches the whole process group), not broken.
        const interrupted = lost === undefined && (aborted() || signal === 'SIGINT' || signal === 'SIGTERM');
        if (interrupted) queue.length = 0;
        for (const job of current) {
          if (interrupted) result.interrupted.push(job);
          else fail(job, lost ?? `worker ${slot} exited (${signal ?? `code ${code}`}) while running this job`);
        }
        finish();
        if (--alive > 0) return;
        if (!aborted()) {
          for (const job of queue.splice(0).flat()) fail(job, 'not run: every worker process exited (see the messages above)');
        }
        resolve(result);
      });
    };
    for (let slot = 0; slot < count; slot++) start(slot);
  });
}
