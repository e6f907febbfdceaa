import * as op from '../../../core/autodiff/ops.js';
import type { Tensor } from '../../../core/autodiff/tensor.js';
import type { Classifier } from '../../../core/attacks/strong/index.js';
import { Rng } from '../../../core/nn/rng.js';

/** A small random ReLU network d -> h -> k on the active backend (tensors in the caller's scope). */
export function smallMlp(seed: number, d: number, h = 16, k = 10): { weights: Tensor[]; classifier: Classifier } {
  const rng = new Rng(seed);
  const weights = [op.tensor(rng.uniformArray(d * h, -0.5, 0.5), [d, h]), op.tensor(rng.uniformArray(h * k, -1, 1), [h, k])];
  return { weights, classifier: (x) => op.matmul(op.relu(op.matmul(x, weights[0]!)), weights[1]!) };
}

/** A classifier that counts its calls and the rows it was asked about. */
export function counting(classifier: Classifier): { classifier: Classifier; calls: number; rows: number } {
  const counter = {
    calls: 0,
    rows: 0,
    classifier: (x: Tensor) => {
      counter.calls++;
      counter.rows += x.shape[0]!;
      return classifier(x);
    },
  };
  return counter;
}
