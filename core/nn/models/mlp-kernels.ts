/**
 * The accelerations of a multilayer perceptron without biases (dense-300-100): the library's MLP custom ops
 * (nn/custom-ops.ts: mlpForward, mlpInputGradient, mlpTrainingGradients, fgsmAttack, pgdAttack), which a backend
 * runs as one kernel each on weights [d_(i-1), d_i]. They belong to such a model: only its file attaches them,
 * and every other model runs its compositions (test/nn/models.test.ts checks that no other model reaches them).
 */
import { customOp } from '../custom-ops.js';
import type { ModelKernels } from './kernels.js';

export const MLP_KERNELS: ModelKernels = {
  logits: (weights, x, composition) =>
    customOp('mlpForward', { x, weights }, {}, () => [composition()], [[...x.shape.slice(0, -1), weights[weights.length - 1]!.shape.at(-1)!]])[0]!,
  inputGradient: (weights, x, targets, composition) =>
    customOp('mlpInputGradient', { x, targets, weights }, {}, () => [composition()], [x.shape])[0]!,
  trainingGradients: (weights, batches, targets, attrs, composition, outputs) =>
    customOp('mlpTrainingGradients', { batches, targets, weights }, attrs, composition, outputs),
  fgsm: (weights, x, bounds, composition) =>
    customOp('fgsmAttack', { x, weights }, bounds, () => [composition()], [x.shape])[0]!,
  pgd: (weights, x, noise, attrs, composition) =>
    customOp('pgdAttack', { x, noise, weights }, attrs, () => [composition()], [x.shape])[0]!,
};
