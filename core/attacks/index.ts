import type { Tensor } from '../autodiff/tensor.js';
import type { Classifier } from '../nn/model.js';
import type { UniformSource } from '../nn/trial-rngs.js';
import type { AttackSpec } from './attack.js';
import { fgsm } from './fgsm.js';
import { pgd } from './pgd.js';

export * from './attack.js';
export { fgsm } from './fgsm.js';
export { pgd } from './pgd.js';

/** Craft adversarial examples for x against a classifier (its effective, masked weights). The result is a constant. */
export function craft(spec: AttackSpec, c: Classifier, x: Tensor, rng: UniformSource): Tensor {
  return spec.name === 'fgsm' ? fgsm(c, x, spec) : pgd(c, x, spec, rng);
}
