import { ConfigError } from '../errors.js';
import type { LayerArrays } from '../nn/model.js';

/** Fractions of each layer's REMAINING weights removed per round: hidden_1, hidden_2, output (docs/PROTOCOL.md, Pruning). */
export const PRUNE_RATES: readonly number[] = [0.2, 0.2, 0.1];

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

/** Prune every layer at its own rate. */
export function pruneLayers(weights: LayerArrays, masks: LayerArrays, rates: readonly number[] = PRUNE_RATES): LayerArrays {
  if (rates.length !== weights.length) throw new ConfigError(`${rates.length} pruning rates for ${weights.length} layers`);
  return weights.map((w, i) => pruneLayer(w, masks[i]!, rates[i]!));
}

export const countOnes = (mask: Float32Array): number => mask.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0);

/** % of all weights that remain unmasked. */
export function percentRemaining(masks: LayerArrays): number {
  const total = masks.reduce((n, m) => n + m.length, 0);
  return (100 * masks.reduce((n, m) => n + countOnes(m), 0)) / total;
}
