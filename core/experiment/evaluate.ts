import { disposeAll, fromHost, readAll, tidy } from '../autodiff/engine.js';
import * as op from '../autodiff/ops.js';
import type { Tensor } from '../autodiff/tensor.js';
import { craft, type AttackSpec } from '../attacks/index.js';
import { RsnError } from '../errors.js';
import { countMatches, networkCrossEntropy, type LossForm } from '../nn/loss.js';
import { inputSize, logits, type Classifier } from '../nn/model.js';
import type { UniformSource } from '../nn/trial-rngs.js';
import type { SplitMetrics } from '../results/records.js';
import { stackSlices } from '../nn/stack.js';

/** Images with their integer labels and the targets the loss is measured against (smoothed or not). */
export interface EvalSet {
  readonly images: Float32Array;
  readonly labels: Int32Array;
  readonly targets: Float32Array;
  readonly count: number;
}

/**
 * Rows [start, start + n) of every network's set, as one input: [n, width] for one network, [T, n, width] for
 * stacked ones (uploaded once and broadcast when all networks share the set).
 */
function batchOf(sets: readonly EvalSet[], pick: (s: EvalSet) => Float32Array, width: number, start: number, n: number): Tensor {
  const slice = (s: EvalSet) => pick(s).subarray(start * width, (start + n) * width);
  if (sets.length === 1) return fromHost(slice(sets[0]!), [n, width]);
  if (sets.every((s) => s === sets[0])) return op.broadcastTo(fromHost(slice(sets[0]!), [n, width]), [sets.length, n, width]);
  return fromHost(stackSlices(sets.map(slice)), [sets.length, n, width]);
}

/**
 * Natural and adversarial loss and accuracy over whole sets, in batches, for one network or for T stacked
 * networks (parameters [T, ...], one set each, all of one size). The adversarial examples are
 * crafted against the same effective weights with the configured attack (docs/PROTOCOL.md, Evaluation). Each
 * stacked network gets the metrics it would get alone. `onBatch` sees each batch's predictions (an audit's
 * per-image record).
 */
export async function evaluate(
  classifier: Classifier, sets: readonly EvalSet[], attack: AttackSpec, batchSize: number, rng: UniformSource, form: LossForm = 'logits',
  onBatch?: (start: number, predicted: ArrayLike<number>, advPredicted: ArrayLike<number>) => void,
): Promise<SplitMetrics[]> {
  const count = sets[0]!.count;
  if (sets.some((s) => s.count !== count)) throw new RsnError(`stacked networks need sets of one size, got ${sets.map((s) => s.count).join(', ')}`);
  const classes = sets[0]!.targets.length / count;
  const totals = sets.map(() => ({ loss: 0, advLoss: 0, hits: 0, advHits: 0 }));
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    // Computed in a scope, read after it (reads may be asynchronous), then freed.
    const results = tidy(() => {
      const x = batchOf(sets, (s) => s.images, inputSize(classifier.spec), start, n);
      const targets = batchOf(sets, (s) => s.targets, classes, start, n);
      const natural = logits(classifier, x);
      const adversarial = logits(classifier, craft(attack, classifier, x, rng));
      return [networkCrossEntropy(natural, targets, form), op.argmax(natural, -1), networkCrossEntropy(adversarial, targets, form), op.argmax(adversarial, -1)];
    });
    const [l, predicted, al, advPredicted] = await readAll(results);
    disposeAll(results);
    onBatch?.(start, predicted!, advPredicted!);
    totals.forEach((total, t) => {
      total.loss += l![t]! * n;
      total.hits += countMatches(predicted!.subarray(t * n, (t + 1) * n), sets[t]!.labels, start);
      total.advLoss += al![t]! * n;
      total.advHits += countMatches(advPredicted!.subarray(t * n, (t + 1) * n), sets[t]!.labels, start);
    });
  }
  return totals.map((t) => ({ loss: t.loss / count, acc: t.hits / count, adv_acc: t.advHits / count, adv_loss: t.advLoss / count }));
}
