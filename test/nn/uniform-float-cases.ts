/** Ranges and draws that exercise the uniform float mapping's rounding (its oracle's test and the webgpu kernel's). */

/**
 * [low, high): PGD's (eps 0.3, 0.1, 8/255), asymmetric ones, a reversed one (a negative span), low = +-0, and
 * ones whose terms differ in exponent by more than 64 bits (the kernel's aligned sum then keeps a sticky bit).
 */
export const RANGES: readonly (readonly [number, number])[] = [
  [-0.3, 0.3], [-0.1, 0.1], [-8 / 255, 8 / 255], [0, 1], [-0, 1], [-0, 0.5], [0.25, 0.75], [-1, 3], [-0.3, 0.7],
  [0.3, -0.3], [1e-3, 2e4], [2 ** -70, 2 ** -70 + 2 ** 20], [1000, 1000 + 2 ** -40], [-1000, -1000 + 2 ** -40], [-3.5, -1.25],
];

const U32_MAX = 4294967295;

/**
 * 0, 1, 2, 2^31 +- small, 2^32 - 1 and its neighbours, and the draws around those whose product cancels low
 * (exactly, where one does: -low / span * 2^32 an integer) and their neighbours.
 */
export function specialDraws(low: number, high: number): number[] {
  const near = (u: number, radius: number) => Array.from({ length: 2 * radius + 1 }, (_, k) => u - radius + k);
  const cancelling = Math.round((-low / (high - low)) * 2 ** 32);
  return [...near(0, 4), ...near(2 ** 31, 8), ...near(2 ** 30, 2), ...near(3 * 2 ** 30, 2), ...near(U32_MAX - 4, 4), ...near(cancelling, 16)]
    .filter((u) => u >= 0 && u <= U32_MAX);
}
