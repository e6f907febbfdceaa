import { loadBackend } from '../../backends/registry.js';
import { setActiveBackend } from '../../core/autodiff/engine.js';
import { cachedDataLoader, runBatch } from '../../core/experiment/run.js';
import { backendDetails } from '../../api/provenance.js';
import { JsonlLog } from '../../core/results/jsonl.js';
import type { FromWorker, ToWorker } from './messages.js';

export interface WorkerOptions {
  readonly backend: string;
  readonly dataDir?: string;
  readonly download: boolean;
  /** Append one JSON record per evaluation to this file (rsn train --log_jsonl). */
  readonly logJsonl?: string;
}

/**
 * The worker side of `rsn bench` and `rsn train`: a child process with its own backend instance that runs the
 * batches of jobs its parent sends over IPC, one batch at a time (its jobs as one computation), reporting progress.
 */
export async function serveJobs(options: WorkerOptions): Promise<void> {
  const send = (message: FromWorker) => process.send!(message);
  const backend = await loadBackend(options.backend);
  setActiveBackend(backend);
  const details = backendDetails(backend);
  let currentIndex = -1;
  const loadData = cachedDataLoader({ dataDir: options.dataDir, download: options.download }, (dataset) => {
    send({ type: 'log', index: currentIndex, text: `data: ${dataset.name} from ${dataset.source}` });
  });
  const log = options.logJsonl !== undefined ? new JsonlLog(options.logJsonl) : undefined;
  // The parent holds this job's lease and refreshes it. Should the parent die, the lease goes stale and another
  // process may take the trial over: a worker whose parent is gone stops at once rather than write into it.
  const parent = process.ppid;
  const orphaned = () => process.ppid !== parent;

  await new Promise<void>((resolve) => {
    process.on('message', async (message: ToWorker) => {
      if (message.type === 'stop') {
        log?.close();
        return resolve();
      }
      const { jobs } = message;
      currentIndex = jobs[0]!.index;
      const began = performance.now();
      try {
        await runBatch(jobs.map((job) => ({ config: job.config, dir: job.dir, experimentId: job.experimentId, trial: job.trial })), {
          backend: options.backend, backendDetails: details, loadData,
          onEvaluation: log && ((record) => log.append(record)),
          onProgress: (p) => {
            if (orphaned()) process.exit(1);
            if (p.phase !== 'train' || p.iteration % 10 === 0) {
              send({ type: 'progress', indices: p.members.map((m) => jobs[m]!.index), round: p.round, rounds: p.rounds, iteration: p.iteration, trainIters: p.trainIters });
            }
          },
          onRound: (_trial, summary, skipped, member) => send({ type: 'round', index: jobs[member]!.index, summary, skipped }),
        });
        send({ type: 'done', seconds: (performance.now() - began) / 1000 });
      } catch (error) {
        send({ type: 'failed', message: (error as Error).message });
      }
    });
    send({ type: 'ready' });
  });
}
