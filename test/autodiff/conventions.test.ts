/**
 * Subgradient conventions at exactly 0 (core/autodiff/vjp.ts documents them) and the values of the
 * non-differentiable primitives (sign, comparisons, argmax, oneHot) against hand-computed results.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../../backends/reference/index.js';
import { setActiveBackend } from '../../core/autodiff/engine.js';
import { grad } from '../../core/autodiff/grad.js';
import * as op from '../../core/autodiff/ops.js';
import type { Tensor } from '../../core/autodiff/tensor.js';

beforeAll(() => setActiveBackend(createReferenceBackend('float32')));

const gradOf = (f: (x: Tensor) => Tensor, values: number[]): number[] =>
  grad((x) => op.sum(f(x)))(op.tensor(values)).toArray();

describe('subgradient conventions at exactly 0', () => {
  const at = [0, -0, -1.5, 2];

  it("relu'(0) = 0 (and -0), 0 for negatives, 1 for positives", () => {
    expect(gradOf(op.relu, at)).toEqual([0, 0, 0, 1]);
  });

  it('d/dx maximum(x, 0) at x = 0 is 0; d/dx maximum(0, x) at 0 is 1 (a tie goes to the second argument)', () => {
    expect(gradOf((x) => op.maximum(x, 0), at)).toEqual([0, 0, 0, 1]);
    expect(gradOf((x) => op.maximum(0, x), at)).toEqual([1, 1, 0, 1]);
  });

  it('d/dx minimum(x, 0) at 0 is 0 (a tie goes to the second argument); 1 for negatives', () => {
    expect(gradOf((x) => op.minimum(x, 0), at)).toEqual([0, 0, 1, 0]);
  });

  it('a tie in maximum(x, x) sends the whole gradient once: d/dx = 1', () => {
    expect(gradOf((x) => op.maximum(x, x), [0, 3])).toEqual([1, 1]);
  });

  it('sign(0) = 0 and sign(-0) = 0 (values), -1 / 1 elsewhere', () => {
    const s = op.sign(op.tensor([0, -0, -3, 1e-30, -1e-30, Infinity])).toArray();
    expect(s).toEqual([0, 0, -1, 1, -1, 1]);
    expect(s.map((v) => Object.is(v, -0))).toEqual([false, false, false, false, false, false]);
  });

  it('the gradient of sign is 0 everywhere, 0 included', () => {
    expect(gradOf(op.sign, at)).toEqual([0, 0, 0, 0]);
  });

  it("abs'(0) = 0; abs' = sign elsewhere", () => {
    expect(gradOf(op.abs, at)).toEqual([0, 0, -1, 1]);
    // abs(-0) may be -0 (x * sign(x)); numerically it is 0, which is what `+ 0` compares.
    expect(op.abs(op.tensor([0, -0, -1.5, 2])).toArray().map((v) => v + 0)).toEqual([0, 0, 1.5, 2]);
  });

  it('clip passes the gradient at its bounds (bounds included), blocks it strictly outside', () => {
    expect(gradOf((x) => op.clip(x, -1, 1), [-1, 1, -1.01, 1.01, 0])).toEqual([1, 1, 0, 0, 1]);
  });

  it('max over an axis gives the full gradient to every element equal to the maximum', () => {
    const g = grad((x) => op.sum(op.max(x, 1)))(op.tensor([1, 3, 3, 0, 2, -1], [2, 3])).toArray();
    expect(g).toEqual([0, 1, 1, 0, 1, 0]);
  });

  it('comparisons, argmax and oneHot have zero gradient', () => {
    expect(gradOf((x) => op.greater(x, 0), at)).toEqual([0, 0, 0, 0]);
    expect(gradOf((x) => op.greaterEqual(x, 0), at)).toEqual([0, 0, 0, 0]);
    expect(gradOf((x) => op.equal(x, 0), at)).toEqual([0, 0, 0, 0]);
    expect(gradOf((x) => op.oneHot(op.argmax(x, 0), 3), at)).toEqual([0, 0, 0, 0]);
  });
});

describe('values of comparisons, argmax and oneHot', () => {
  it('greater, greaterEqual, equal, less, lessEqual give 0/1 float masks', () => {
    const a = op.tensor([1, 2, 3, -0, NaN]);
    const b = op.tensor([2, 2, 2, 0, NaN]);
    expect(op.greater(a, b).toArray()).toEqual([0, 0, 1, 0, 0]);
    expect(op.greaterEqual(a, b).toArray()).toEqual([0, 1, 1, 1, 0]);
    expect(op.equal(a, b).toArray()).toEqual([0, 1, 0, 1, 0]);
    expect(op.less(a, b).toArray()).toEqual([1, 0, 0, 0, 0]);
    expect(op.lessEqual(a, b).toArray()).toEqual([1, 1, 0, 1, 0]);
    expect(op.greater(a, b).dtype).toBe('float32');
  });

  it('comparisons broadcast: [3,1] > [4]', () => {
    const a = op.tensor([0, 1, 2], [3, 1]);
    const b = op.tensor([-1, 0.5, 1, 3]);
    const g = op.greater(a, b);
    expect(g.shape).toEqual([3, 4]);
    expect(g.toArray()).toEqual([1, 0, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0]);
  });

  it('argmax along each axis, with negative axes', () => {
    const x = op.tensor([5, 1, 7, 2, 9, 0], [2, 3]);
    expect(op.argmax(x, 1).toArray()).toEqual([2, 1]);
    expect(op.argmax(x, -1).toArray()).toEqual([2, 1]);
    expect(op.argmax(x, 0).toArray()).toEqual([0, 1, 0]);
    expect(op.argmax(x).dtype).toBe('int32');
    const y = op.tensor([0, 1, 2, 3, 4, 5, 6, -1], [2, 2, 2]);
    expect(op.argmax(y, 1).toArray()).toEqual([1, 1, 1, 0]);
  });

  it('argmax picks the FIRST index of a tied maximum (as primitives.ts documents)', () => {
    expect(op.argmax(op.tensor([3, 7, 7, 1, 7])).toArray()).toEqual([1]);
    expect(op.argmax(op.tensor([2, 2, 2, 2, 2, 2], [2, 3]), 1).toArray()).toEqual([0, 0]);
    expect(op.argmax(op.tensor([1, 4, 4, 4], [2, 2]), 0).toArray()).toEqual([1, 0]);
    expect(op.argmax(op.tensor([-0, 0])).toArray()).toEqual([0]);
  });

  it('oneHot puts a 1 at each label; labels outside [0, depth) give a row of zeros', () => {
    const h = op.oneHot(op.tensor([2, 0, 1, 3, -1], [5], 'int32'), 3);
    expect(h.shape).toEqual([5, 3]);
    expect(h.dtype).toBe('float32');
    expect(h.toArray()).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    expect(op.oneHot(op.tensor([1, 0, 0, 2], [2, 2], 'int32'), 3).shape).toEqual([2, 2, 3]);
  });

  it('oneHot(argmax(x)) marks the row maxima', () => {
    const x = op.tensor([0.1, 0.7, 0.2, 0.9, 0.05, 0.05], [2, 3]);
    expect(op.oneHot(op.argmax(x, -1), 3).toArray()).toEqual([0, 1, 0, 1, 0, 0]);
  });
});
