import { tidy } from '../autodiff/engine.js';
import type { Tensor } from '../autodiff/tensor.js';
import type { Classifier } from '../nn/model.js';
import { inputGradient, predictedTargets, signStep, type AttackSpec } from './attack.js';

/**
 * FGSM: x_adv = clip(x + eps * sign(grad_x CE(pred(x), f(x))), 0, 1). A model's own kernel may run the whole
 * attack at once (models/kernels.ts, fgsm), defined by this composition.
 */
export function fgsm(c: Classifier, x: Tensor, spec: AttackSpec): Tensor {
  const composition = () => signStep(x, inputGradient(c, x, predictedTargets(c, x)), spec.eps, spec);
  const bounds = { eps: spec.eps, min: spec.clipMin, max: spec.clipMax };
  return tidy(() => (c.spec.kernels ? c.spec.kernels.fgsm(c.params, x, bounds, composition) : composition()));
}
