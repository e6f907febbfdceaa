import { parameterSize, type ModelSpec } from '../nn/models/index.js';
import { roundHalfEven } from './magnitude.js';
import { pruneRates } from './rates.js';

/**
 * % of the model's weights (kernels) remaining after rounds 0..rounds when no magnitudes tie: each round removes
 * round(rate * n) + 1 of a kernel's n remaining weights (the original cutoff rule); a rate of 0 removes none.
 */
export function remainingSchedule(spec: ModelSpec, rounds: number, rates: readonly number[] = pruneRates(spec)): number[] {
  const kernels = spec.parameters.flatMap((p, i) => (p.kind === 'kernel' ? [{ size: parameterSize(p), rate: rates[i]! }] : []));
  let counts = kernels.map((k) => k.size);
  const total = counts.reduce((a, b) => a + b, 0);
  const out: number[] = [];
  for (let r = 0; r <= rounds; r++) {
    out.push((100 * counts.reduce((a, b) => a + b, 0)) / total);
    counts = counts.map((n, i) => (kernels[i]!.rate === 0 ? n : Math.max(0, n - Math.min(n, roundHalfEven(kernels[i]!.rate * n) + 1))));
  }
  return out;
}

/** The protocol's published schedule for dense-300-100, rounds 0..20, to one decimal (docs/PROTOCOL.md, Pruning). */
export const PAPER_SCHEDULE: readonly number[] = [
  100.0, 80.0, 64.1, 51.3, 41.0, 32.9, 26.3, 21.1, 16.9, 13.5, 10.8, 8.7, 6.9, 5.6, 4.5, 3.6, 2.9, 2.3, 1.8, 1.5, 1.2,
];
