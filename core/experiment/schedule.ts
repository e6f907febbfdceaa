/**
 * When a round evaluates (docs/PROTOCOL.md, Evaluation; docs/results.md says what each choice writes).
 *
 * - `every` (default): before training (step 0), after every `eval_every` steps, and after the last step.
 * - `original`: exactly when the original code did. Its Keras callback (experiments/callbacks.py, EvalEvery)
 *   evaluated in on_train_batch_end whenever the within-epoch batch index b satisfied b % eval_every == 0, and
 *   labelled the k-th evaluation (k = 0, 1, ...) with a counter k * eval_every. Epochs have
 *   ceil(train / batch_size) steps (834 for 50,000 / 60), so the evaluations come after steps
 *   e * 834 + b + 1 for b in {0, 500}: 1, 501, 835, 1335, ..., and the row labelled 30,000 is the one after step
 *   25,021 (e = 30, b = 0). Nothing is evaluated before training or at the end.
 * - `paper_row`: only the original's evaluation that the paper's tables read (the one labelled 30,000, after
 *   step 25,021 at the protocol's settings) and the last step, whose weights are pruned. Training is unchanged;
 *   it skips ~99% of the evaluation work, and leaves too few evaluations for early stopping to mean anything.
 */
export const EVAL_SCHEDULES = ['every', 'original', 'paper_row'] as const;
export type EvalSchedule = (typeof EVAL_SCHEDULES)[number];

/** The label of the paper's table rows: the original's counter of the evaluation the tables read. */
export const PAPER_ROW_COUNTER = 30000;

/** The step after which the original made the evaluation it labelled `counter` (epochs of `stepsPerEpoch` steps). */
export function originalStepOf(counter: number, evalEvery: number, stepsPerEpoch: number): number {
  const perEpoch = Math.ceil(stepsPerEpoch / evalEvery);
  const k = counter / evalEvery;
  return Math.floor(k / perEpoch) * stepsPerEpoch + (k % perEpoch) * evalEvery + 1;
}

/** The step of the paper's row at the protocol's settings: 50,000 training images, batches of 60, eval_every 500. */
export const PAPER_ROW_STEP = originalStepOf(PAPER_ROW_COUNTER, 500, Math.ceil(50000 / 60));

/** One evaluation: after `step` training steps (0: before training), labelled `counter` in the CSVs' batch column. */
export interface EvaluationPoint {
  readonly step: number;
  readonly counter: number;
}

export interface ScheduleInput {
  readonly schedule: EvalSchedule;
  readonly trainIters: number;
  readonly evalEvery: number;
  /** Training examples (the size of an epoch) and the batch size: they fix the original's epoch length. */
  readonly trainCount: number;
  readonly batchSize: number;
}

/** Every evaluation of a round, in step order. */
export function evaluationPoints({ schedule, trainIters, evalEvery, trainCount, batchSize }: ScheduleInput): EvaluationPoint[] {
  if (schedule === 'every') {
    const points: EvaluationPoint[] = [{ step: 0, counter: 0 }];
    for (let step = evalEvery; step < trainIters; step += evalEvery) points.push({ step, counter: step });
    if (trainIters > 0) points.push({ step: trainIters, counter: trainIters });
    return points;
  }
  const stepsPerEpoch = Math.ceil(trainCount / batchSize);
  const original: EvaluationPoint[] = [];
  for (let epochStart = 0; epochStart < trainIters; epochStart += stepsPerEpoch) {
    for (let b = 0; b < stepsPerEpoch && epochStart + b + 1 <= trainIters; b += evalEvery) {
      original.push({ step: epochStart + b + 1, counter: original.length * evalEvery });
    }
  }
  if (schedule === 'original') return original;
  const row = original.find((p) => p.counter === PAPER_ROW_COUNTER);
  const last = { step: trainIters, counter: trainIters };
  return row && row.step < trainIters ? [row, last] : [last];
}
