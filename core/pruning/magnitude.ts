import { ConfigError } from '../errors.js';
import type { ModelSpec, ParameterArrays } from '../nn/model.js';

/** numpy's round(): halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The original rule for one layer: among the weights still unmasked, sort |w| ascending, take
 * cutoff = sorted[round(rate * n)] and mask every unmasked weight with |w| <= cutoff. Without ties this
 * removes round(rate * n) + 1 weights. Returns a new mask; masks only ever lose ones.
 */
export function pruneLayer(weights: Float32Array, mask: Float32Array, rate: number): Float32Array {
  if (!(rate >= 0 && rate < 1)) throw new ConfigError(`pruning rate must be in [0, 1), got ${rate}`);
  if (weights.length !== mask.length) throw new ConfigError(`weights (${weights.length}) and mask (${mask.length}) differ in size`);
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) n++;
  const next = Float32Array.from(mask);
  if (n === 0) return next;
  const magnitudes = new Float32Array(n);
  for (let i = 0, j = 0; i < mask.length; i++) if (mask[i] !== 0) magnitudes[j++] = Math.abs(weights[i]!);
  magnitudes.sort();
  const index = roundHalfEven(rate * n);
  if (index >= n) return next.fill(0);
  const cutoff = magnitudes[index]!;
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0 && Math.abs(weights[i]!) <= cutoff) next[i] = 0;
  return next;
}

/**
 * Prune every parameter at its own rate (rates.ts, pruneRates); a rate of 0 leaves a parameter whole (biases,
 * and any parameter not to be pruned: the original rule would still remove its smallest weight).
 */
export function pruneParameters(weights: ParameterArrays, masks: ParameterArrays, rates: readonly number[]): ParameterArrays {
  if (rates.length !== weights.length) throw new ConfigError(`${rates.length} pruning rates for ${weights.length} parameters`);
  return weights.map((w, i) => (rates[i] === 0 ? Float32Array.from(masks[i]!) : pruneLayer(w, masks[i]!, rates[i]!)));
}

export const countOnes = (mask: Float32Array): number => mask.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0);

/** % of the model's weights (its kernels; biases are not counted) that remain unmasked. */
export function percentRemaining(spec: ModelSpec, masks: ParameterArrays): number {
  const kernels = masks.filter((_, i) => spec.parameters[i]!.kind === 'kernel');
  const total = kernels.reduce((n, m) => n + m.length, 0);
  return (100 * kernels.reduce((n, m) => n + countOnes(m), 0)) / total;
}
