import { disposeAll, fromHost, keep, readAll, tidy } from '../autodiff/engine.js';
import * as op from '../autodiff/ops.js';
import type { Tensor } from '../autodiff/tensor.js';
import { craft, type AttackSpec } from '../attacks/index.js';
import { BatchSampler, gather, IMAGE_SIZE } from '../data/index.js';
import { Adam, ADAM_DEFAULTS } from '../nn/adam.js';
import { countMatches } from '../nn/loss.js';
import { createNetwork, disposeNetwork, effectiveWeights, forward, type LayerArrays, type ModelSpec } from '../nn/model.js';
import type { Rng } from '../nn/rng.js';
import { trainStep } from '../nn/train-step.js';
import type { CsvRow } from '../results/csv.js';
import type { ExperimentConfig } from './config.js';
import { evaluate, type EvalSet } from './evaluate.js';
import { evaluationPoints } from './schedule.js';
import type { EarlyStopping, RoundSummary, SplitMetrics } from '../results/records.js';

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
  earlyStoppingOriginal: EarlyStopping;
  final: RoundSummary['final'];
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

/** Training losses kept on the device between reads: a backend with asynchronous reads waits once per this many steps. */
const LOSSES_PER_READ = 1000;

/**
 * Train one pruning round from `start` weights under fixed masks with a fresh Adam, evaluating on the full
 * validation and test sets at the points of the configuration's schedule (schedule.ts). Values are read from
 * the backend only at evaluations (and every LOSSES_PER_READ steps), never once per step, so a backend whose
 * reads are asynchronous (a GPU) is not made to wait for each step.
 */
export async function trainRound(
  config: ExperimentConfig, spec: ModelSpec, attack: AttackSpec, data: PreparedData, start: LayerArrays, masks: LayerArrays,
  rngs: RoundRngs, onIteration: (iteration: number, phase: 'train' | 'eval') => void,
  onEvaluation?: (iteration: number, rows: EvaluationRows) => void,
): Promise<TrainedRound> {
  const net = createNetwork(spec, start, masks);
  const optimiser = new Adam({ ...ADAM_DEFAULTS, learningRate: config.learning_rate });
  const sampler = new BatchSampler(data.train.count, config.batch_size, rngs.batches);
  const classes = spec.layers[spec.layers.length - 1]!.fanOut;
  const rows = { train: [] as CsvRow[], valid: [] as CsvRow[], test: [] as CsvRow[] };
  let windowLoss = 0;
  let windowSteps = 0;
  /** Each step's loss, not yet read: summed in step order in double precision when read. */
  const pendingLosses: Tensor[] = [];
  const readLosses = async () => {
    const values = await readAll(pendingLosses);
    disposeAll(pendingLosses);
    pendingLosses.length = 0;
    for (const v of values) windowLoss += v[0]!;
    windowSteps += values.length;
  };
  let last: { x: Float32Array; labels: Int32Array; n: number } | undefined;

  const points = evaluationPoints({
    schedule: config.eval_schedule, trainIters: config.train_iters, evalEvery: config.eval_every,
    trainCount: data.train.count, batchSize: config.batch_size,
  });
  const counterAt = new Map(points.map((p) => [p.step, p.counter]));
  // Under the default schedule the counter is the step; the others also record the step (docs/results.md).
  const stamp = (step: number): CsvRow => (config.eval_schedule === 'every' ? { batch: step } : { batch: counterAt.get(step)!, step });

  const evaluateAt = async (iteration: number) => {
    onIteration(iteration, 'eval');
    await readLosses();
    const effective = tidy(() => effectiveWeights(net.weights, net.masks));
    try {
      const valid = data.valid ? await evaluate(effective, data.valid, attack, config.eval_batch_size, rngs.evaluation, config.loss) : NO_METRICS;
      const test = await evaluate(effective, data.test, attack, config.eval_batch_size, rngs.evaluation, config.loss);
      rows.valid.push({ ...stamp(iteration), ...valid });
      rows.test.push({ ...stamp(iteration), ...test });
      let acc = NaN, advAcc = NaN;
      if (last) {
        const { n, labels } = last;
        const x = last.x;
        const predictions = tidy(() => {
          const input = fromHost(x, [n, IMAGE_SIZE]);
          const natural = op.argmax(forward(effective, input), -1);
          return config.adv_train ? [natural, op.argmax(forward(effective, craft(attack, effective, input, rngs.evaluation)), -1)] : [natural];
        });
        const [natural, adversarial] = await readAll(predictions);
        disposeAll(predictions);
        acc = countMatches(natural!, labels) / n;
        if (adversarial) advAcc = countMatches(adversarial, labels) / n;
      }
      rows.train.push({ ...stamp(iteration), loss: windowSteps ? windowLoss / windowSteps : NaN, acc, adv_acc: advAcc });
    } finally {
      disposeAll(effective);
    }
    windowLoss = 0;
    windowSteps = 0;
    onEvaluation?.(iteration, { train: rows.train[rows.train.length - 1]!, valid: rows.valid[rows.valid.length - 1]!, test: rows.test[rows.test.length - 1]! });
  };

  try {
    if (counterAt.has(0)) await evaluateAt(0);
    for (let iteration = 1; iteration <= config.train_iters; iteration++) {
      const indices = sampler.next();
      const batch = gather(data.train, indices);
      const n = indices.length;
      const loss = tidy(() => {
        const x = fromHost(batch.images, [n, IMAGE_SIZE]);
        const y = fromHost(gatherTargets(data.train.targets, indices, classes), [n, classes]);
        const adversarial = config.adv_train ? (effective: readonly Tensor[]) => craft(attack, effective, x, rngs.attack) : undefined;
        return keep(trainStep(net, optimiser, x, y, config.l1_reg, adversarial, config.loss));
      });
      pendingLosses.push(loss);
      last = { x: batch.images, labels: batch.labels, n };
      onIteration(iteration, 'train');
      if (counterAt.has(iteration)) await evaluateAt(iteration);
      else if (pendingLosses.length >= LOSSES_PER_READ) await readLosses();
    }
    const postKernels = (await readAll(net.weights)) as LayerArrays;
    return {
      postKernels, ...rows,
      earlyStopping: earlyStopping(rows.valid, rows.test),
      earlyStoppingOriginal: earlyStopping(rows.valid, rows.test, originalLoss(config.adv_train)),
      final: finalMetrics(rows.valid, rows.test),
    };
  } finally {
    disposeAll(pendingLosses);
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

/** The validation loss an early-stopping criterion minimises, from an evaluation's metrics. */
export type StoppingLoss = (valid: SplitMetrics) => number;

/** rsn's criterion: the natural validation loss. */
export const naturalLoss: StoppingLoss = (v) => v.loss;
/**
 * The original's: the minimum of the validation loss Keras logged, which is the training objective (for
 * adversarial training 0.5 natural + 0.5 adversarial cross-entropy; for natural training the natural one).
 */
export const originalLoss = (advTrain: boolean): StoppingLoss => (advTrain ? (v) => 0.5 * v.loss + 0.5 * v.adv_loss : naturalLoss);

/** The step of an evaluation row: its `step` column where there is one, else its batch column (the same then). */
const stepOf = (row: CsvRow): number => (row.step ?? row.batch) as number;

/**
 * The evaluation with the lowest criterion on the validation set (the first on ties; the last evaluation when
 * there is no validation set).
 */
export function earlyStopping(valid: CsvRow[], test: CsvRow[], criterion: StoppingLoss = naturalLoss): EarlyStopping {
  const scores = valid.map((row) => criterion(metricsOf(row)));
  let best = Number.isNaN(scores[0]) ? valid.length - 1 : 0;
  scores.forEach((score, i) => {
    if (score < scores[best]!) best = i;
  });
  const v = metricsOf(valid[best]!);
  const t = metricsOf(test[best]!);
  return {
    iteration: valid[best]!.batch as number,
    step: stepOf(valid[best]!),
    valid_loss: v.loss, valid_acc: v.acc, valid_adv_acc: v.adv_acc,
    test_loss: t.loss, test_acc: t.acc, test_adv_acc: t.adv_acc,
  };
}

const finalMetrics = (valid: CsvRow[], test: CsvRow[]) => ({
  iteration: test[test.length - 1]!.batch as number,
  step: stepOf(test[test.length - 1]!),
  valid: metricsOf(valid[valid.length - 1]!),
  test: metricsOf(test[test.length - 1]!),
});
