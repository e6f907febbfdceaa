import { fromHost, keep, tidy } from '../autodiff/engine.js';
import type { Tensor } from '../autodiff/tensor.js';
import { craft, type AttackSpec } from '../attacks/index.js';
import { BatchSampler, gather, IMAGE_SIZE } from '../data/index.js';
import { Adam, ADAM_DEFAULTS } from '../nn/adam.js';
import { countCorrect } from '../nn/loss.js';
import { createNetwork, disposeNetwork, effectiveWeights, forward, readLayers, type LayerArrays, type ModelSpec } from '../nn/model.js';
import type { Rng } from '../nn/rng.js';
import { trainStep } from '../nn/train-step.js';
import type { CsvRow } from '../results/csv.js';
import type { ExperimentConfig } from './config.js';
import { evaluate, type EvalSet } from './evaluate.js';
import type { EarlyStopping, SplitMetrics } from '../results/records.js';

export interface PreparedData {
  readonly train: EvalSet;
  /** Absent when valid_size is 0. */
  readonly valid: EvalSet | undefined;
  readonly test: EvalSet;
}

/** What training one round produced (the store writes it with the round's inputs, results/store.ts). */
export interface TrainedRound {
  postKernels: LayerArrays;
  train: CsvRow[];
  valid: CsvRow[];
  test: CsvRow[];
  earlyStopping: EarlyStopping;
  final: { iteration: number; valid: SplitMetrics; test: SplitMetrics };
}

/** The rows one evaluation appended to train.csv, valid.csv and test.csv. */
export interface EvaluationRows {
  readonly train: CsvRow;
  readonly valid: CsvRow;
  readonly test: CsvRow;
}

/** Random streams of one round, each derived from (seed, trial, round, purpose) so a resumed round draws the same. */
export interface RoundRngs {
  readonly batches: Rng;
  readonly attack: Rng;
  readonly evaluation: Rng;
}

const NO_METRICS: SplitMetrics = { loss: NaN, acc: NaN, adv_acc: NaN, adv_loss: NaN };

/**
 * Train one pruning round from `start` weights under fixed masks with a fresh Adam, evaluating every
 * eval_every iterations (and at 0 and at the end) on the full validation and test sets.
 */
export function trainRound(
  config: ExperimentConfig, spec: ModelSpec, attack: AttackSpec, data: PreparedData, start: LayerArrays, masks: LayerArrays,
  rngs: RoundRngs, onIteration: (iteration: number, phase: 'train' | 'eval') => void,
  onEvaluation?: (iteration: number, rows: EvaluationRows) => void,
): TrainedRound {
  const net = createNetwork(spec, start, masks);
  const optimiser = new Adam({ ...ADAM_DEFAULTS, learningRate: config.learning_rate });
  const sampler = new BatchSampler(data.train.count, config.batch_size, rngs.batches);
  const classes = spec.layers[spec.layers.length - 1]!.fanOut;
  const rows = { train: [] as CsvRow[], valid: [] as CsvRow[], test: [] as CsvRow[] };
  let windowLoss = 0;
  let windowSteps = 0;
  let last: { x: Float32Array; labels: Int32Array; n: number } | undefined;

  const evaluateAt = (iteration: number) => {
    onIteration(iteration, 'eval');
    tidy(() => {
      const effective = effectiveWeights(net.weights, net.masks);
      const valid = data.valid ? evaluate(effective, data.valid, attack, config.eval_batch_size, rngs.evaluation) : NO_METRICS;
      const test = evaluate(effective, data.test, attack, config.eval_batch_size, rngs.evaluation);
      rows.valid.push({ batch: iteration, ...valid });
      rows.test.push({ batch: iteration, ...test });
      let acc = NaN, advAcc = NaN;
      if (last) {
        const x = fromHost(last.x, [last.n, IMAGE_SIZE]);
        acc = countCorrect(forward(effective, x), last.labels) / last.n;
        if (config.adv_train) advAcc = countCorrect(forward(effective, craft(attack, effective, x, rngs.evaluation)), last.labels) / last.n;
      }
      rows.train.push({ batch: iteration, loss: windowSteps ? windowLoss / windowSteps : NaN, acc, adv_acc: advAcc });
    });
    windowLoss = 0;
    windowSteps = 0;
    onEvaluation?.(iteration, { train: rows.train[rows.train.length - 1]!, valid: rows.valid[rows.valid.length - 1]!, test: rows.test[rows.test.length - 1]! });
  };

  try {
    evaluateAt(0);
    for (let iteration = 1; iteration <= config.train_iters; iteration++) {
      const indices = sampler.next();
      const batch = gather(data.train, indices);
      const n = indices.length;
      const loss = tidy(() => {
        const x = fromHost(batch.images, [n, IMAGE_SIZE]);
        const y = fromHost(gatherTargets(data.train.targets, indices, classes), [n, classes]);
        const adversarial = config.adv_train ? (effective: readonly Tensor[]) => craft(attack, effective, x, rngs.attack) : undefined;
        return keep(trainStep(net, optimiser, x, y, config.l1_reg, adversarial));
      });
      windowLoss += loss.item();
      loss.dispose();
      windowSteps++;
      last = { x: batch.images, labels: batch.labels, n };
      onIteration(iteration, 'train');
      if (iteration % config.eval_every === 0 || iteration === config.train_iters) evaluateAt(iteration);
    }
    const postKernels = readLayers(net.weights);
    return { postKernels, ...rows, earlyStopping: earlyStopping(rows.valid, rows.test), final: finalMetrics(rows.valid, rows.test) };
  } finally {
    optimiser.reset();
    disposeNetwork(net);
  }
}

function gatherTargets(targets: Float32Array, indices: Int32Array, classes: number): Float32Array {
  const out = new Float32Array(indices.length * classes);
  indices.forEach((index, i) => out.set(targets.subarray(index * classes, (index + 1) * classes), i * classes));
  return out;
}

const metricsOf = (row: CsvRow): SplitMetrics => ({
  loss: row.loss as number, acc: row.acc as number, adv_acc: row.adv_acc as number, adv_loss: row.adv_loss as number,
});

/** The evaluation with the lowest validation loss (the first on ties; the last evaluation when there is no validation set). */
export function earlyStopping(valid: CsvRow[], test: CsvRow[]): EarlyStopping {
  let best = Number.isNaN(valid[0]!.loss) ? valid.length - 1 : 0;
  valid.forEach((row, i) => {
    if ((row.loss as number) < (valid[best]!.loss as number)) best = i;
  });
  const v = metricsOf(valid[best]!);
  const t = metricsOf(test[best]!);
  return {
    iteration: valid[best]!.batch as number,
    valid_loss: v.loss, valid_acc: v.acc, valid_adv_acc: v.adv_acc,
    test_loss: t.loss, test_acc: t.acc, test_adv_acc: t.adv_acc,
  };
}

const finalMetrics = (valid: CsvRow[], test: CsvRow[]) => ({
  iteration: test[test.length - 1]!.batch as number,
  valid: metricsOf(valid[valid.length - 1]!),
  test: metricsOf(test[test.length - 1]!),
});
