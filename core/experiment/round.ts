import { activeBackend, disposeAll, keep, readAll, tidy } from '../autodiff/engine.js';
import * as op from '../autodiff/ops.js';
import type { Tensor } from '../autodiff/tensor.js';
import { craft, type AttackSpec } from '../attacks/index.js';
import { BatchSampler } from '../data/index.js';
import { Adam, ADAM_DEFAULTS } from '../nn/adam.js';
import { countMatches } from '../nn/loss.js';
import { classifierOf, createStackedNetwork, disposeNetwork, inputSize, logits, type Classifier, type ParameterArrays, type ModelSpec } from '../nn/model.js';
import { unstack } from '../nn/stack.js';
import { uniformSource } from '../nn/trial-rngs.js';
import { RsnError } from '../errors.js';
import type { Rng } from '../nn/rng.js';
import { trainStep } from '../nn/train-step.js';
import type { CsvRow } from '../results/csv.js';
import type { ExperimentConfig } from './config.js';
import { TrainingBatches, type ResidencyOptions } from './batch-source.js';
import { evaluate, type EvalSet } from './evaluate.js';
import { ResidentEvaluation } from './resident-evaluation.js';
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
  postKernels: ParameterArrays;
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
 * Lets the process answer messages, signals and timers: on a backend whose reads resolve at once, a round is
 * otherwise one unbroken stretch of microtasks.
 */
const turnOfTheEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** One network of a round: its data, starting weights, masks, random streams and evaluation listener. */
export interface RoundMember {
  readonly data: PreparedData;
  readonly start: ParameterArrays;
  readonly masks: ParameterArrays;
  readonly rngs: RoundRngs;
  readonly onEvaluation?: (iteration: number, rows: EvaluationRows) => void;
}

/** How a round's batches reach the backend (batch-source.ts). */
export interface RoundOptions {
  /** Where the sets would stay on the device: gather on the host anyway, or cut the tables at another size. */
  readonly residency?: ResidencyOptions;
  /** Told once why batches are gathered on the host where the backend could gather them on the device. */
  readonly onNotice?: (message: string) => void;
}

/** Checks that stacked networks can take their steps together: training sets of one size (one batch shape). */
function checkStackable(members: readonly RoundMember[]): void {
  const counts = members.map((m) => m.data.train.count);
  if (counts.some((c) => c !== counts[0])) {
    throw new RsnError(`networks trained together need training sets of one size, got ${counts.join(', ')}`, 'give them the same --valid_size');
  }
}

/**
 * Train one pruning round of one or more networks from their `start` weights under fixed masks, each with a
 * fresh Adam, evaluating on the full validation and test sets at the points of the configuration's schedule
 * (schedule.ts). Several networks are stacked on a leading axis and trained in lockstep as one computation
 * (README, "Many networks as one computation"). Values are read from the backend only at evaluations (and every
 * LOSSES_PER_READ steps), never once per step, so a backend whose reads are asynchronous (a GPU) is not made to
 * wait for each step. The networks share the step program in
 * `config` (attack, adversarial training, batch size, iterations, schedule, learning rate, loss); each keeps
 * its own data, weights, masks, Adam state, batch order, attack and evaluation draws, and gets the results it
 * would get alone (bit for bit on the reference backend).
 */
export async function trainRounds(
  config: ExperimentConfig, spec: ModelSpec, attack: AttackSpec, members: readonly RoundMember[],
  onIteration: (iteration: number, phase: 'train' | 'eval') => void, options: RoundOptions = {},
): Promise<TrainedRound[]> {
  checkStackable(members);
  const networks = members.length;
  const net = createStackedNetwork(spec, members.map((m) => m.start), members.map((m) => m.masks));
  const optimiser = new Adam({ ...ADAM_DEFAULTS, learningRate: config.learning_rate });
  const samplers = members.map((m) => new BatchSampler(m.data.train.count, config.batch_size, m.rngs.batches));
  const attackRng = uniformSource(members.map((m) => m.rngs.attack));
  const evaluationRng = uniformSource(members.map((m) => m.rngs.evaluation));
  const classes = spec.classes;
  const width = inputSize(spec);
  const rows = members.map(() => ({ train: [] as CsvRow[], valid: [] as CsvRow[], test: [] as CsvRow[] }));
  const windowLoss = new Float64Array(networks);
  let windowSteps = 0;
  /** Each step's losses (one per network), not yet read: summed in step order in double precision when read. */
  const pendingLosses: Tensor[] = [];
  const readLosses = async () => {
    await turnOfTheEventLoop();
    const values = await readAll(pendingLosses);
    disposeAll(pendingLosses);
    pendingLosses.length = 0;
    for (const v of values) for (let t = 0; t < networks; t++) windowLoss[t] = windowLoss[t]! + v[t]!;
    windowSteps += values.length;
  };
  /** The last step's batch: the training accuracy at an evaluation is measured on it. */
  let last: { x: Tensor; labels: Int32Array[]; n: number } | undefined;
  const forgetLast = () => {
    if (last) disposeAll([last.x]);
    last = undefined;
  };

  const points = evaluationPoints({
    schedule: config.eval_schedule, trainIters: config.train_iters, evalEvery: config.eval_every,
    trainCount: members[0]!.data.train.count, batchSize: config.batch_size,
  });
  const counterAt = new Map(points.map((p) => [p.step, p.counter]));
  // Under the default schedule the counter is the step; the others also record the step (docs/results.md).
  const stamp = (step: number): CsvRow => (config.eval_schedule === 'every' ? { batch: step } : { batch: counterAt.get(step)!, step });

  const evaluateAt = async (iteration: number) => {
    onIteration(iteration, 'eval');
    await readLosses();
    const classifier = tidy(() => classifierOf(net));
    try {
      const [valid, test] = evaluation.reason === undefined
        ? await evaluation.evaluate(classifier, attack, evaluationRng, config.loss)
        : [
          members[0]!.data.valid && await evaluate(classifier, members.map((m) => m.data.valid!), attack, config.eval_batch_size, evaluationRng, config.loss),
          await evaluate(classifier, members.map((m) => m.data.test), attack, config.eval_batch_size, evaluationRng, config.loss),
        ];
      const acc = new Array<number>(networks).fill(NaN);
      const advAcc = new Array<number>(networks).fill(NaN);
      if (last) {
        const { n, labels, x: input } = last;
        const predictions = tidy(() => {
          const natural = op.argmax(logits(classifier, input), -1);
          return config.adv_train ? [natural, op.argmax(logits(classifier, craft(attack, classifier, input, evaluationRng)), -1)] : [natural];
        });
        const [natural, adversarial] = await readAll(predictions);
        disposeAll(predictions);
        for (let t = 0; t < networks; t++) {
          acc[t] = countMatches(natural!.subarray(t * n, (t + 1) * n), labels[t]!) / n;
          if (adversarial) advAcc[t] = countMatches(adversarial.subarray(t * n, (t + 1) * n), labels[t]!) / n;
        }
      }
      members.forEach((member, t) => {
        const r = rows[t]!;
        r.valid.push({ ...stamp(iteration), ...(valid ? valid[t]! : NO_METRICS) });
        r.test.push({ ...stamp(iteration), ...test![t]! });
        r.train.push({ ...stamp(iteration), loss: windowSteps ? windowLoss[t]! / windowSteps : NaN, acc: acc[t]!, adv_acc: advAcc[t]! });
        member.onEvaluation?.(iteration, { train: r.train[r.train.length - 1]!, valid: r.valid[r.valid.length - 1]!, test: r.test[r.test.length - 1]! });
      });
    } finally {
      disposeAll(classifier.params);
    }
    windowLoss.fill(0);
    windowSteps = 0;
  };

  const batches = new TrainingBatches(members.map((m) => m.data.train), width, classes, options.residency);
  const evaluation = new ResidentEvaluation(
    [members[0]!.data.valid && members.map((m) => m.data.valid!), members.map((m) => m.data.test)], networks, width, classes, config.eval_batch_size, options.residency,
  );
  if (activeBackend().custom?.gatherRows && !options.residency?.host) {
    if (batches.reason) options.onNotice?.(`batches are gathered on the host: ${batches.reason}`);
    if (evaluation.reason) options.onNotice?.(`evaluation batches are uploaded from the host: ${evaluation.reason}`);
  }
  try {
    if (counterAt.has(0)) await evaluateAt(0);
    for (let iteration = 1; iteration <= config.train_iters; iteration++) {
      const picks = samplers.map((sampler) => sampler.next());
      forgetLast();
      const loss = tidy(() => {
        const { x, y, labels, n } = batches.batch(picks);
        last = { x: keep(x), labels, n };
        const adversarial = config.adv_train ? (classifier: Classifier) => craft(attack, classifier, x, attackRng) : undefined;
        return keep(trainStep(net, optimiser, x, y, config.l1_reg, adversarial, config.loss));
      });
      pendingLosses.push(loss);
      onIteration(iteration, 'train');
      if (counterAt.has(iteration)) await evaluateAt(iteration);
      else if (pendingLosses.length >= LOSSES_PER_READ) await readLosses();
    }
    const trained = (await readAll(net.weights)) as Float32Array[];
    const postKernels = members.map((_, t) => trained.map((layer) => (networks > 1 ? unstack(layer, networks)[t]! : layer)));
    return members.map((_, t) => {
      const r = rows[t]!;
      return {
        postKernels: postKernels[t]!, ...r,
        earlyStopping: earlyStopping(r.valid, r.test),
        earlyStoppingOriginal: earlyStopping(r.valid, r.test, originalLoss(config.adv_train)),
        final: finalMetrics(r.valid, r.test),
      };
    });
  } finally {
    forgetLast();
    batches.release();
    evaluation.release();
    disposeAll(pendingLosses);
    optimiser.reset();
    disposeNetwork(net);
  }
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
