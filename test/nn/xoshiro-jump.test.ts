/**
 * Jumping ahead in xoshiro128** (core/nn/xoshiro-jump.ts, Rng.advance): advancing by n equals drawing n and
 * discarding them, whatever the count (PGD's 47,040 per network and step among them, and counts past 2^32), and
 * the state read back (Rng.state) is the one the following draws come from.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/nn/rng.js';
import { advanceState, stepState } from '../../core/nn/xoshiro-jump.js';

/** xoshiro128**'s output for a state, and the state stepped (the textbook definition, for reference). */
function nextFrom(s: Uint32Array): number {
  const product = Math.imul(s[1]!, 5);
  const result = Math.imul((product << 7) | (product >>> 25), 9) >>> 0;
  stepState(s);
  return result;
}

const draws = (rng: Rng, n: number): number[] => Array.from({ length: n }, () => rng.nextUint32());

describe('xoshiro128** jump-ahead', () => {
  it('the state read back gives the following draws, and reading it changes nothing', () => {
    const rng = new Rng(17);
    draws(rng, 5);
    const state = rng.state();
    const expected = Array.from({ length: 100 }, () => nextFrom(state));
    expect(draws(rng, 100)).toEqual(expected);
  });

  it('advancing by n equals drawing n and discarding them', () => {
    for (const n of [0, 1, 2, 3, 31, 32, 63, 64, 65, 1000, 47040, 94080, 141120, 1 << 20, 3_000_017]) {
      const drawn = new Rng(n + 5);
      const jumped = new Rng(n + 5);
      drawn.uniformArray(n, -0.3, 0.3);
      jumped.advance(n);
      expect(jumped.state(), `n = ${n}`).toEqual(drawn.state());
      expect(draws(jumped, 8), `n = ${n}, the next draws`).toEqual(draws(drawn, 8));
    }
  });

  it('large jumps compose: 2^40 + 2^33 + 5 as one jump or as three, and the state after 2^32 steps by stepping the period', () => {
    const start = new Rng(99).state();
    const once = advanceState(start, 2 ** 40 + 2 ** 33 + 5);
    const thrice = advanceState(advanceState(advanceState(start, 5), 2 ** 33), 2 ** 40);
    expect(once).toEqual(thrice);
    // 2^32 - 1 then 1 (every bit set, then a carry into bit 32) equals 2^32 directly.
    expect(advanceState(advanceState(start, 2 ** 32 - 1), 1)).toEqual(advanceState(start, 2 ** 32));
    expect(advanceState(start, 2 ** 52 + 1)).toEqual(advanceState(advanceState(start, 2 ** 52), 1));
  });

  it('rejects counts that are not non-negative safe integers', () => {
    const rng = new Rng(1);
    for (const n of [-1, 1.5, Number.NaN, 2 ** 53]) expect(() => rng.advance(n)).toThrow(RangeError);
  });
});
