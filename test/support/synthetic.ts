import type { EvalSet } from '../../core/experiment/evaluate.js';
import { smoothedTargets } from '../../core/nn/loss.js';
import { Rng } from '../../core/nn/rng.js';

/**
 * A small 10-class problem shaped like the digits: class prototypes (fixed seed) plus uniform noise of
 * +-noise, pixels clipped to [0, 1], labels cycling 0..9.
 */
export function syntheticSet(count: number, seed: number, smoothing: number, noise = 0.3): EvalSet {
  const rng = new Rng(seed);
  const prototypes = new Rng(99).uniformArray(10 * 784, 0, 1);
  const images = new Float32Array(count * 784);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 10;
    for (let j = 0; j < 784; j++) images[i * 784 + j] = Math.min(1, Math.max(0, prototypes[labels[i]! * 784 + j]! + rng.uniform(-noise, noise)));
  }
  return { images, labels, count, targets: smoothedTargets(labels, 10, smoothing) };
}
