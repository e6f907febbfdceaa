import type { ModelSpec } from '../nn/model.js';
import { PRUNE_RATES, roundHalfEven } from './magnitude.js';

/**
 * % of all weights remaining after rounds 0..rounds when no magnitudes tie: each round removes
 * round(rate * n) + 1 of a layer's n remaining weights (the original cutoff rule).
 */
export function remainingSchedule(spec: ModelSpec, rounds: number, rates: readonly number[] = PRUNE_RATES): number[] {
  let counts = spec.layers.map((l) => l.fanIn * l.fanOut);
  const total = counts.reduce((a, b) => a + b, 0);
  const out: number[] = [];
  for (let r = 0; r <= rounds; r++) {
    out.push((100 * counts.reduce((a, b) => a + b, 0)) / total);
    counts = counts.map((n, i) => Math.max(0, n - Math.min(n, roundHalfEven(rates[i]! * n) + 1)));
  }
  return out;
}

/** The protocol's published schedule for dense-300-100, rounds 0..20, to one decimal (docs/PROTOCOL.md, Pruning). */
export const PAPER_SCHEDULE: readonly number[] = [
  100.0, 80.0, 64.1, 51.3, 41.0, 32.9, 26.3, 21.1, 16.9, 13.5, 10.8, 8.7, 6.9, 5.6, 4.5, 3.6, 2.9, 2.3, 1.8, 1.5, 1.2,
];
