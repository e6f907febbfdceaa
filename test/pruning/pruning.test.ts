import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DENSE_300_100, fullMasks, initialWeights } from '../../core/nn/model.js';
import { Rng } from '../../core/nn/rng.js';
import { countOnes, percentRemaining, pruneLayer, pruneParameters, roundHalfEven } from '../../core/pruning/magnitude.js';
import { pruneRates } from '../../core/pruning/rates.js';
import { PAPER_SCHEDULE, remainingSchedule } from '../../core/pruning/schedule.js';

/** Distinct magnitudes (no ties) so that the cutoff rule removes exactly round(p * n) + 1 weights. */
const distinctWeights = fc
  .uniqueArray(fc.integer({ min: 1, max: 1_000_000 }), { minLength: 1, maxLength: 300 })
  .chain((ints) => fc.tuple(fc.constant(ints), fc.array(fc.boolean(), { minLength: ints.length, maxLength: ints.length })))
  .map(([ints, signs]) => Float32Array.from(ints, (v, i) => (signs[i] ? v : -v) / 1000));

describe('layer-wise magnitude pruning', () => {
  it('removes round(p * n) + 1 of the n remaining weights, the smallest in magnitude, and never revives one', () => {
    fc.assert(
      fc.property(distinctWeights, fc.double({ min: 0, max: 0.9, noNaN: true }), fc.integer({ min: 0, max: 1e6 }), (weights, rate, seed) => {
        const rng = new Rng(seed);
        const mask = Float32Array.from(weights, () => (rng.next() < 0.7 ? 1 : 0));
        const remaining = countOnes(mask);
        const next = pruneLayer(weights, mask, rate);
        next.forEach((v, i) => {
          expect(v === 0 || v === 1).toBe(true);
          if (mask[i] === 0) expect(v).toBe(0);
        });
        const removed = remaining - countOnes(next);
        expect(removed).toBe(remaining === 0 ? 0 : Math.min(remaining, roundHalfEven(rate * remaining) + 1));
        const kept = [...weights].filter((_, i) => next[i] === 1).map(Math.abs);
        const cut = [...weights].filter((_, i) => mask[i] === 1 && next[i] === 0).map(Math.abs);
        if (kept.length && cut.length) expect(Math.min(...kept)).toBeGreaterThan(Math.max(...cut));
      }),
      { seed: 3, numRuns: 200 },
    );
  });

  it('removes every tied weight at the cutoff', () => {
    const weights = Float32Array.from([0.1, -0.1, 0.1, 0.5, 0.7]);
    const next = pruneLayer(weights, new Float32Array(5).fill(1), 0.2);
    expect(Array.from(next)).toEqual([0, 0, 0, 1, 1]);
  });

  it('rounds half to even, like numpy', () => {
    expect([0.5, 1.5, 2.5, 3.5, -0.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, 4, -0, 2, 3]);
  });

  it('follows the protocol schedule of % weights remaining over 20 rounds', () => {
    expect(remainingSchedule(DENSE_300_100, 20).map((v) => Number(v.toFixed(1)))).toEqual([...PAPER_SCHEDULE]);
    let masks = fullMasks(DENSE_300_100);
    const rng = new Rng(1);
    const observed = [percentRemaining(DENSE_300_100, masks)];
    for (let round = 1; round <= 20; round++) {
      masks = pruneParameters(initialWeights(DENSE_300_100, rng.derive(round)), masks, pruneRates(DENSE_300_100));
      observed.push(percentRemaining(DENSE_300_100, masks));
    }
    expect(observed.map((v) => Number(v.toFixed(1)))).toEqual([...PAPER_SCHEDULE]);
  });

  it('prunes each layer at its own rate: 20%, 20%, 10% of what remains', () => {
    const weights = initialWeights(DENSE_300_100, new Rng(2));
    const masks = pruneParameters(weights, fullMasks(DENSE_300_100), pruneRates(DENSE_300_100));
    expect(masks.map(countOnes)).toEqual([235200 - 47041, 30000 - 6001, 1000 - 101]);
  });
});
