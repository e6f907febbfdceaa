/**
 * The parent side of the worker processes (started by spawn.ts): hand out batches of jobs, and hold the lease of
 * every trial a worker writes (results/lease.ts) for as long as it writes it.
 */
import type { ChildProcess } from 'node:child_process';
import { acquireLease, type Holder, type Lease } from '../../results/lease.js';
import type { RoundSummary } from '../../results/records.js';
import type { EvaluationRecord } from '../evaluation-record.js';
import { isJobDone, jobDir, type Batch, type Job } from './job.js';
import type { FromWorker, ToWorker } from './messages.js';
import type { StartedWorker } from './spawn.js';

export interface JobProgress {
  readonly worker: number;
  /** The first of the jobs this progress is about; jobs: all of them (a batch trains several together). */
  readonly job: Job;
  readonly jobs: readonly Job[];
  readonly round: number;
  readonly rounds: number;
  readonly iteration: number;
  readonly trainIters: number;
  readonly phase: 'train' | 'eval' | 'skip';
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
  /** An evaluation of a round being trained (only when the workers were started with evaluations: true). */
  onEvaluation?(job: Job, record: EvaluationRecord): void;
  /** A line a worker wants shown (where its data came from). */
  onLog?(text: string): void;
}

export interface PoolControl {
  /** Aborting stops the workers at once (SIGTERM), hands out no more jobs and releases every lease. */
  readonly signal?: AbortSignal;
  /** Lease staleness (results/lease.ts, leaseStaleMs). */
  readonly staleMs: number;
  /** Checked once a job's lease is taken: a message refuses the job (it fails, unwritten). */
  readonly checkJob?: (job: Job) => string | undefined;
}

export interface FailedJob {
  readonly job: Job;
  readonly message: string;
  /** An rsn error (the user can fix it), not a bug or a crash. */
  readonly userError: boolean;
}

export interface PoolResult {
  readonly done: Job[];
  readonly failed: FailedJob[];
  /** Jobs skipped because another live process held their lease. */
  readonly held: { job: Job; holder: Holder }[];
  /** Jobs running when the pool was aborted. */
  readonly interrupted: Job[];
  /** Jobs found complete once their lease was taken (another process finished them meanwhile). */
  readonly alreadyDone: Job[];
}

export const emptyPoolResult = (): PoolResult => ({ done: [], failed: [], held: [], interrupted: [], alreadyDone: [] });

/** What the pool shares between its workers: the queue, the outcome so far, the caller's events and control. */
class PoolRun {
  readonly queue: Job[][];
  readonly result = emptyPoolResult();
  readonly byIndex: Map<number, Job>;

  constructor(batches: readonly Batch[], readonly events: PoolEvents, readonly control: PoolControl) {
    this.queue = batches.map((b) => [...b.jobs]);
    this.byIndex = new Map(batches.flatMap((b) => b.jobs).map((j) => [j.index, j]));
  }

  get aborted(): boolean {
    return this.control.signal?.aborted === true;
  }

  fail(job: Job, message: string, userError: boolean): void {
    this.result.failed.push({ job, message, userError });
    this.events.onFailed?.(job, message);
  }

  /**
   * Take the lease of each job of a batch: the jobs that can run, with their leases. A job another live process
   * holds, one found complete, and one the caller's check refuses are left out (and reported).
   */
  async lease(batch: readonly Job[], onLost: (job: Job, error: Error) => void): Promise<{ runnable: Job[]; taken: Lease[] }> {
    const runnable: Job[] = [];
    const taken: Lease[] = [];
    for (const job of batch) {
      let got: Awaited<ReturnType<typeof acquireLease>>;
      try {
        got = await acquireLease(jobDir(job), { staleMs: this.control.staleMs, onLost: (error) => onLost(job, error) });
      } catch (error) {
        this.fail(job, `cannot take the lease of ${jobDir(job)} (${(error as Error).message}); check that the results folder is writable`, true);
        continue;
      }
      if ('heldBy' in got) {
        this.result.held.push({ job, holder: got.heldBy });
        this.events.onHeld?.(job, got.heldBy);
        continue;
      }
      if (isJobDone(job)) {
        got.lease.release();
        this.result.alreadyDone.push(job);
        this.events.onAlreadyDone?.(job);
        continue;
      }
      const refused = this.control.checkJob?.(job);
      if (refused !== undefined) {
        got.lease.release();
        this.fail(job, refused, true);
        continue;
      }
      runnable.push(job);
      taken.push(got.lease);
    }
    return { runnable, taken };
  }

  /** Pass a worker's report on to the caller's events. */
  report(message: FromWorker, slot: number): void {
    const { events, byIndex } = this;
    if (message.type === 'progress') {
      const jobs = message.indices.map((i) => byIndex.get(i)!);
      const { indices: _indices, type: _type, ...rest } = message;
      events.onProgress?.({ worker: slot, job: jobs[0]!, jobs, ...rest });
    } else if (message.type === 'round') events.onRound?.(byIndex.get(message.index)!, message.summary, message.skipped);
    else if (message.type === 'evaluation') events.onEvaluation?.(byIndex.get(message.index)!, message.record);
    else if (message.type === 'log') events.onLog?.(message.text);
  }
}

const running = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

/**
 * Run batches of jobs on started workers, handing out the next batch whenever one finishes; a batch's jobs train
 * together as one computation. Before a batch is handed out the lease of each of its trials is taken (PoolRun,
 * lease); the leases are released when the batch ends, and a lease lost to a takeover kills the worker before it
 * writes more. A worker that dies (or never became ready) fails its batch; the others carry on.
 */
export function runPool(batches: readonly Batch[], workers: readonly StartedWorker[], events: PoolEvents, control: PoolControl): Promise<PoolResult> {
  const run = new PoolRun(batches, events, control);
  const stopAll = () => {
    for (const { child } of workers) if (running(child)) child.kill('SIGTERM');
  };
  if (batches.length === 0 || workers.length === 0 || run.aborted) {
    stopAll();
    return Promise.resolve(run.result);
  }
  control.signal?.addEventListener('abort', () => {
    run.queue.length = 0;
    stopAll();
  }, { once: true });

  return new Promise((resolve) => {
    let alive = workers.length;
    const serve = ({ child, ready }: StartedWorker, slot: number) => {
      let current: Job[] = [];
      let leases: Lease[] = [];
      let lost: string | undefined;
      const finish = () => {
        for (const lease of leases) lease.release();
        leases = [];
        current = [];
      };
      const onLost = (job: Job, error: Error) => {
        lost = `lost the lease of ${jobDir(job)} (${error.message}): another process took it over; this run stopped without writing more`;
        child.kill('SIGKILL');
      };
      const next = async () => {
        const stop = () => {
          if (child.connected) child.send({ type: 'stop' } satisfies ToWorker);
        };
        for (;;) {
          if (run.aborted || !running(child) || !child.connected) return stop();
          const batch = run.queue.shift();
          if (!batch) return stop();
          const { runnable, taken } = await run.lease(batch, onLost);
          if (run.aborted || !child.connected) {
            // This worker is gone or stopping: the batch goes back for another worker (or stays undone).
            for (const l of taken) l.release();
            if (runnable.length > 0) run.queue.unshift(runnable);
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
        if (message.type === 'done' || message.type === 'failed') {
          for (const job of current) {
            if (message.type === 'done') {
              run.result.done.push(job);
              events.onDone?.(job, message.seconds);
            } else run.fail(job, message.message, message.userError);
          }
          finish();
          return void next();
        }
        run.report(message, slot);
      });
      child.on('exit', (code, signal) => {
        // A worker stopped by a signal while the pool was aborted, or by Ctrl-C (which reaches the whole process
        // group), was interrupted, not broken.
        const interrupted = lost === undefined && (run.aborted || signal === 'SIGINT' || signal === 'SIGTERM');
        if (interrupted) run.queue.length = 0;
        for (const job of current) {
          if (interrupted) run.result.interrupted.push(job);
          else run.fail(job, lost ?? `worker ${slot} exited (${signal ?? `code ${code}`}) while running this job`, false);
        }
        finish();
        if (--alive > 0) return;
        if (!run.aborted) {
          for (const job of run.queue.splice(0).flat()) run.fail(job, 'not run: every worker process exited (see the messages above)', false);
        }
        resolve(run.result);
      });
      if (!running(child)) {
        // It exited before the pool took it over (it could not load): it counts out at once.
        queueMicrotask(() => child.emit('exit', child.exitCode, child.signalCode));
        return;
      }
      // A worker that never becomes ready takes no job; its exit (above) counts it out.
      ready.then(() => void next(), () => {
        if (running(child)) child.kill('SIGTERM');
      });
    };
    workers.forEach((worker, slot) => serve(worker, slot));
  });
}
