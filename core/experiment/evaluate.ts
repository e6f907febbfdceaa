import { disposeAll, fromHost, readAll, tidy } from '../autodiff/engine.js';
import * as op from '../autodiff/ops.js';
import type { Tensor } from '../autodiff/tensor.js';
import { craft, type AttackSpec } from '../attacks/index.js';
import { IMAGE_SIZE } from '../data/index.js';
import { countMatches, crossEntropy, type LossForm } from '../nn/loss.js';
import { forward } from '../nn/model.js';
import type { Rng } from '../nn/rng.js';
import type { SplitMetrics } from '../results/records.js';

/** Images with their integer labels and the targets the loss is measured against (smoothed or not). */
export interface EvalSet {
  readonly images: Float32Array;
  readonly labels: Int32Array;
  readonly targets: Float32Array;
  readonly count: number;
}


/**
 * Natural and adversarial loss and accuracy over a whole set, in batches. The adversarial examples are
 * crafted against the same effective weights with the configured attack (docs/PROTOCOL.md, Evaluation).
 */
export async function evaluate(
  effective: readonly Tensor[], set: EvalSet, attack: AttackSpec, batchSize: number, rng: Rng, form: LossForm = 'logits',
): Promise<SplitMetrics> {
  const classes = set.targets.length / set.count;
  let loss = 0, advLoss = 0, hits = 0, advHits = 0;
  for (let start = 0; start < set.count; start += batchSize) {
    const n = Math.min(batchSize, set.count - start);
    // Computed in a scope, read after it (reads may be asynchronous), then freed.
    const results = tidy(() => {
      const x = fromHost(set.images.subarray(start * IMAGE_SIZE, (start + n) * IMAGE_SIZE), [n, IMAGE_SIZE]);
      const targets = fromHost(set.targets.subarray(start * classes, (start + n) * classes), [n, classes]);
      const logits = forward(effective, x);
      const adversarial = forward(effective, craft(attack, effective, x, rng));
      return [crossEntropy(logits, targets, form), op.argmax(logits, -1), crossEntropy(adversarial, targets, form), op.argmax(adversarial, -1)];
    });
    const [l, predicted, al, advPredicted] = await readAll(results);
    disposeAll(results);
    loss += l![0]! * n;
    hits += countMatches(predicted!, set.labels, start);
    advLoss += al![0]! * n;
    advHits += countMatches(advPredicted!, set.labels, start);
  }
  return { loss: loss / set.count, acc: hits / set.count, adv_acc: advHits / set.count, adv_loss: advLoss / set.count };
}
