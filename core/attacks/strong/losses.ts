/**
 * Per-image losses that the strong attacks maximise, each [n] from logits [n, classes] (docs/audit.md):
 * cross-entropy, and the DLR loss of Croce & Hein 2020 (Reliable evaluation of adversarial robustness with an
 * ensemble of diverse parameter-free attacks), untargeted and targeted. Both DLR forms are invariant to shifting
 * and rescaling the logits, which is what makes them robust to logits that a network has learnt to blow up.
 */
import { untracked } from '../../autodiff/engine.js';
import * as op from '../../autodiff/ops.js';
import type { Tensor } from '../../autodiff/tensor.js';

/** Keeps a DLR denominator away from 0 when the ranked logits tie (the paper adds the same 1e-12). */
const DLR_FLOOR = 1e-12;
/** Below every finite float32 logit: excluded classes never win an argmax. */
const EXCLUDED = -3.4e38;

/** -log softmax(z)_y per image; oneHotY [n, classes]. */
export const crossEntropyPerImage = (logits: Tensor, oneHotY: Tensor): Tensor =>
  op.neg(op.sum(op.mul(oneHotY, op.logSoftmax(logits)), -1));

/**
 * One-hot masks of the k largest logits per image, in order (ties to the lower class index, as argmax). They are
 * constants: the gradient reaches each ranked logit through the product with its mask, as it reaches a sorted
 * value through the sort.
 */
export function rankMasks(logits: Tensor, k: number): Tensor[] {
  return untracked(() => {
    const classes = logits.shape.at(-1)!;
    const masks: Tensor[] = [];
    let remaining = logits;
    for (let r = 0; r < k; r++) {
      const mask = op.oneHot(op.argmax(remaining, -1), classes);
      masks.push(mask);
      if (r < k - 1) remaining = op.where(mask, EXCLUDED, remaining);
    }
    return masks;
  });
}

/** The logit each row's one-hot mask picks: [n]. */
const pick = (logits: Tensor, mask: Tensor): Tensor => op.sum(op.mul(logits, mask), -1);

/** The largest logit of a class other than y: [n], with its mask a constant. */
function largestOther(logits: Tensor, oneHotY: Tensor): Tensor {
  const mask = untracked(() => op.oneHot(op.argmax(op.where(oneHotY, EXCLUDED, logits), -1), logits.shape.at(-1)!));
  return pick(logits, mask);
}

/**
 * Untargeted DLR: -(z_y - max_{i != y} z_i) / (z_pi1 - z_pi3 + 1e-12), where z_pi1 >= z_pi2 >= ... are the sorted
 * logits. Needs 3 classes or more.
 */
export function dlrPerImage(logits: Tensor, oneHotY: Tensor): Tensor {
  const [first, , third] = rankMasks(logits, 3);
  const margin = op.sub(pick(logits, oneHotY), largestOther(logits, oneHotY));
  const scale = op.add(op.sub(pick(logits, first!), pick(logits, third!)), DLR_FLOOR);
  return op.neg(op.div(margin, scale));
}

/**
 * Targeted DLR towards class t: -(z_y - z_t) / (z_pi1 - (z_pi3 + z_pi4) / 2 + 1e-12). Needs 4 classes or more.
 */
export function targetedDlrPerImage(logits: Tensor, oneHotY: Tensor, oneHotTarget: Tensor): Tensor {
  const [first, , third, fourth] = rankMasks(logits, 4);
  const margin = op.sub(pick(logits, oneHotY), pick(logits, oneHotTarget));
  const lowerMean = op.mul(op.add(pick(logits, third!), pick(logits, fourth!)), 0.5);
  const scale = op.add(op.sub(pick(logits, first!), lowerMean), DLR_FLOOR);
  return op.neg(op.div(margin, scale));
}

/** One-hot rows [n, classes] of integer labels (a constant). */
export const oneHotOf = (labels: Int32Array, classes: number): Tensor => op.oneHot(op.tensor(labels, [labels.length], 'int32'), classes);
