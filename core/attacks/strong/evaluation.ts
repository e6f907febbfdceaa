import type { HostData } from '../../autodiff/backend.js';
import { keep, tidy, untracked } from '../../autodiff/engine.js';
import { valuesAndGradOfSum } from '../../autodiff/grad.js';
import type { Tensor } from '../../autodiff/tensor.js';
import type { Classifier } from './attack.js';

/** A per-image loss of the logits, [n] from [n, classes]; larger is better for the attacker. */
export type PerImageLoss = (logits: Tensor) => Tensor;

/** One evaluation of the classifier at x: host logits and per-image losses, and the input gradient. */
export interface Evaluation {
  readonly logits: HostData;
  readonly losses: HostData;
  /** grad_x of the sum of the per-image losses: each row is its image's own gradient. In the caller's scope. */
  readonly gradient: Tensor;
}

/**
 * Logits, losses and gradient in one forward and one backward pass through the core's autodiff. The logits are
 * taken from inside the recorded function (kept out of its scope, read, then freed).
 */
export function evaluateWithGradient(classifier: Classifier, loss: PerImageLoss, x: Tensor): Evaluation {
  let logits: Tensor | undefined;
  try {
    const { value, grads } = valuesAndGradOfSum((input: Tensor) => {
      const z = classifier(input);
      logits = z === input ? z : keep(z); // a classifier that hands back its input owns nothing to free
      return loss(z);
    })(x);
    const losses = value.dataSync();
    value.dispose();
    return { logits: logits!.dataSync(), losses, gradient: grads[0]! };
  } finally {
    if (logits !== x) logits?.dispose();
  }
}

/** Host logits and per-image losses at x, without a gradient. */
export function evaluate(classifier: Classifier, loss: PerImageLoss, x: Tensor): Omit<Evaluation, 'gradient'> {
  return tidy(() => untracked(() => {
    const z = classifier(x);
    return { logits: z.dataSync(), losses: loss(z).dataSync() };
  }));
}

/** Host logits at x. */
export const logitsAt = (classifier: Classifier, x: Tensor): HostData =>
  tidy(() => untracked(() => classifier(x).dataSync()));
