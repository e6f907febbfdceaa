import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Job } from './jobs.js';
import type { FromWorker, ToWorker } from './messages.js';
import type { WorkerOptions } from './worker.js';

export interface JobProgress {
  readonly worker: number;
  readonly job: Job;
  readonly round: number;
  readonly rounds: number;
  readonly iteration: number;
  readonly trainIters: number;
}

export interface PoolEvents {
  onProgress?(progress: JobProgress): void;
  onDone?(job: Job, seconds: number): void;
  onFailed?(job: Job, message: string): void;
}

export interface PoolResult {
  readonly done: Job[];
  readonly failed: { job: Job; message: string }[];
}

const RSN_BIN = fileURLToPath(new URL('../../bin/rsn.js', import.meta.url));

/**
 * Run jobs on `workers` child processes (each `rsn _worker`, with its own backend instance), handing out
 * the next job whenever one finishes. A worker that dies fails its job; the others carry on.
 */
export function runPool(jobs: readonly Job[], workers: number, options: WorkerOptions, events: PoolEvents = {}): Promise<PoolResult> {
  const queue = [...jobs];
  const done: Job[] = [];
  const failed: { job: Job; message: string }[] = [];
  const byIndex = new Map(jobs.map((j) => [j.index, j]));
  const count = Math.max(1, Math.min(workers, jobs.length));
  if (jobs.length === 0) return Promise.resolve({ done, failed });

  const args = ['_worker', '--backend', options.backend, ...(options.dataDir ? ['--data_dir', options.dataDir] : []), ...(options.download ? [] : ['--no_download'])];
  return new Promise((resolve) => {
    let alive = count;
    const start = (slot: number) => {
      const child: ChildProcess = fork(RSN_BIN, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      let current: Job | undefined;
      const next = () => {
        current = queue.shift();
        child.send((current ? { type: 'job', job: current } : { type: 'stop' }) satisfies ToWorker);
      };
      child.on('message', (message: FromWorker) => {
        switch (message.type) {
          case 'ready':
            return next();
          case 'progress':
            return events.onProgress?.({ worker: slot, job: byIndex.get(message.index)!, ...message });
          case 'done':
            done.push(current!);
            events.onDone?.(current!, message.seconds);
            return next();
          case 'failed':
            failed.push({ job: current!, message: message.message });
            events.onFailed?.(current!, message.message);
            return next();
        }
      });
      child.on('exit', (code, signal) => {
        if (current && !done.includes(current) && !failed.some((f) => f.job === current)) {
          const message = `worker ${slot} exited (${signal ?? `code ${code}`}) while running this job`;
          failed.push({ job: current, message });
          events.onFailed?.(current, message);
        }
        if (--alive === 0) resolve({ done, failed });
      });
    };
    for (let slot = 0; slot < count; slot++) start(slot);
  });
}
