/**
 * The worker side of the one orchestration path: a child process that loads its backend and its data once,
 * says it is ready (or why it cannot be), then runs the batches of jobs its parent sends over IPC, one batch
 * at a time (its jobs as one computation), reporting progress, rounds and evaluations.
 */
import type { Backend } from '../../autodiff/backend.js';
import { setActiveBackend } from '../../autodiff/engine.js';
import { RsnError } from '../../errors.js';
import { JsonlLog } from '../../results/jsonl.js';
import { DataCache, runBatch } from '../run.js';
import type { FromWorker, ToWorker, WorkerStart } from './messages.js';

/** What the worker needs from outside core: the backends (backends/registry.ts) and what manifests record of one. */
export interface WorkerRuntime {
  /** The backend of this name; undefined: RSN_BACKEND, else the default (falling back to reference, with a notice). */
  loadBackend(name: string | undefined): Promise<Backend>;
  describeBackend(backend: Backend): Readonly<Record<string, string | number | boolean>>;
}

interface Loaded {
  readonly backend: Backend;
  readonly details: Readonly<Record<string, string | number | boolean>>;
  readonly data: DataCache;
  /** Opened with the first batch: nothing is written before the parent has claimed the results folders. */
  readonly logJsonl: string | undefined;
  log?: JsonlLog;
  readonly evaluations: boolean;
}

const userError = (error: unknown): boolean => error instanceof RsnError;
const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Serve the parent until it says stop (or the worker cannot load what it was asked to). */
export async function serveJobs(runtime: WorkerRuntime): Promise<void> {
  const send = (message: FromWorker) => process.send!(message);
  // The parent holds the leases of the jobs this worker runs and refreshes them. Should the parent die, the leases
  // go stale and another process may take the trials over: a worker whose parent is gone stops at once.
  const parent = process.ppid;
  const orphaned = () => process.ppid !== parent;

  const load = async (start: WorkerStart): Promise<Loaded> => {
    const backend = await runtime.loadBackend(start.backend);
    setActiveBackend(backend);
    const data = new DataCache({ dataDir: start.dataDir, download: start.download }, (dataset) => {
      send({ type: 'log', text: `data: ${dataset.name} from ${dataset.source}` });
    });
    for (const name of start.datasets) await data.dataset(name);
    return { backend, details: runtime.describeBackend(backend), data, logJsonl: start.logJsonl, evaluations: start.evaluations };
  };

  const run = async (loaded: Loaded, jobs: Extract<ToWorker, { type: 'jobs' }>['jobs']) => {
    const began = performance.now();
    const noticed = new Set<string>();
    try {
      if (loaded.logJsonl !== undefined) loaded.log ??= new JsonlLog(loaded.logJsonl);
      await runBatch(jobs, {
        backend: loaded.backend.name, backendDetails: loaded.details, loadData: loaded.data.load,
        onEvaluation: (record) => {
          loaded.log?.append(record);
          if (loaded.evaluations) send({ type: 'evaluation', index: jobs.find((j) => j.trial === record.trial && j.dir === record.config_dir)!.index, record });
        },
        onProgress: (p) => {
          if (orphaned()) process.exit(1);
          if (p.phase !== 'train' || p.iteration % 10 === 0) {
            send({ type: 'progress', indices: p.members.map((m) => jobs[m]!.index), round: p.round, rounds: p.rounds, iteration: p.iteration, trainIters: p.trainIters, phase: p.phase });
          }
        },
        onRound: (_trial, summary, skipped, member) => send({ type: 'round', index: jobs[member]!.index, summary, skipped }),
        // Said once per batch of jobs, not every round.
        onNotice: (text) => {
          if (!noticed.has(text)) send({ type: 'log', text });
          noticed.add(text);
        },
      });
      send({ type: 'done', seconds: (performance.now() - began) / 1000 });
    } catch (error) {
      send({ type: 'failed', message: messageOf(error), userError: userError(error) });
    }
  };

  await new Promise<void>((resolve) => {
    let loaded: Loaded | undefined;
    process.on('message', (message: ToWorker) => {
      switch (message.type) {
        case 'start':
          return void load(message.start).then(
            (l) => {
              loaded = l;
              const stacking = l.backend.stacking ? { maxBufferBytes: l.backend.stacking.maxBufferBytes } : undefined;
              send({ type: 'ready', backend: l.backend.name, ...(stacking ? { stacking } : {}) });
            },
            (error: unknown) => {
              send({ type: 'unusable', message: messageOf(error), userError: userError(error) });
              resolve();
            },
          );
        case 'jobs':
          return void run(loaded!, message.jobs);
        case 'stop':
          loaded?.log?.close();
          return resolve();
      }
    });
    send({ type: 'listening' });
  });
}
