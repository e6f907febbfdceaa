import { useBackend } from '../../backends/registry.js';
import { loadDataset, type Dataset } from '../../core/data/index.js';
import { prepareData } from '../../core/experiment/prepare.js';
import type { PreparedData } from '../../core/experiment/round.js';
import { runTrial } from '../../core/experiment/runner.js';
import { claimConfigDir } from '../../core/experiment/store.js';
import type { ExperimentConfig } from '../../core/experiment/config.js';
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
  await useBackend(options.backend);
  const datasets = new Map<string, Promise<Dataset>>();
  const prepared = new Map<string, PreparedData>();
  const dataFor = async (config: ExperimentConfig): Promise<PreparedData> => {
    const key = `${config.dataset}/${config.valid_size}/${config.test_size}/${config.label_smoothing}`;
    if (!prepared.has(key)) {
      if (!datasets.has(config.dataset)) {
        datasets.set(config.dataset, loadDataset(config.dataset, { dataDir: options.dataDir, download: options.download }));
      }
      prepared.set(key, prepareData(await datasets.get(config.dataset)!, config));
    }
    return prepared.get(key)!;
  };

  await new Promise<void>((resolve) => {
    process.on('message', async (message: ToWorker) => {
      if (message.type === 'stop') return resolve();
      const { job } = message;
      const began = performance.now();
      try {
        claimConfigDir(job.dir, job.experimentId, job.config, false);
        runTrial(job.config, await dataFor(job.config), job.trial, {
          configDir: job.dir,
          backend: options.backend,
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
