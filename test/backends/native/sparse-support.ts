/** Helpers of the sparse-path tests: masks with chosen densities and structure, and products' error bounds. */
import fc from 'fast-check';
import { expect } from 'vitest';
import type { Crossover } from '../../../backends/native/crossover.js';
import { Rng } from '../../../core/nn/rng.js';

/** A crossover that sends every mask, whatever its size and density, to the sparse kernels. */
export const ALWAYS_SPARSE: Crossover = { minSize: 0, product: 2, sampled: 2 };

export interface MaskSpec {
  readonly rows: number;
  readonly cols: number;
  readonly density: number;
  /** Rows and columns forced to all zeros or all ones (applied in this order: zero rows, one rows, zero cols, one cols). */
  readonly zeroRows: readonly number[];
  readonly oneRows: readonly number[];
  readonly zeroCols: readonly number[];
  readonly oneCols: readonly number[];
  readonly seed: number;
}

/**
 * Mask shapes with sides in [minDim, maxDim] (default up to 40 x 40), any density from 0 to 1 (the ends well
 * represented), some full or empty rows and columns.
 */
export const maskSpecArb = (minDim = 1, maxDim = 40): fc.Arbitrary<MaskSpec> => fc
  .record({ rows: fc.integer({ min: minDim, max: maxDim }), cols: fc.integer({ min: minDim, max: maxDim }) })
  .chain(({ rows, cols }) => {
    const lines = (n: number) => fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { maxLength: Math.min(n, 3) });
    return fc.record({
      rows: fc.constant(rows), cols: fc.constant(cols),
      density: fc.oneof(fc.constantFrom(0, 1, 0.01, 0.5), fc.double({ min: 0, max: 1, noNaN: true })),
      zeroRows: lines(rows), oneRows: lines(rows), zeroCols: lines(cols), oneCols: lines(cols),
      seed: fc.integer({ min: 0, max: 2 ** 30 }),
    });
  });

export function makeMask(spec: MaskSpec): Float32Array {
  const { rows, cols } = spec;
  const rng = new Rng(spec.seed);
  const mask = Float32Array.from({ length: rows * cols }, () => (rng.next() < spec.density ? 1 : 0));
  for (const [lines, value, byRow] of [[spec.zeroRows, 0, true], [spec.oneRows, 1, true], [spec.zeroCols, 0, false], [spec.oneCols, 1, false]] as const) {
    for (const line of lines) {
      for (let j = 0; j < (byRow ? cols : rows); j++) mask[byRow ? line * cols + j : j * cols + line] = value;
    }
  }
  return mask;
}

/**
 * C = op(A) op(B) against the reference within float32 accumulation error: 2e-6 of sum_p |a_ip b_pj| (the
 * tolerance of the dense matmul conformance test, kernels.test.ts). `a(i, p)` and `b(p, j)` read the operands.
 */
export function expectProductClose(
  got: ArrayLike<number>, want: ArrayLike<number>, m: number, n: number, k: number,
  a: (i: number, p: number) => number, b: (p: number, j: number) => number, what: string,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let magnitude = 0;
      for (let p = 0; p < k; p++) magnitude += Math.abs(a(i, p) * b(p, j));
      const diff = Math.abs(got[i * n + j]! - want[i * n + j]!);
      if (!(diff <= 2e-6 * magnitude + 1e-30)) expect.fail(`${what}[${i},${j}]: native ${got[i * n + j]} vs reference ${want[i * n + j]}`);
    }
  }
}

/** The operands of a masked product check: the mask of `spec`, weights W, x [batch, rows] and g [batch, cols]. */
export function maskedProductCase(spec: MaskSpec, batch: number) {
  const { rows, cols } = spec;
  const rng = new Rng(spec.seed + 1);
  const mask = makeMask(spec);
  const w = rng.uniformArray(rows * cols, -2, 2);
  const x = rng.uniformArray(batch * rows, -2, 2);
  const g = rng.uniformArray(batch * cols, -2, 2);
  return { rows, cols, mask, w, x, g };
}
