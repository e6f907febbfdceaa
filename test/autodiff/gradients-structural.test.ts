/**
 * Gradients of matmul, the reductions, the layout primitives and the composites (mean, logSoftmax,
 * softmaxCrossEntropy) against float64 central differences (test/support/gradcheck.ts).
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import * as op from '../../core/autodiff/ops.js';
import {
  axesOf, broadcastableTo, floatIn, gridValue, inputArb, permutation, shapeArb, size, valuesFor,
} from '../support/arbitraries.js';
import { constant, expectGradientsMatch } from '../support/gradcheck.js';

const RUNS = { seed: 1, numRuns: 25 };
const rSeed = fc.integer({ min: 0, max: 2 ** 31 - 1 });
const dim = fc.integer({ min: 1, max: 5 });

describe('matmul gradient, all four transpose combinations', () => {
  for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    it(`transposeA=${tA} transposeB=${tB}`, () => {
      const arb = fc
        .tuple(dim, dim, dim)
        .chain(([m, k, n]) => fc.tuple(inputArb(tA ? [k, m] : [m, k]), inputArb(tB ? [n, k] : [k, n])));
      fc.assert(
        fc.property(arb, rSeed, ([a, b], seed) => expectGradientsMatch((x, y) => op.matmul(x, y, tA, tB), [a, b], seed)),
        RUNS,
      );
    });
  }
});

/** A shape of rank 1..4 with a random subset of its axes (maybe empty, maybe negative) and keepDims. */
const reduction = shapeArb(1, 4, 3).chain((shape) => fc.tuple(fc.constant(shape), axesOf(shape.length), fc.boolean()));

describe('reduction gradients over random axes', () => {
  it('sum', () => {
    const arb = reduction.chain(([shape, axes, keep]) => inputArb(shape).map((x) => ({ x, axes, keep })));
    fc.assert(
      fc.property(arb, rSeed, ({ x, axes, keep }, seed) => expectGradientsMatch((t) => op.sum(t, axes, keep), [x], seed)),
      RUNS,
    );
  });

  it('max, with a unique maximum along every reduced fibre', () => {
    // Distinct values 0.05 apart: the maximum is unique and a finite-difference step cannot change the argmax.
    const arb = reduction.chain(([shape, axes, keep]) =>
      fc
        .uniqueArray(fc.integer({ min: -60, max: 60 }), { minLength: size(shape), maxLength: size(shape) })
        .map((ints) => ({ x: { values: ints.map((i) => Math.fround(i * 0.05)), shape }, axes, keep })),
    );
    fc.assert(
      fc.property(arb, rSeed, ({ x, axes, keep }, seed) => expectGradientsMatch((t) => op.max(t, axes, keep), [x], seed)),
      RUNS,
    );
  });

  it('mean (composite)', () => {
    const arb = reduction.chain(([shape, axes, keep]) => inputArb(shape).map((x) => ({ x, axes, keep })));
    fc.assert(
      fc.property(arb, rSeed, ({ x, axes, keep }, seed) => expectGradientsMatch((t) => op.mean(t, axes, keep), [x], seed)),
      RUNS,
    );
  });
});

describe('layout gradients', () => {
  it('reshape to a permutation of the dimensions with a size-1 axis inserted', () => {
    const arb = shapeArb(0, 4).chain((shape) =>
      fc.tuple(inputArb(shape), permutation(shape.length), fc.integer({ min: 0, max: shape.length })),
    );
    fc.assert(
      fc.property(arb, rSeed, ([x, perm, at], seed) => {
        const target = perm.map((p) => x.shape[p]!);
        target.splice(at, 0, 1);
        expectGradientsMatch((t) => op.reshape(t, target), [x], seed);
        expectGradientsMatch((t) => op.reshape(t, [-1]), [x], seed);
      }),
      RUNS,
    );
  });

  it('transpose with a random permutation', () => {
    const arb = shapeArb(1, 4).chain((shape) => fc.tuple(inputArb(shape), permutation(shape.length)));
    fc.assert(
      fc.property(arb, rSeed, ([x, perm], seed) => expectGradientsMatch((t) => op.transpose(t, perm), [x], seed)),
      RUNS,
    );
  });

  it('broadcastTo from a random broadcastable shape', () => {
    const arb = shapeArb(0, 3).chain((out) => broadcastableTo(out).chain((shape) => fc.tuple(inputArb(shape), fc.constant(out))));
    fc.assert(
      fc.property(arb, rSeed, ([x, out], seed) => expectGradientsMatch((t) => op.broadcastTo(t, out), [x], seed)),
      RUNS,
    );
  });
});

describe('composite gradients', () => {
  it('logSoftmax along a random axis', () => {
    const arb = shapeArb(1, 3).chain((shape) =>
      fc.tuple(inputArb(shape, floatIn(-4, 4)), fc.integer({ min: -shape.length, max: shape.length - 1 })),
    );
    fc.assert(
      fc.property(arb, rSeed, ([x, axis], seed) => expectGradientsMatch((t) => op.logSoftmax(t, axis), [x], seed)),
      RUNS,
    );
  });

  it('softmaxCrossEntropy w.r.t. logits and (smoothed) targets', () => {
    const arb = fc.tuple(dim, fc.integer({ min: 2, max: 6 })).chain(([n, c]) =>
      fc.tuple(
        inputArb([n, c], floatIn(-4, 4)),
        valuesFor([n, c], floatIn(0.01, 1)).map((raw) => {
          // Each row a probability distribution.
          const values = raw.map((v, i) => {
            const row = Math.floor(i / c) * c;
            return Math.fround(v / raw.slice(row, row + c).reduce((a, b) => a + b, 0));
          });
          return { values, shape: [n, c] };
        }),
      ),
    );
    fc.assert(
      fc.property(arb, rSeed, ([logits, targets], seed) => {
        expectGradientsMatch(op.softmaxCrossEntropy, [logits, targets], seed);
        // And with the targets as a closed-over constant, as in training.
        expectGradientsMatch((l) => op.softmaxCrossEntropy(l, constant(targets.values, targets.shape)), [logits], seed);
      }),
      RUNS,
    );
  });

  it('a masked two-layer network: matmul, relu, mul by a mask, cross-entropy', () => {
    const mask = [1, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 0];
    const targets = [0, 1, 0, 1, 0, 0];
    fc.assert(
      fc.property(inputArb([2, 3], gridValue(0.1)), inputArb([3, 4], gridValue(0.1)), inputArb([4, 3]), rSeed, (x, w1, w2, seed) => {
        // Keep every pre-activation away from relu's kink (plain-JS x @ (W * M)).
        for (let i = 0; i < 2; i++) {
          for (let j = 0; j < 4; j++) {
            let z = 0;
            for (let p = 0; p < 3; p++) z += x.values[i * 3 + p]! * w1.values[p * 4 + j]! * mask[p * 4 + j]!;
            fc.pre(Math.abs(z) > 0.01);
          }
        }
        expectGradientsMatch(
          (xt, a, b) => {
            const h = op.relu(op.matmul(xt, op.mul(a, constant(mask, [3, 4]))));
            return op.softmaxCrossEntropy(op.matmul(h, b), constant(targets, [2, 3]));
          },
          [x, w1, w2],
          seed,
        );
      }),
      RUNS,
    );
  });
});
