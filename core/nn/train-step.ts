import { disposeAll, keep, tidy } from '../autodiff/engine.js';
import { valuesAndGradOfSum } from '../autodiff/grad.js';
import * as op from '../autodiff/ops.js';
import type { Tensor } from '../autodiff/tensor.js';
import type { Adam } from './adam.js';
import { customOp } from './custom-ops.js';
import { l1Penalty, networkCrossEntropy, type LossForm } from './loss.js';
import { effectiveWeights, forward, type Network } from './model.js';

/**
 * The training loss of the effective weights E = W * M: CE(y, f(x)), or 0.5 CE(y, f(x)) + 0.5 CE(y, f(x_adv))
 * when adversarial examples are given (docs/PROTOCOL.md, Training), plus the optional L1 penalty on E. One value
 * per network: a scalar, or [T] for stacked networks.
 */
function effectiveLoss(effective: readonly Tensor[], x: Tensor, targets: Tensor, l1: number, xAdv?: Tensor, form: LossForm = 'logits'): Tensor {
  let loss = networkCrossEntropy(forward(effective, x), targets, form);
  if (xAdv) loss = op.mul(op.add(loss, networkCrossEntropy(forward(effective, xAdv), targets, form)), 0.5);
  if (l1 > 0) loss = op.add(loss, l1Penalty(effective, l1));
  return loss;
}

/** The shape of the per-network loss: [] for one network, [T] for T stacked ones. */
const lossShape = (x: Tensor): number[] => (x.rank > 2 ? [x.shape[0]!] : []);

/**
 * The loss and its gradient with respect to the effective weights: one custom op (nn/custom-ops.ts,
 * mlpTrainingGradients) defined by this autodiff. Stacked networks get each network's loss and the gradient
 * of their sum.
 */
function lossAndGradients(effective: readonly Tensor[], x: Tensor, targets: Tensor, l1: number, xAdv: Tensor | undefined, form: LossForm) {
  const [value, ...grads] = customOp('mlpTrainingGradients', { batches: xAdv ? [x, xAdv] : [x], targets, weights: effective }, { l1, loss: form }, () => {
    const { value, grads } = valuesAndGradOfSum((...e: Tensor[]) => effectiveLoss(e, x, targets, l1, xAdv, form))(...effective);
    return [value, ...grads];
  }, [lossShape(x), ...effective.map((e) => e.shape)]);
  return { value: value!, grads };
}

/**
 * The training loss as a function of the weights and masks (per network: [T] for stacked networks). x_adv
 * enters as a constant: no gradient flows through the attack that made it.
 */
export const trainingLoss = (
  weights: readonly Tensor[], masks: readonly Tensor[], x: Tensor, targets: Tensor, l1: number, xAdv?: Tensor, form: LossForm = 'logits',
): Tensor => effectiveLoss(effectiveWeights(weights, masks), x, targets, l1, xAdv, form);

/** Crafts the adversarial half of a batch from the effective weights of the step (core/attacks, craft). */
export type CraftAdversarial = (effective: readonly Tensor[]) => Tensor;

/**
 * One optimiser step on a batch. Replaces net.weights (the old tensors are disposed) and returns the loss
 * before the step, one per network (a scalar, or [T] for T stacked networks); the caller owns (and disposes) it. `adversarial` is either the adversarial examples or a
 * function that crafts them from the step's effective weights.
 *
 * The effective weights W * M are computed once per step and shared by the attack and the loss (a backend
 * then prepares each weight matrix once per step, e.g. tfjs-wasm's packing of matmul operands). The loss is
 * differentiated with respect to them and the gradient masked after: d/dW L(W * M) = dL/dE * M, the very
 * product the VJP of W * M computes, so the weights are the same as when differentiating through the mask.
 */
export function trainStep(
  net: Network, optimiser: Adam, x: Tensor, targets: Tensor, l1 = 0, adversarial?: Tensor | CraftAdversarial, form: LossForm = 'logits',
): Tensor {
  const effective = tidy(() => effectiveWeights(net.weights, net.masks));
  const crafted = typeof adversarial === 'function' ? keep(tidy(() => adversarial(effective))) : undefined;
  const xAdv = crafted ?? (adversarial as Tensor | undefined);
  const { value, grads: effectiveGrads } = lossAndGradients(effective, x, targets, l1, xAdv, form);
  const grads = tidy(() => effectiveGrads.map((g, i) => op.mul(g, net.masks[i]!)));
  disposeAll([effective, effectiveGrads, crafted]);
  const next = tidy(() => optimiser.apply(net.weights, grads));
  disposeAll([net.weights, grads]);
  net.weights = next;
  return keep(value);
}
