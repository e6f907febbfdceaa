/**
 * Broadcasting in the forward pass and the reduction of cotangents back to each input's shape
 * (core/autodiff/grad.ts, unbroadcast), against hand-derived gradients.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../../backends/reference/index.js';
import { setActiveBackend } from '../../core/autodiff/engine.js';
import { valueAndGrad } from '../../core/autodiff/grad.js';
import * as op from '../../core/autodiff/ops.js';
import type { Tensor } from '../../core/autodiff/tensor.js';
import { ShapeError } from '../../core/errors.js';
import { broadcastShape, broadcastableTo, shapeArb, size } from '../support/arbitraries.js';

beforeAll(() => setActiveBackend(createReferenceBackend('float32')));

const gradsOf = (f: (a: Tensor, b: Tensor) => Tensor, a: Tensor, b: Tensor) => {
  const { grads } = valueAndGrad((x: Tensor, y: Tensor) => op.sum(f(x, y)))(a, b);
  return grads.map((g) => ({ shape: g.shape, values: g.toArray() }));
};

describe('d/db sum(a + b) counts how often each element of b was broadcast', () => {
  const a = () => op.tensor([1, 2, 3, 4, 5, 6], [2, 3]);

  it('b [3] against a [2,3]: [2, 2, 2]; da is all ones', () => {
    const [da, db] = gradsOf(op.add, a(), op.tensor([1, 1, 1]));
    expect(db).toEqual({ shape: [3], values: [2, 2, 2] });
    expect(da).toEqual({ shape: [2, 3], values: [1, 1, 1, 1, 1, 1] });
  });

  it('b [2,1]: [3, 3]', () => {
    expect(gradsOf(op.add, a(), op.tensor([0, 0], [2, 1]))[1]).toEqual({ shape: [2, 1], values: [3, 3] });
  });

  it('scalar b: 6', () => {
    expect(gradsOf(op.add, a(), op.scalar(0.5))[1]).toEqual({ shape: [], values: [6] });
  });

  it('b [1,3] and b [1,1]: 2s and 6', () => {
    expect(gradsOf(op.add, a(), op.tensor([0, 0, 0], [1, 3]))[1]).toEqual({ shape: [1, 3], values: [2, 2, 2] });
    expect(gradsOf(op.add, a(), op.tensor([0], [1, 1]))[1]).toEqual({ shape: [1, 1], values: [6] });
  });

  it('both inputs broadcast: a [3,1] + b [4] gives da = 4s and db = 3s', () => {
    const [da, db] = gradsOf(op.add, op.tensor([1, 2, 3], [3, 1]), op.tensor([1, 2, 3, 4]));
    expect(da).toEqual({ shape: [3, 1], values: [4, 4, 4] });
    expect(db).toEqual({ shape: [4], values: [3, 3, 3, 3] });
  });

  it('sub and mul with a broadcast b: d/db sum(a - b) = -rows, d/db sum(a * b) = column sums of a', () => {
    expect(gradsOf(op.sub, a(), op.tensor([7, 8, 9]))[1]!.values).toEqual([-2, -2, -2]);
    expect(gradsOf(op.mul, a(), op.tensor([7, 8, 9]))[1]!.values).toEqual([5, 7, 9]);
    expect(gradsOf(op.mul, a(), op.tensor([7, 8], [2, 1]))[1]!.values).toEqual([6, 15]);
    expect(gradsOf(op.mul, a(), op.scalar(2))[1]!.values).toEqual([21]);
  });

  it('where with a broadcast condition and scalar branches', () => {
    const cond = op.tensor([1, 0, 1], [1, 3]);
    const [ga, gb] = gradsOf((x, y) => op.where(cond, x, y), op.scalar(1), op.tensor([0, 0], [2, 1]));
    expect(ga).toEqual({ shape: [], values: [4] });
    expect(gb).toEqual({ shape: [2, 1], values: [1, 1] });
  });
});

describe('broadcast gradients of random shapes', () => {
  it('d/da sum(a + b) and d/db: each element counts the output positions it reaches', () => {
    const arb = shapeArb(0, 4).chain((out) => fc.tuple(broadcastableTo(out), broadcastableTo(out)));
    fc.assert(
      fc.property(arb, ([sa, sb]) => {
        const out = broadcastShape(sa, sb);
        const [da, db] = gradsOf(op.add, op.ones(sa), op.ones(sb));
        expect(da!.shape).toEqual(sa);
        expect(db!.shape).toEqual(sb);
        expect(da!.values).toEqual(new Array(size(sa)).fill(size(out) / size(sa)));
        expect(db!.values).toEqual(new Array(size(sb)).fill(size(out) / size(sb)));
      }),
      { seed: 1, numRuns: 100 },
    );
  });

  it('incompatible shapes throw ShapeError', () => {
    expect(() => op.add(op.zeros([2, 3]), op.zeros([2]))).toThrow(ShapeError);
    expect(() => op.broadcastTo(op.zeros([3]), [3, 2])).toThrow(ShapeError);
    expect(() => op.broadcastTo(op.zeros([2, 3]), [3])).toThrow(ShapeError);
  });
});
