import { expect } from 'vitest';

/** max |a - b| / (atol + rtol |b|) over all elements; <= 1 means allclose. */
export function closeness(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number): number {
  if (actual.length !== expected.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const b = expected[i]!;
    if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? worst : Infinity;
    worst = Math.max(worst, Math.abs(a - b) / (atol + rtol * Math.abs(b)));
  }
  return worst;
}

/** Assert numpy-style allclose, reporting the worst element. */
export function expectAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-5, atol = 1e-6): void {
  expect(actual.length, 'lengths differ').toBe(expected.length);
  let worstIndex = -1;
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const ratio = closeness([actual[i]!], [expected[i]!], rtol, atol);
    if (ratio > worst) {
      worst = ratio;
      worstIndex = i;
    }
  }
  if (worst > 1) {
    expect.fail(
      `not allclose (rtol ${rtol}, atol ${atol}): element ${worstIndex} is ${actual[worstIndex]} but expected ${expected[worstIndex]}`,
    );
  }
}
