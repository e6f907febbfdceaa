/**
 * matmul with leading batch axes (a trial axis): shapes, the batched-vs-sequential identity on the reference
 * backend (bit for bit: each output matrix is the rank-2 product of its slices), and gradients with broadcast
 * batch axes against float64 finite differences.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHost, tidy } from '../../core/autodiff/engine.js';
import * as op from '../../core/autodiff/ops.js';
import { inferOutput } from '../../core/autodiff/shapes.js';
import { ShapeError } from '../../core/errors.js';
import { Rng } from '../../core/nn/rng.js';
import { useReferenceBackend } from '../support/backend.js';
import { expectGradientsMatch } from '../support/gradcheck.js';

useReferenceBackend();

const shapeOf = (a: number[], b: number[], tA = false, tB = false) =>
  inferOutput.matmul([{ shape: a, dtype: 'float32' }, { shape: b, dtype: 'float32' }], { transposeA: tA, transposeB: tB }).shape;

describe('batched matmul shapes', () => {
  it('broadcasts the batch axes as numpy does', () => {
    expect(shapeOf([4, 5, 7], [4, 7, 3])).toEqual([4, 5, 3]);
    expect(shapeOf([5, 7], [4, 7, 3])).toEqual([4, 5, 3]);
    expect(shapeOf([2, 1, 5, 7], [4, 7, 3])).toEqual([2, 4, 5, 3]);
    expect(shapeOf([4, 7, 5], [4, 3, 7], true, true)).toEqual([4, 5, 3]);
  });
  it('rejects rank 1, mismatched inner dimensions and batch axes that do not broadcast', () => {
    expect(() => shapeOf([7], [7, 3])).toThrow(ShapeError);
    expect(() => shapeOf([4, 5, 7], [4, 6, 3])).toThrow(/inner dimensions differ/);
    expect(() => shapeOf([4, 5, 7], [3, 7, 3])).toThrow(/cannot broadcast/);
  });
});

describe('batched equals sequential, bit for bit (reference)', () => {
  const dims = fc.record({
    trials: fc.integer({ min: 1, max: 4 }), m: fc.integer({ min: 1, max: 6 }), k: fc.integer({ min: 1, max: 9 }), n: fc.integer({ min: 1, max: 6 }),
    tA: fc.boolean(), tB: fc.boolean(), sharedA: fc.boolean(), sharedB: fc.boolean(), seed: fc.integer({ min: 0, max: 1 << 30 }),
  });
  it('each output matrix is the rank-2 product of its slices, also with a shared operand', () => {
    fc.assert(fc.property(dims, ({ trials, m, k, n, tA, tB, sharedA, sharedB, seed }) => {
      const rng = new Rng(seed);
      const matA = tA ? [k, m] : [m, k];
      const matB = tB ? [n, k] : [k, n];
      const shapeA = sharedA ? matA : [trials, ...matA];
      const shapeB = sharedB && !sharedA ? matB : [trials, ...matB];
      const a = rng.uniformArray(shapeA.reduce((x, y) => x * y, 1), -2, 2);
      const b = rng.uniformArray(shapeB.reduce((x, y) => x * y, 1), -2, 2);
      tidy(() => {
        const batched = op.matmul(fromHost(a, shapeA), fromHost(b, shapeB), tA, tB).dataSync();
        const size = (s: number[]) => s.slice(-2).reduce((x, y) => x * y, 1);
        for (let t = 0; t < trials; t++) {
          const sliceA = shapeA.length === 2 ? a : a.subarray(t * size(shapeA), (t + 1) * size(shapeA));
          const sliceB = shapeB.length === 2 ? b : b.subarray(t * size(shapeB), (t + 1) * size(shapeB));
          const one = op.matmul(fromHost(sliceA, matA), fromHost(sliceB, matB), tA, tB).dataSync();
          expect(Array.from(batched.subarray(t * m * n, (t + 1) * m * n))).toEqual(Array.from(one));
        }
      });
    }), { seed: 17, numRuns: 60 });
  });
});

describe('batched matmul gradients (float64 finite differences)', () => {
  const rng = new Rng(99);
  const input = (shape: number[]) => ({ values: Array.from(rng.uniformArray(shape.reduce((x, y) => x * y, 1), -1, 1)), shape });
  for (const [label, sa, sb, tA, tB] of [
    ['[3,2,4] x [3,4,2]', [3, 2, 4], [3, 4, 2], false, false],
    ['[2,4] x [3,4,2] (shared input: its gradient sums over trials)', [2, 4], [3, 4, 2], false, false],
    ['[3,2,4] x [4,2] (shared weights)', [3, 2, 4], [4, 2], false, false],
    ['[2,1,2,3] x [3,3,2] (size-1 batch axis)', [2, 1, 2, 3], [3, 3, 2], false, false],
    ['[3,4,2]^T x [3,2,4]^T', [3, 4, 2], [3, 2, 4], true, true],
  ] as [string, number[], number[], boolean, boolean][]) {
    it(label, () => expectGradientsMatch((a, b) => op.matmul(a, b, tA, tB), [input(sa), input(sb)], 5));
  }
});
