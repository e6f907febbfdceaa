/** fast-check arbitraries for shapes and tensor values. Every value is float32-representable. */
import fc from 'fast-check';
import type { Input } from './gradcheck.js';

export const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

export const shapeArb = (minRank = 0, maxRank = 3, maxDim = 4): fc.Arbitrary<number[]> =>
  fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: minRank, maxLength: maxRank });

/** A shape that numpy-broadcasts to `shape`: some leading axes dropped, some axes set to 1. */
export const broadcastableTo = (shape: readonly number[]): fc.Arbitrary<number[]> =>
  fc
    .tuple(fc.integer({ min: 0, max: shape.length }), fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }))
    .map(([drop, ones]) => shape.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));

export const floatIn = (min: number, max: number): fc.Arbitrary<number> =>
  fc.double({ min, max, noNaN: true }).map(Math.fround);

/**
 * Values on a jittered grid: 0.25 k + offset + u, u in [0, 0.02]. Two grids with offsets 0.1 and 0.2 never
 * come closer than 0.08 to each other, and neither comes within 0.1 of 0: no kinks of maximum, minimum,
 * relu or abs within reach of a finite-difference step.
 */
export const gridValue = (offset: number): fc.Arbitrary<number> =>
  fc.tuple(fc.integer({ min: -8, max: 7 }), fc.double({ min: 0, max: 0.02, noNaN: true })).map(([k, u]) => Math.fround(0.25 * k + offset + u));

export const valuesFor = (shape: readonly number[], value: fc.Arbitrary<number> = floatIn(-2, 2)): fc.Arbitrary<number[]> =>
  fc.array(value, { minLength: size(shape), maxLength: size(shape) });

export const inputArb = (shape: readonly number[], value?: fc.Arbitrary<number>): fc.Arbitrary<Input> =>
  valuesFor(shape, value).map((values) => ({ values, shape }));

/** Two inputs whose shapes broadcast together (including rank-0 and size-1 axes). */
export const broadcastPair = (
  valueA?: fc.Arbitrary<number>, valueB: fc.Arbitrary<number> | undefined = valueA,
): fc.Arbitrary<[Input, Input]> =>
  shapeArb(0, 3)
    .chain((out) => fc.tuple(broadcastableTo(out), broadcastableTo(out)))
    .chain(([sa, sb]) => fc.tuple(inputArb(sa, valueA), inputArb(sb, valueB)));

/** A random permutation of 0..n-1. */
export const permutation = (n: number): fc.Arbitrary<number[]> => fc.shuffledSubarray(range(n), { minLength: n, maxLength: n });

/** A subset of the axes of a rank, in random order, each possibly written as a negative axis. */
export const axesOf = (rank: number): fc.Arbitrary<number[]> =>
  fc
    .shuffledSubarray(range(rank))
    .chain((axes) => fc.array(fc.boolean(), { minLength: axes.length, maxLength: axes.length }).map((neg) => axes.map((a, i) => (neg[i] ? a - rank : a))));

/** Plain-JS row-major strides. */
export function strides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let i = shape.length - 1, s = 1; i >= 0; i--) {
    out[i] = s;
    s *= shape[i]!;
  }
  return out;
}

/** Multi-index of a flat row-major position. */
export function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let i = shape.length - 1; i >= 0; i--) {
    idx[i] = flat % shape[i]!;
    flat = Math.floor(flat / shape[i]!);
  }
  return idx;
}

/** Flat position in `shape` of an output multi-index under numpy broadcasting (output rank >= shape's rank). */
export function broadcastSource(outIndex: readonly number[], shape: readonly number[]): number {
  const lead = outIndex.length - shape.length;
  const st = strides(shape);
  return shape.reduce((acc, d, i) => acc + (d === 1 ? 0 : outIndex[i + lead]! * st[i]!), 0);
}

/** numpy broadcast of two shapes, written independently of core/autodiff/shapes.ts. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  return range(rank).map((i) => {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    return da === 1 ? db : da;
  });
}
