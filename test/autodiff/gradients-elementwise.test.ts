/**
 * Gradients of the elementwise primitives against float64 central differences (test/support/gradcheck.ts),
 * on random shapes that broadcast together, random values away from every kink.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import * as op from '../../core/autodiff/ops.js';
import type { Tensor } from '../../core/autodiff/tensor.js';
import {
  broadcastPair, broadcastableTo, floatIn, gridValue, inputArb, shapeArb, valuesFor,
} from '../support/arbitraries.js';
import { constant, expectGradientsMatch, type Input } from '../support/gradcheck.js';

const RUNS = { seed: 1, numRuns: 30 };
const rSeed = fc.integer({ min: 0, max: 2 ** 31 - 1 });

type Binary = (a: Tensor, b: Tensor) => Tensor;

function checkBinary(name: string, f: Binary, pair: fc.Arbitrary<[Input, Input]>): void {
  it(`${name}: random broadcasting shapes`, () => {
    fc.assert(fc.property(pair, rSeed, ([a, b], seed) => expectGradientsMatch(f, [a, b], seed)), RUNS);
  });
}

/** A fixed [3,1] vs [4] case on top of the random ones, both argument orders. */
function checkColumnRow(name: string, f: Binary, value: fc.Arbitrary<number>, valueB: fc.Arbitrary<number> = value): void {
  it(`${name}: [3,1] with [4] and [4] with [3,1]`, () => {
    const arb = fc.tuple(inputArb([3, 1], value), inputArb([4], valueB), rSeed);
    fc.assert(
      fc.property(arb, ([a, b, seed]) => {
        expectGradientsMatch(f, [a, b], seed);
        expectGradientsMatch((x, y) => f(y, x), [b, a], seed);
      }),
      { seed: 1, numRuns: 5 },
    );
  });
}

/** Denominators in +-[0.25, 2]. */
const denominator = fc.tuple(floatIn(0.25, 2), fc.boolean()).map(([x, negative]) => (negative ? -x : x));

describe('gradients of binary primitives match float64 finite differences', () => {
  checkBinary('add', op.add, broadcastPair());
  checkBinary('sub', op.sub, broadcastPair());
  checkBinary('mul', op.mul, broadcastPair());
  checkBinary('div', op.div, broadcastPair(floatIn(-2, 2), denominator));
  // Values of a and b on grids offset by 0.1: |a - b| >= 0.08 everywhere, far from the tie.
  checkBinary('maximum', op.maximum, broadcastPair(gridValue(0.1), gridValue(0.2)));
  checkBinary('minimum', op.minimum, broadcastPair(gridValue(0.1), gridValue(0.2)));
  checkColumnRow('sub', op.sub, floatIn(-2, 2));
  checkColumnRow('div', op.div, floatIn(-2, 2), denominator);
  checkColumnRow('maximum', op.maximum, gridValue(0.1), gridValue(0.2));
});

describe('gradient of where reaches both branches', () => {
  it('where(cond, a, b) w.r.t. a and b, cond/a/b of random broadcasting shapes', () => {
    const arb = shapeArb(0, 3)
      .chain((out) => fc.tuple(broadcastableTo(out), broadcastableTo(out), broadcastableTo(out)))
      .chain(([sc, sa, sb]) =>
        fc.tuple(valuesFor(sc, fc.constantFrom(0, 1)).map((values) => ({ values, shape: sc })), inputArb(sa), inputArb(sb)),
      );
    fc.assert(
      fc.property(arb, rSeed, ([cond, a, b], seed) =>
        expectGradientsMatch((x, y) => op.where(constant(cond.values, cond.shape), x, y), [a, b], seed),
      ),
      RUNS,
    );
  });
});

describe('gradients of unary primitives match float64 finite differences', () => {
  const unary = (name: string, f: (x: Tensor) => Tensor, value: fc.Arbitrary<number>) =>
    it(name, () => {
      const arb = shapeArb(0, 3).chain((shape) => inputArb(shape, value));
      fc.assert(fc.property(arb, rSeed, (x, seed) => expectGradientsMatch(f, [x], seed)), RUNS);
    });
  unary('neg', op.neg, floatIn(-2, 2));
  unary('exp', op.exp, floatIn(-2, 2));
  unary('log (positive inputs)', op.log, floatIn(0.1, 3));
  unary('sqrt (positive inputs)', op.sqrt, floatIn(0.1, 3));
  unary('relu (away from 0)', op.relu, gridValue(0.1));
  unary('abs (away from 0)', op.abs, gridValue(0.1));

  it('clip with random bounds, inputs away from the bounds', () => {
    const arb = fc.tuple(floatIn(-1, -0.1), floatIn(0.1, 1)).chain(([lo, hi]) =>
      shapeArb(0, 3).chain((shape) =>
        inputArb(shape, floatIn(-1.5, 1.5).filter((x) => Math.abs(x - lo) > 0.02 && Math.abs(x - hi) > 0.02)).map(
          (x) => [lo, hi, x] as const,
        ),
      ),
    );
    fc.assert(
      fc.property(arb, rSeed, ([lo, hi, x], seed) => {
        expectGradientsMatch((t) => op.clip(t, lo, hi), [x], seed);
      }),
      RUNS,
    );
  });

  it('clip with inputs on both sides of the bounds', () => {
    expectGradientsMatch((t) => op.clip(t, -0.2, 0.2), [{ values: [-0.5, 0.3, 0.1, -1.25, 1.25, -0.125], shape: [2, 3] }], 7);
  });
});
