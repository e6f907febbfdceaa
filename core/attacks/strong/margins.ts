import type { HostData } from '../../autodiff/backend.js';

/** Per image: the logit margin z_y - max_{i != y} z_i, and whether the prediction (argmax, first on ties) is not y. */
export interface Margins {
  readonly margin: Float64Array;
  readonly fooled: Uint8Array;
}

/** Margins of host logits [n, classes] against integer labels. */
export function marginsOf(logits: HostData, labels: ArrayLike<number>, classes: number): Margins {
  const n = labels.length;
  const margin = new Float64Array(n);
  const fooled = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const row = i * classes;
    const y = labels[i]!;
    let other = -Infinity;
    let top = 0;
    for (let c = 0; c < classes; c++) {
      const z = logits[row + c]!;
      if (c !== y && z > other) other = z;
      if (z > logits[row + top]!) top = c;
    }
    margin[i] = logits[row + y]! - other;
    fooled[i] = top !== y ? 1 : 0;
  }
  return { margin, fooled };
}

/**
 * The target of rank `rank` (1 = the most likely wrong class) per image: the classes other than y ordered by
 * logit, largest first (ties to the lower index). APGD-T attacks the top ranks on the clean logits.
 */
export function rankedTargets(logits: HostData, labels: ArrayLike<number>, classes: number, rank: number): Int32Array {
  const out = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const row = i * classes;
    const others = Array.from({ length: classes }, (_, c) => c).filter((c) => c !== labels[i]);
    others.sort((a, b) => logits[row + b]! - logits[row + a]! || a - b);
    out[i] = others[rank - 1]!;
  }
  return out;
}

/** Does candidate (margin m, fooled f) replace the kept worst case (margin M, fooled F)? First fooled point wins. */
export const isWorse = (f: number, m: number, F: number, M: number): boolean => F === 0 && (f === 1 || m < M);
