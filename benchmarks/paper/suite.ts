import { DEFAULT_CONFIG, experimentId, validateConfig, type ExperimentConfig } from '../../core/experiment/config.js';
import type { Job } from '../../core/experiment/jobs/job.js';
import { configDir } from '../../core/results/paths.js';
import type { SuiteAxes } from './presets.js';

/** The suite as jobs, in a fixed order (dataset, attack, training, strategy, trial): one per configuration and trial. */
export function expandJobs(axes: SuiteAxes, shared: Partial<ExperimentConfig>, baseDir: string, givenId?: string): Job[] {
  const jobs: Job[] = [];
  for (const dataset of axes.datasets) {
    for (const attack of axes.attacks) {
      for (const adv_train of axes.advTrain) {
        for (const experiment of axes.strategies) {
          const config = validateConfig({ ...DEFAULT_CONFIG, ...shared, dataset, attack, adv_train, experiment });
          const id = givenId ?? experimentId(config);
          const dir = configDir(baseDir, id, config);
          for (let trial = 0; trial < config.trials; trial++) {
            const name = `${dataset}/${attack}/${adv_train ? 'adversarial' : 'normal'}/${experiment}/trial_${String(trial).padStart(2, '0')}`;
            jobs.push({ index: jobs.length, name, config, trial, experimentId: id, dir });
          }
        }
      }
    }
  }
  return jobs;
}
