import { resolve } from 'node:path';
import { loadDataset } from '../../core/data/index.js';
import { experimentId, type ExperimentConfig } from '../../core/experiment/config.js';
import { ConfigError } from '../../core/errors.js';
import { configDir } from '../../core/results/paths.js';
import { prepareData } from '../../core/experiment/prepare.js';
import { runConfiguration } from '../../core/experiment/run.js';
import { roundsFor } from '../../core/experiment/strategies.js';
import { chooseBackend } from '../../backends/registry.js';
import { backendDetails } from '../../api/provenance.js';
import { JsonlLog } from '../../core/results/jsonl.js';
import { setActiveBackend } from '../../core/autodiff/engine.js';
import { configFromOptions } from '../options.js';
import { formatDuration, ProgressBar } from '../progress.js';

const pct = (v: number) => (100 * v).toFixed(2);

/** `rsn train`: one configuration, `trials` trials, every pruning round, results under --base_dir. */
export async function train(options: Record<string, unknown>): Promise<void> {
  const config = configFromOptions(options);
  const backend = await chooseBackend(options.backend as string | undefined);
  setActiveBackend(backend);
  const backendName = backend.name;
  const id = (options.experiment_id as string | undefined) ?? experimentId(config);
  const dir = configDir(resolve(options.base_dir as string), id, config);

  process.stderr.write(`rsn train: ${config.dataset} ${config.experiment} attack=${config.attack} adv_train=${config.adv_train} backend=${backendName}\n`);
  process.stderr.write(`results: ${dir}\n(stopping is safe: completed rounds are kept, and the same command resumes after them)\n`);
  const first = options.trial_start as number;
  if (!Number.isInteger(first) || first < 0) throw new ConfigError(`--trial_start takes a whole number >= 0; got '${String(options.trial_start)}'`);
  const loadData = async (c: ExperimentConfig) => {
    const dataset = await loadDataset(c.dataset, {
      dataDir: options.data_dir as string | undefined,
      download: options.no_download !== true,
      onProgress: (p) => {
        process.stderr.write(`\rdownloading ${p.file}: ${(p.bytes / 1e6).toFixed(1)} MB${p.total ? ` of ${(p.total / 1e6).toFixed(1)} MB` : ''}\x1b[K`);
      },
    });
    process.stderr.write(`data: ${dataset.name} from ${dataset.source}\n`);
    return prepareData(dataset, c);
  };

  const rounds = roundsFor(config.experiment, config.prune_iters);
  const totalIterations = config.trials * rounds * config.train_iters;
  const bar = new ProgressBar(totalIterations);
  const log = options.log_jsonl !== undefined ? new JsonlLog(resolve(options.log_jsonl as string)) : undefined;
  try {
    await runConfiguration(config, {
      dir, experimentId: id, backend: backendName, backendDetails: backendDetails(backend), loadData, firstTrial: first, force: Boolean(options.force),
      onEvaluation: log && ((record) => log.append(record)),
      onProgress: (p) => {
        const done = ((p.trial - first) * rounds + p.round) * config.train_iters + p.iteration;
        bar.update(done, `trial ${p.trial} round ${p.round}/${rounds - 1} iter ${p.iteration}/${p.trainIters}${p.phase === 'eval' ? ' (evaluating)' : ''}`);
      },
      onRound: (t, s, skipped) => {
        bar.done();
        process.stderr.write(
          `trial ${t} round ${s.round}: ${s.percent_remaining.toFixed(1)}% remaining, test acc ${pct(s.final.test.acc)}%, ` +
            `${config.attack} acc ${pct(s.final.test.adv_acc)}%${skipped ? ' (already done)' : ` (${formatDuration(s.wall_seconds)})`}\n`,
        );
      },
    });
  } finally {
    log?.close();
  }
  bar.done();
  process.stderr.write(`done: ${dir}\n`);
}
