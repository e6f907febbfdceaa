import { loadBackend } from '../../backends/registry.js';
import { setActiveBackend } from '../../core/autodiff/engine.js';
import { cachedDataLoader, runConfiguration } from '../../core/experiment/run.js';
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
 * The worker side of `rsn bench`: a child process with its own backend instance that runs the jobs its
 * parent sends over IPC, one at a time, reporting progress.
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
      const { job } = message;
      currentIndex = job.index;
      const began = performance.now();
      try {
        await runConfiguration(job.config, {
          dir: job.dir, experimentId: job.experimentId, backend: options.backend, backendDetails: details, loadData, firstTrial: job.trial, trialCount: 1,
          onEvaluation: log && ((record) => log.append(record)),
          onProgress: (p) => {
            if (orphaned()) process.exit(1);
            if (p.phase !== 'train' || p.iteration % 10 === 0) {
              send({ type: 'progress', index: job.index, round: p.round, rounds: p.rounds, iteration: p.iteration, trainIters: p.trainIters });
            }
          },
          onRound: (_trial, summary, skipped) => send({ type: 'round', index: job.index, summary, skipped }),
        });
        send({ type: 'done', index: job.index, seconds: (performance.now() - began) / 1000 });
      } catch (error) {
        send({ type: 'failed', index: job.index, message: (error as Error).message });
      }
    });
    send({ type: 'ready' });
  });
}
