import { disposeAll, keep, tidy } from '../autodiff/engine.js';
import { valuesAndGradOfSum } from '../autodiff/grad.js';
import * as op from '../autodiff/ops.js';
import type { Tensor } from '../autodiff/tensor.js';
import type { Adam } from './adam.js';
import { l1Penalty, networkCrossEntropy, type LossForm } from './loss.js';
import { effectiveWeights, isStacked, type Classifier, type Network } from './model.js';

/**
 * The training loss of a classifier (its effective weights E = W * M): CE(y, f(x)), or 0.5 CE(y, f(x)) +
 * 0.5 CE(y, f(x_adv)) when adversarial examples are given (docs/PROTOCOL.md, Training), plus the optional L1
 * penalty on the effective kernels (never on biases). One value per network: a scalar, or [T] for stacked networks.
 */
function classifierLoss(c: Classifier, x: Tensor, targets: Tensor, l1: number, xAdv?: Tensor, form: LossForm = 'logits'): Tensor {
  let loss = networkCrossEntropy(c.spec.logits(c.params, x), targets, form);
  if (xAdv) loss = op.mul(op.add(loss, networkCrossEntropy(c.spec.logits(c.params, xAdv), targets, form)), 0.5);
  if (l1 > 0) {
    const kernels = c.params.filter((_, i) => c.spec.parameters[i]!.kind === 'kernel');
    loss = op.add(loss, l1Penalty(kernels, l1, isStacked(c)));
  }
  return loss;
}

/** The shape of the per-network loss: [] for one network, [T] for T stacked ones. */
const lossShape = (c: Classifier): number[] => (isStacked(c) ? [c.params[0]!.shape[0]!] : []);

/**
 * The loss and its gradient with respect to the effective weights, by reverse-mode autodiff of the loss, or
 * through the model's own kernel (its trainingGradients, defined by that autodiff). Stacked networks get each
 * network's loss and the gradient of their sum.
 */
export function lossAndGradients(c: Classifier, x: Tensor, targets: Tensor, l1: number, xAdv: Tensor | undefined, form: LossForm) {
  const composition = () => {
    const { value, grads } = valuesAndGradOfSum((...e: Tensor[]) => classifierLoss({ spec: c.spec, params: e }, x, targets, l1, xAdv, form))(...c.params);
    return [value, ...grads];
  };
  const outputs = [lossShape(c), ...c.params.map((e) => e.shape)];
  const [value, ...grads] = c.spec.kernels
    ? c.spec.kernels.trainingGradients(c.params, xAdv ? [x, xAdv] : [x], targets, { l1, loss: form }, composition, outputs)
    : composition();
  return { value: value!, grads };
}

/**
 * The training loss as a function of the weights and masks (per network: [T] for stacked networks). x_adv
 * enters as a constant: no gradient flows through the attack that made it.
 */
export const trainingLoss = (
  spec: Classifier['spec'], weights: readonly Tensor[], masks: readonly Tensor[], x: Tensor, targets: Tensor, l1: number, xAdv?: Tensor, form: LossForm = 'logits',
): Tensor => classifierLoss({ spec, params: effectiveWeights(weights, masks) }, x, targets, l1, xAdv, form);

/** Crafts the adversarial half of a batch against the step's classifier (core/attacks, craft). */
export type CraftAdversarial = (classifier: Classifier) => Tensor;

/**
 * One optimiser step on a batch. Replaces net.weights (the old tensors are disposed) and returns the loss
 * before the step, one per network (a scalar, or [T] for T stacked networks); the caller owns (and disposes) it. `adversarial` is either the adversarial examples or a
 * function that crafts them from the step's classifier.
 *
 * The effective weights W * M are computed once per step and shared by the attack and the loss (a backend
 * then prepares each weight matrix once per step, e.g. tfjs-wasm's packing of matmul operands). The loss is
 * differentiated with respect to them and the gradient masked after, as Adam takes it (adam.ts, apply with
 * masks): d/dW L(W * M) = dL/dE * M, the very product the VJP of W * M computes, so the weights are the same as
 * when differentiating through the mask.
 */
export function trainStep(
  net: Network, optimiser: Adam, x: Tensor, targets: Tensor, l1 = 0, adversarial?: Tensor | CraftAdversarial, form: LossForm = 'logits',
): Tensor {
  const effective = tidy(() => effectiveWeights(net.weights, net.masks));
  const classifier: Classifier = { spec: net.spec, params: effective };
  const crafted = typeof adversarial === 'function' ? keep(tidy(() => adversarial(classifier))) : undefined;
  const xAdv = crafted ?? (adversarial as Tensor | undefined);
  const { value, grads: effectiveGrads } = lossAndGradients(classifier, x, targets, l1, xAdv, form);
  disposeAll([effective, crafted]);
  const next = tidy(() => optimiser.apply(net.weights, effectiveGrads, net.masks));
  disposeAll([net.weights, effectiveGrads]);
  net.weights = next;
  return keep(value);
}
