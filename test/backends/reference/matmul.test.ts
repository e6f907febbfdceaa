/**
 * The reference matmul kernel (a packed 4x4-tiled loop) against a plain triple loop in float64, for every
 * transpose combination and sizes that are not multiples of the tile.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../../core/autodiff/backend.js';
import { createReferenceBackend } from '../../../backends/reference/index.js';
import { setActiveBackend } from '../../../core/autodiff/engine.js';
import * as op from '../../../core/autodiff/ops.js';
import { ShapeError } from '../../../core/errors.js';
import { mulberry32 } from '../../support/gradcheck.js';
import { expectAllClose } from '../../support/allclose.js';

const f32 = createReferenceBackend('float32');
const f64 = createReferenceBackend('float64');
const TRANSPOSES = [[false, false], [true, false], [false, true], [true, true]] as const;

/** op(A) op(B) in float64, A stored [m,k] (or [k,m] when transposed), B [k,n] (or [n,k]). */
function naive(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number, tA: boolean, tB: boolean): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (tA ? a[p * m + i]! : a[i * k + p]!) * (tB ? b[j * k + p]! : b[p * n + j]!);
      c[i * n + j] = s;
    }
  }
  return c;
}

const randomArray = (n: number, seed: number): Float32Array => {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => 2 * r() - 1);
};

function check(backend: Backend, m: number, k: number, n: number, tA: boolean, tB: boolean, seed: number, rtol: number, atol: number) {
  setActiveBackend(backend);
  const a = randomArray(m * k, seed);
  const b = randomArray(k * n, seed + 1);
  const c = op.matmul(op.tensor(a, tA ? [k, m] : [m, k]), op.tensor(b, tB ? [n, k] : [k, n]), tA, tB);
  expect(c.shape).toEqual([m, n]);
  expectAllClose(c.dataSync(), naive(a, b, m, k, n, tA, tB), rtol, atol);
  c.dispose();
}

describe('reference matmul against a float64 triple loop', () => {
  for (const [tA, tB] of TRANSPOSES) {
    describe(`transposeA=${tA} transposeB=${tB}`, () => {
      it('1x1x1, 5x7x3 and 4x4x4 (a single full tile)', () => {
        for (const [m, k, n] of [[1, 1, 1], [5, 7, 3], [4, 4, 4], [1, 9, 6], [6, 9, 1]] as const) {
          check(f32, m, k, n, tA, tB, m * 100 + k * 10 + n, 1e-6, 1e-6);
          check(f64, m, k, n, tA, tB, m * 100 + k * 10 + n, 1e-12, 1e-12);
        }
      });

      it('random sizes 1..13', () => {
        const dim = fc.integer({ min: 1, max: 13 });
        fc.assert(
          fc.property(dim, dim, dim, fc.nat(), (m, k, n, seed) => check(f32, m, k, n, tA, tB, seed, 1e-6, 1e-6)),
          { seed: 1, numRuns: 40 },
        );
      });

      it('61x785x301 (the first layer at an odd batch size)', () => {
        check(f32, 61, 785, 301, tA, tB, 7, 1e-5, 1e-5);
      });
    });
  }

  it('the float32 backend rounds its result to float32; the float64 backend does not', () => {
    const [a, b] = [[1 / 3, 1 / 7], [1 / 11, 1 / 13]];
    const exact = a[0]! * b[0]! + a[1]! * b[1]!;
    setActiveBackend(f64);
    const c64 = op.matmul(op.tensor(Float64Array.from(a), [1, 2]), op.tensor(Float64Array.from(b), [2, 1])).item();
    expect(c64).toBeCloseTo(exact, 15);
    setActiveBackend(f32);
    const c32 = op.matmul(op.tensor(a, [1, 2]), op.tensor(b, [2, 1])).item();
    expect(c32).toBe(Math.fround(c32));
    expect(Math.abs(c32 - exact)).toBeLessThan(1e-7);
  });

  it('mismatched inner dimensions and non-matrices throw ShapeError', () => {
    setActiveBackend(f32);
    expect(() => op.matmul(op.zeros([2, 3]), op.zeros([2, 3]))).toThrow(ShapeError);
    expect(() => op.matmul(op.zeros([2, 3]), op.zeros([2, 3]), true, false)).not.toThrow();
    expect(() => op.matmul(op.zeros([3]), op.zeros([3, 1]))).toThrow(ShapeError);
  });
});
