/**
 * A synthetic results tree in exactly the layout core/experiment/runner.ts writes (core/results/paths.ts),
 * with numbers chosen so that tests can derive expected values by hand:
 *
 *   test acc      = base_acc + 0.02 * trial - 0.005 * round + iteration / 1e6
 *   test adv_acc  = base_adv + 0.02 * trial - 0.005 * round + iteration / 1e6
 *   (+ options.accShift on both accuracies, default 0)
 *   test loss     = 1 - acc,  adv_loss = 2 - adv_acc;  valid = test + 0.001 (acc, adv_acc) / same losses
 *   base_acc = 0.90 (fashion: 0.80) + strategy offset; base_adv = 0.10 naturally trained, 0.60 adversarially
 *   trained; PGD: base_adv - 0.01; + strategy offset (reinit_orig and no_pruning 0, reinit_rand -0.01, reinit_none +0.005)
 *   percent_remaining = PROTOCOL_PERCENT[round]; wall_seconds = 10 + trial + round (summary and manifest)
 *   early stopping: iteration min(train_iters, eval_every * (round + 1)), valid/test values of that row
 * Kernels are small ([6,4], [4,3], [3,2]): init weight k of a layer = (k + 1) / n - 0.5 (times 1 + round for
 * reinit_none), mask k = 1 for the first ceil(n * percent / 100) positions.
 */
import { accessSync, constants, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG, experimentId, type ExperimentConfig } from '../../core/experiment/config.js';
import * as paths from '../../core/results/paths.js';
import { toCsv } from '../../core/results/csv.js';
import { encodeNpy } from '../../core/results/npy.js';
import { EVAL_COLUMNS, TRAIN_COLUMNS } from '../../core/results/records.js';
import { DENSE_300_100 } from '../../core/nn/models/index.js';

/**
 * A fresh temporary directory, in memory (/dev/shm) where there is one: the trees hold thousands of small files,
 * which some disks write 50 times slower.
 */
export function tempRoot(prefix: string): string {
  let base = tmpdir();
  try {
    accessSync('/dev/shm', constants.W_OK);
    base = '/dev/shm';
  } catch {
    // no /dev/shm: the system's temporary directory
  }
  return mkdtempSync(join(base, prefix));
}

export const PROTOCOL_PERCENT = [100.0, 80.0, 64.1, 51.3, 41.0, 32.9, 26.3, 21.1, 16.9, 13.5, 10.8, 8.7, 6.9, 5.6, 4.5, 3.6, 2.9, 2.3, 1.8, 1.5, 1.2];
export const SHAPES: readonly [number, number][] = [[6, 4], [4, 3], [3, 2]];

export interface SyntheticOptions {
  readonly trials: number;
  /** Rounds written per trial (no_pruning: always 1). */
  readonly rounds: number;
  readonly trainIters: number;
  readonly evalEvery: number;
  readonly backend?: string;
  /** Seconds per round; default 10 + trial + round. */
  readonly wallSeconds?: (trial: number, round: number) => number;
  /** Added to every accuracy (natural and adversarial, valid and test); default 0. */
  readonly accShift?: number;
  /** The experiment folder's name; default the one derived from the settings (experimentId). */
  readonly experimentId?: string;
}

export type Overrides = Partial<ExperimentConfig>;

export function metricsAt(config: ExperimentConfig, trial: number, round: number, iteration: number, accShift = 0) {
  const baseAcc = config.dataset === 'fashion' ? 0.8 : 0.9;
  const baseAdv = (config.adv_train ? 0.6 : 0.1) - (config.attack === 'pgd' ? 0.01 : 0);
  const offset = config.experiment === 'reinit_rand' ? -0.01 : config.experiment === 'reinit_none' ? 0.005 : 0;
  const shift = accShift + offset + 0.02 * trial - 0.005 * round + iteration / 1e6;
  const acc = baseAcc + shift;
  const adv = baseAdv + shift;
  return {
    test: { loss: 1 - acc, acc, adv_acc: adv, adv_loss: 2 - adv },
    valid: { loss: 1 - acc, acc: acc + 0.001, adv_acc: adv + 0.001, adv_loss: 2 - adv },
  };
}

const layerValues = (n: number, scale: number, fn: (k: number) => number) => Float32Array.from({ length: n }, (_, k) => scale * fn(k));

/** Write one configuration; returns its directory. */
export function writeConfig(base: string, overrides: Overrides, options: SyntheticOptions): string {
  const config: ExperimentConfig = { ...DEFAULT_CONFIG, trials: options.trials, train_iters: options.trainIters, eval_every: options.evalEvery, ...overrides };
  const id = options.experimentId ?? experimentId(config);
  const dir = paths.configDir(base, id, config);
  mkdirSync(dir, { recursive: true });
  writeFileSync(paths.configFile(dir), `${JSON.stringify({ experiment_id: id, config }, null, 2)}\n`);
  const rounds = config.experiment === 'no_pruning' ? 1 : options.rounds;
  const seconds = options.wallSeconds ?? ((t: number, r: number) => 10 + t + r);
  const iterations: number[] = [];
  for (let i = 0; i < options.trainIters; i += options.evalEvery) iterations.push(i);
  iterations.push(options.trainIters);
  for (let trial = 0; trial < options.trials; trial++) {
    const trialDir = paths.trialDir(dir, trial);
    const manifestRounds = [];
    for (let round = 0; round < rounds; round++) {
      const roundDir = paths.roundDir(trialDir, round);
      const percent = PROTOCOL_PERCENT[round]!;
      const remaining: number[] = [];
      SHAPES.forEach(([fanIn, fanOut], l) => {
        const n = fanIn * fanOut;
        const keep = Math.ceil((n * percent) / 100);
        remaining.push(keep);
        const scale = config.experiment === 'reinit_none' ? 1 + round : 1;
        const write = (kind: paths.KernelKind, values: Float32Array) => {
          mkdirSync(`${roundDir}/${kind}`, { recursive: true });
          writeFileSync(paths.kernelFile(roundDir, kind, DENSE_300_100.parameters[l]!.name), encodeNpy(values, [fanIn, fanOut]));
        };
        write('init_kernels', layerValues(n, scale, (k) => (k + 1) / n - 0.5));
        write('masks', layerValues(n, 1, (k) => (k < keep ? 1 : 0)));
        write('post_kernels', layerValues(n, scale, (k) => (k + 1) / n - 0.4));
      });
      const rows = iterations.map((i) => ({ i, m: metricsAt(config, trial, round, i, options.accShift) }));
      writeFileSync(paths.metricsFile(roundDir, 'train'), toCsv(TRAIN_COLUMNS, rows.map(({ i, m }) => ({ batch: i, loss: m.test.loss, acc: m.test.acc, adv_acc: config.adv_train ? m.test.adv_acc : NaN }))));
      for (const split of ['valid', 'test'] as const) {
        writeFileSync(paths.metricsFile(roundDir, split), toCsv(EVAL_COLUMNS, rows.map(({ i, m }) => ({ batch: i, ...m[split] }))));
      }
      const esIteration = Math.min(options.trainIters, options.evalEvery * (round + 1));
      const es = metricsAt(config, trial, round, esIteration, options.accShift);
      const last = metricsAt(config, trial, round, options.trainIters, options.accShift);
      const summary = {
        round, percent_remaining: percent, remaining, train_iters: options.trainIters, wall_seconds: seconds(trial, round),
        early_stopping: { iteration: esIteration, valid_loss: es.valid.loss, valid_acc: es.valid.acc, valid_adv_acc: es.valid.adv_acc,
          test_loss: es.test.loss, test_acc: es.test.acc, test_adv_acc: es.test.adv_acc },
        final: { iteration: options.trainIters, valid: last.valid, test: last.test },
      };
      writeFileSync(paths.roundSummary(roundDir), `${JSON.stringify(summary, null, 2)}\n`);
      manifestRounds.push({ round, wall_seconds: seconds(trial, round), backend: options.backend ?? 'reference' });
    }
    writeFileSync(paths.trialManifest(trialDir), `${JSON.stringify({
      trial, seed: config.seed, backend: options.backend ?? 'reference', versions: { rsn: '0.1.0', node: 'v20' },
      machine: { hostname: 'synthetic' }, rounds: manifestRounds,
    }, null, 2)}\n`);
  }
  return dir;
}

/** Leave an unfinished round (kernels and CSVs, no summary.json) after the last complete one of a trial. */
export function writeIncompleteRound(configDir: string, trial: number, round: number): string {
  const roundDir = paths.roundDir(paths.trialDir(configDir, trial), round);
  mkdirSync(roundDir, { recursive: true });
  writeFileSync(paths.metricsFile(roundDir, 'test'), 'batch,loss,acc,adv_acc,adv_loss\n0,1,0.1,0.1,2\n');
  return roundDir;
}

/**
 * The standard tree of the report tests: digits, reinit_orig x {fgsm, pgd} x {natural, adversarial training}
 * with 19 rounds (100% .. 1.8%), reinit_rand and reinit_none for digits / FGSM / natural training with 9 rounds
 * (100% .. 16.9%); 3 trials; train_iters 30000, eval_every 10000; trial 2 of digits/reinit_orig/fgsm/natural has
 * an unfinished round 19.
 */
export function writeStandardTree(base: string, overrides: Overrides = {}, options: Partial<SyntheticOptions> = {}): string[] {
  const opts: SyntheticOptions = { trials: 3, rounds: 19, trainIters: 30000, evalEvery: 10000, ...options };
  const dirs: string[] = [];
  for (const attack of ['fgsm', 'pgd'] as const) {
    for (const adv_train of [false, true]) {
      dirs.push(writeConfig(base, { dataset: 'digits', experiment: 'reinit_orig', attack, adv_train, ...overrides }, opts));
    }
  }
  for (const experiment of ['reinit_rand', 'reinit_none'] as const) {
    dirs.push(writeConfig(base, { dataset: 'digits', experiment, attack: 'fgsm', adv_train: false, ...overrides }, { ...opts, rounds: 9 }));
  }
  writeIncompleteRound(dirs[0]!, 2, opts.rounds);
  return dirs;
}
