/**
 * The addon's matrix product checked on its own terms, for any build (the default one, or one built on the other
 * library): against a float64 product of the same operands, and its epilogues against the product followed by
 * the kernels they stand for (maximum, reluGrad), bit for bit.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { BINARY_CODES, EPILOGUES, type NativeAddon } from '../../../backends/native/addon.js';
import { FC, expectIdentical } from './support.js';

interface ProductCase {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly tA: boolean;
  readonly tB: boolean;
  readonly a: Float32Array;
  readonly b: Float32Array;
  /** The relu gradient's gate [m, n]: zeros of both signs, NaN, negatives and positives. */
  readonly gate: Float32Array;
}

const value = fc.oneof(
  { weight: 40, arbitrary: fc.double({ min: -2, max: 2, noNaN: true }).map(Math.fround) },
  { weight: 5, arbitrary: fc.constantFrom(0, -0) },
  { weight: 1, arbitrary: fc.constant(Number.NaN) }, // a NaN operand makes NaN outputs for relu to keep
);
const gateValue = fc.oneof(value, fc.constantFrom(Number.NaN, 0, -0));
const array = (n: number, v: fc.Arbitrary<number>) => fc.array(v, { minLength: n, maxLength: n }).map((xs) => Float32Array.from(xs));

/** Shapes up to [70, 70] x k 300 (k = 0 included), every transpose combination. */
export const productCaseArb: fc.Arbitrary<ProductCase> = fc
  .tuple(fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 70 }), fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 300 })), fc.boolean(), fc.boolean())
  .chain(([m, n, k, tA, tB]) => fc.record({
    m: fc.constant(m), n: fc.constant(n), k: fc.constant(k), tA: fc.constant(tA), tB: fc.constant(tB),
    a: array(m * k, value), b: array(k * n, value), gate: array(m * n, gateValue),
  }));

/** C[i, j] in float64, and sum_p |a_ip b_pj| (float32 accumulation may differ from it by 2e-6 of that). */
function oracle({ m, n, k, tA, tB, a, b }: ProductCase, i: number, j: number): [number, number] {
  let sum = 0;
  let magnitude = 0;
  for (let p = 0; p < k; p++) {
    const term = (tA ? a[p * m + i]! : a[i * k + p]!) * (tB ? b[j * k + p]! : b[p * n + j]!);
    sum += term;
    magnitude += Math.abs(term);
  }
  return [sum, magnitude];
}

/** matmul with each epilogue on the addon, checked as the module comment says; `runs` cases. */
export function expectProductsConform(addon: NativeAddon, runs: number): void {
  fc.assert(
    fc.property(productCaseArb, (c) => {
      const { m, n, k } = c;
      const run = (epilogue: number) => {
        const out = new Float32Array(m * n).fill(Number.NaN); // stale values must all be overwritten
        addon.matmul(c.a, c.b, out, m, n, k, c.tA ? 1 : 0, c.tB ? 1 : 0, epilogue, c.gate);
        return out;
      };
      const plain = run(EPILOGUES.none);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          const [want, magnitude] = oracle(c, i, j);
          const got = plain[i * n + j]!;
          if (Number.isNaN(want)) {
            if (!Number.isNaN(got)) expect.fail(`C[${i},${j}]: ${got}, float64 NaN`);
            continue;
          }
          if (!(Math.abs(got - want) <= 2e-6 * magnitude + 1e-30)) expect.fail(`C[${i},${j}] of [${m},${k}]x[${k},${n}]: ${got}, float64 ${want}`);
        }
      }
      const relu = new Float32Array(m * n);
      addon.binary(BINARY_CODES.maximum, plain, new Float32Array(1), relu, 1, 0);
      expectIdentical(run(EPILOGUES.relu), relu, 'relu epilogue');
      const gated = new Float32Array(m * n);
      addon.reluGrad(plain, c.gate, gated);
      expectIdentical(run(EPILOGUES.reluGrad), gated, 'relu-gradient epilogue');
    }),
    { ...FC, numRuns: runs },
  );
}
