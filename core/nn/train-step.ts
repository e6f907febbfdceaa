import { disposeAll, keep, tidy } from '../autodiff/engine.js';
import { valueAndGrad } from '../autodiff/grad.js';
import * as op from '../autodiff/ops.js';
import type { Tensor } from '../autodiff/tensor.js';
import type { Adam } from './adam.js';
import { crossEntropy, l1Penalty } from './loss.js';
import { effectiveWeights, forward, type Network } from './model.js';

/**
 * The training loss: CE(y, f(x)), or 0.5 CE(y, f(x)) + 0.5 CE(y, f(x_adv)) when adversarial examples are
 * given (PROTOCOL.md, Training), plus the optional L1 penalty on the masked weights.
 * x_adv enters as a constant: no gradient flows through the attack that made it.
 */
export function trainingLoss(
  weights: readonly Tensor[], masks: readonly Tensor[], x: Tensor, targets: Tensor, l1: number, xAdv?: Tensor,
): Tensor {
  const effective = effectiveWeights(weights, masks);
  let loss = crossEntropy(forward(effective, x), targets);
  if (xAdv) loss = op.mul(op.add(loss, crossEntropy(forward(effective, xAdv), targets)), 0.5);
  if (l1 > 0) loss = op.add(loss, l1Penalty(effective, l1));
  return loss;
}

/**
 * One optimiser step on a batch. Replaces net.weights (the old tensors are disposed) and returns the loss
 * before the step; the caller owns (and disposes) it.
 */
export function trainStep(net: Network, optimiser: Adam, x: Tensor, targets: Tensor, l1 = 0, xAdv?: Tensor): Tensor {
  const lossAndGrads = valueAndGrad((...weights: Tensor[]) => trainingLoss(weights, net.masks, x, targets, l1, xAdv));
  const { value, grads } = lossAndGrads(...net.weights);
  const next = tidy(() => optimiser.apply(net.weights, grads));
  disposeAll([net.weights, grads]);
  net.weights = next;
  return keep(value);
}
