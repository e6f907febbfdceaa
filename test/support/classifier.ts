import type { Tensor } from '../../core/autodiff/tensor.js';
import { mlp, type Classifier } from '../../core/nn/model.js';

/**
 * A bias-free ReLU perceptron's effective weights as a classifier (widths read from the weights' shapes, with or
 * without a leading trial axis): what the attacks and the loss take, carrying the MLP kernels as dense-300-100 does.
 */
export function mlpClassifier(weights: readonly Tensor[]): Classifier {
  const widths = [weights[0]!.shape.at(-2)!, ...weights.map((w) => w.shape.at(-1)!)];
  return { spec: mlp(`mlp-${widths.join('-')}`, widths), params: weights };
}
