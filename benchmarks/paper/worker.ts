import { loadBackend } from '../../backends/registry.js';
import { setActiveBackend } from '../../core/autodiff/engine.js';
import { cachedDataLoader, runConfiguration } from '../../core/experiment/run.js';
import { backendDetails } from '../../api/provenance.js';
import type { FromWorker, ToWorker } from './messages.js';

export interface WorkerOptions {
  readonly backend: string;
  readonly dataDir?: string;
  readonly download: boolean;
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
  const loadData = cachedDataLoader({ dataDir: options.dataDir, download: options.download });

  await new Promise<void>((resolve) => {
    process.on('message', async (message: ToWorker) => {
      if (message.type === 'stop') return resolve();
      const { job } = message;
      const began = performance.now();
      try {
        await runConfiguration(job.config, {
          dir: job.dir, experimentId: job.experimentId, backend: options.backend, backendDetails: details, loadData, firstTrial: job.trial, trialCount: 1,
          onProgress: (p) => {
            if (p.phase !== 'train' || p.iteration % 10 === 0) {
              send({ type: 'progress', index: job.index, round: p.round, rounds: p.rounds, iteration: p.iteration, trainIters: p.trainIters });
            }
          },
        });
        send({ type: 'done', index: job.index, seconds: (performance.now() - began) / 1000 });
      } catch (error) {
        send({ type: 'failed', index: job.index, message: (error as Error).message });
      }
    });
    send({ type: 'ready' });
  });
}
