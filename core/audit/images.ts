/** The images an audit attacks: the run's test set, or a subset of it drawn from the audit's seed. */
import type { EvalSet } from '../experiment/evaluate.js';
import { Rng } from '../nn/rng.js';

/** Rows of a set (images, labels, targets) at `rows`, in that order. */
export function rowsOf(set: EvalSet, rows: Int32Array): EvalSet {
  const pixels = set.images.length / set.count;
  const classes = set.targets.length / set.count;
  const images = new Float32Array(rows.length * pixels);
  const targets = new Float32Array(rows.length * classes);
  const labels = new Int32Array(rows.length);
  rows.forEach((row, k) => {
    images.set(set.images.subarray(row * pixels, (row + 1) * pixels), k * pixels);
    targets.set(set.targets.subarray(row * classes, (row + 1) * classes), k * classes);
    labels[k] = set.labels[row]!;
  });
  return { images, labels, targets, count: rows.length };
}

/**
 * `count` distinct rows of `total`, drawn from the seed (a partial Fisher-Yates shuffle), in ascending order; all
 * rows when count >= total.
 */
export function sampleRows(total: number, count: number, seed: number): Int32Array {
  if (count >= total) return Int32Array.from({ length: total }, (_, i) => i);
  const rng = new Rng(seed).derive(1);
  const order = Int32Array.from({ length: total }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + rng.int(total - i);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order.slice(0, count).sort();
}
