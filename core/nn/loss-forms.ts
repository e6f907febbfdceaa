/**
 * How the cross-entropy of the training and evaluation losses is computed (docs/loss.md):
 * - `logits`: from the logits, -sum(t * log_softmax(z)) (rsn's default; the attacks always use this form).
 * - `clipped_probabilities`: Keras' computation from the softmax output p when it does not see the logits:
 *   p / sum(p), clipped to [1e-7, 1 - 1e-7], then -sum(t * log(p)). It differs only where p saturates: the loss of
 *   one example is at most -log(1e-7) = 16.1, and clipped probabilities pass no gradient.
 */
export const LOSS_FORMS = ['logits', 'clipped_probabilities'] as const;
export type LossForm = (typeof LOSS_FORMS)[number];

/** Keras' epsilon (backend.epsilon()), the clip of the probabilities. */
export const KERAS_EPSILON = 1e-7;
