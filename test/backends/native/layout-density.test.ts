/**
 * zeroOneDensity decides, before any layout is built, what the layout's own density would decide: for every 0/1
 * matrix it equals maskLayout's nnz / size exactly (the sparse path's choices are unchanged by checking first), and
 * any other value makes it undefined, as isZeroOne says.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isZeroOne, maskLayout, zeroOneDensity } from '../../../backends/native/layout.js';

const shape = fc.record({ rows: fc.integer({ min: 1, max: 40 }), cols: fc.integer({ min: 1, max: 40 }) });

describe('zeroOneDensity', () => {
  it('equals the layout\'s density, bit for bit, on any 0/1 matrix', () => {
    fc.assert(fc.property(shape.chain(({ rows, cols }) => fc.tuple(fc.constant(rows), fc.constant(cols), fc.array(fc.boolean(), { minLength: rows * cols, maxLength: rows * cols }))),
      ([rows, cols, bits]) => {
        const values = Float32Array.from(bits, (b) => (b ? 1 : 0));
        expect(zeroOneDensity(values)).toBe(maskLayout(values, rows, cols).density);
      }), { seed: 11, numRuns: 200 });
  });

  it('is undefined when any value is neither 0 nor 1, as isZeroOne says', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(0, 1), { minLength: 1, maxLength: 50 }), fc.nat(), fc.constantFrom(0.5, -1, 2, -0.0001, Number.NaN, Infinity),
      (bits, at, other) => {
        const values = Float32Array.from(bits);
        values[at % values.length] = other;
        expect(zeroOneDensity(values)).toBeUndefined();
        expect(isZeroOne(values)).toBe(false);
      }), { seed: 12, numRuns: 200 });
    expect(zeroOneDensity(Float32Array.of(0, -0, 1))).toBeCloseTo(1 / 3, 15); // -0 is a zero
  });
});
