/** The messages between the parent (jobs/pool.ts) and a worker process (jobs/worker.ts), over Node's IPC channel. */
import type { DatasetName } from '../../data/index.js';
import type { RoundSummary } from '../../results/records.js';
import type { EvaluationRecord } from '../evaluation-record.js';
import type { Job } from './job.js';

/** What a worker loads before it says it is ready, and how it runs its jobs. */
export interface WorkerStart {
  /** The backend as the caller named it; undefined: RSN_BACKEND, else the default (which falls back to reference). */
  readonly backend: string | undefined;
  readonly dataDir?: string;
  readonly download: boolean;
  /** The data sets its jobs need, loaded (and so checked) before it is ready. */
  readonly datasets: readonly DatasetName[];
  /** Append one JSON record per evaluation to this file. */
  readonly logJsonl?: string;
  /** Send each evaluation record to the parent (the library's onEvaluation). */
  readonly evaluations: boolean;
}

/** Parent -> worker: the start settings, then batches of jobs to train together (one job: alone), then stop. */
export type ToWorker = { type: 'start'; start: WorkerStart } | { type: 'jobs'; jobs: Job[] } | { type: 'stop' };

/** The backend a worker loaded: its name and, for a GPU backend, how much it can stack (jobs/batch-size.ts). */
export interface WorkerReady {
  readonly backend: string;
  readonly stacking?: { readonly maxBufferBytes: number };
}

/** Worker -> parent. */
export type FromWorker =
  /** Its message listener is in place: the parent may send the start settings. */
  | { type: 'listening' }
  | ({ type: 'ready' } & WorkerReady)
  /** The backend or the data could not be loaded; userError: an rsn error (the user can fix it), not a bug. */
  | { type: 'unusable'; message: string; userError: boolean }
  /** indices: the jobs of the batch that this step trains (or this skip concerns). */
  | { type: 'progress'; indices: number[]; round: number; rounds: number; iteration: number; trainIters: number; phase: 'train' | 'eval' | 'skip' }
  | { type: 'round'; index: number; summary: RoundSummary; skipped: boolean }
  | { type: 'evaluation'; index: number; record: EvaluationRecord }
  | { type: 'log'; text: string }
  /** The whole batch finished, or failed. */
  | { type: 'done'; seconds: number }
  | { type: 'failed'; message: string; userError: boolean };
