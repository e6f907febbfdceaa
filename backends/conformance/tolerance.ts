import type { HostData } from '../../core/autodiff/backend.js';

/**
 * Tolerances of the conformance checks, as numpy allclose: |actual - expected| <= atol + rtol |expected|.
 * - exact: IEEE-exact operations (add, sub, mul, div, sqrt, neg, clip, comparisons, where, sign, layout) give
 *   the correctly rounded float32 on any conforming backend; 1e-6 relative (~8 ulp) leaves room for a backend
 *   that fuses or reorders without hiding a wrong formula.
 * - transcendental: exp and log come from different libm/polynomial implementations (a few ulp apart).
 * - reduction: sums and matmuls accumulate in a backend-chosen order; float32 reordering error over k terms
 *   is about k * 6e-8 relative to sum |terms|, i.e. below 1e-5 for the k <= 50 used here.
 */
export const TOL = {
  exact: { rtol: 1e-6, atol: 1e-7 },
  transcendental: { rtol: 1e-5, atol: 1e-6 },
  reduction: { rtol: 1e-5, atol: 1e-5 },
} as const satisfies Record<string, Tolerance>;
export interface Tolerance {
  readonly rtol: number;
  readonly atol: number;
}

/** Worst allclose ratio (<= 1 passes) and where it happens, for readable failure messages. */
export function compare(actual: HostData, expected: HostData, tol: Tolerance): { ratio: number; detail: string } {
  if (actual.length !== expected.length) return { ratio: Infinity, detail: `length ${actual.length} vs ${expected.length}` };
  let ratio = 0;
  let at = -1;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const b = expected[i]!;
    const r = Number.isNaN(a) || Number.isNaN(b)
      ? (Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity)
      : Math.abs(a - b) / (tol.atol + tol.rtol * Math.abs(b));
    if (r > ratio) {
      ratio = r;
      at = i;
    }
  }
  return { ratio, detail: at < 0 ? 'equal' : `element ${at}: ${actual[at]} vs reference ${expected[at]}` };
}
