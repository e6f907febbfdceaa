/**
 * Every primitive of the native backend against the reference backend on random inputs (seeded fast-check).
 * IEEE-exact operations must agree bit for bit: both round float32 arithmetic correctly (the reference
 * computes in double and rounds, which gives the same float32 for +, -, *, /, sqrt), and both accumulate sums
 * in double in the same order. exp/log and the matrix product get tolerances, stated where they are used.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BINARY_PRIMITIVES, REQUIRED_PRIMITIVES, UNARY_PRIMITIVES, type Primitive, type PrimitiveAttrs,
} from '../../../core/autodiff/primitives.js';
import { normaliseAxes } from '../../../core/autodiff/shapes.js';
import {
  FC, broadcastInputs, expectClose, expectIdentical, expectSameAsReference, floatArb, inputArb, native, permutationArb,
  reference, runKernel, shapeArb, suiteTitle, valuesArb,
} from './support.js';
import { convCaseArb, expectChunkedConvsAgree, expectConvAgrees, expectPoolAgrees, poolCaseArb, poolProblemArb } from './conv-support.js';
import { loadAddon } from '../../../backends/native/addon.js';

const tested = new Set<Primitive>();
const noAttrs = {} as Record<string, never>;

describe.skipIf(!native.backend)(suiteTitle('kernels agree with the reference'), () => {
  for (const p of BINARY_PRIMITIVES) {
    tested.add(p);
    it(`${p} with broadcasting, signed zeros, infinities and NaN`, () => {
      fc.assert(fc.property(broadcastInputs(2), (inputs) => expectSameAsReference(p, inputs, noAttrs)), FC);
    });
  }

  it('binary ops on large contiguous and scalar operands (the vectorised loops)', () => {
    const arb = fc.tuple(fc.integer({ min: 1, max: 3000 }), fc.constantFrom('same', 'scalarA', 'scalarB'));
    fc.assert(
      fc.property(arb.chain(([n, kind]) =>
        fc.tuple(inputArb(kind === 'scalarA' ? [] : [n]), inputArb(kind === 'scalarB' ? [] : [n]))), (inputs) => {
        for (const p of BINARY_PRIMITIVES) expectSameAsReference(p, inputs, noAttrs);
      }),
      { ...FC, numRuns: 40 },
    );
  });

  tested.add('where');
  it('where with three broadcast inputs (the condition is any float: nonzero selects a)', () => {
    const cond = fc.oneof(fc.constantFrom(0, 1, -0, NaN), floatArb);
    fc.assert(
      fc.property(broadcastInputs(3).chain(([c, a, b]) => fc.tuple(inputArb(c!.shape, cond), fc.constant(a!), fc.constant(b!))),
        (inputs) => expectSameAsReference('where', inputs, noAttrs)),
      FC,
    );
  });

  for (const p of UNARY_PRIMITIVES) {
    tested.add(p);
    it(`${p}${p === 'exp' || p === 'log' ? ' (within 2 ulp: libm against V8)' : ''}`, () => {
      fc.assert(
        fc.property(shapeArb(0, 3, 24).chain((s) => inputArb(s)), (x) => {
          const got = runKernel(native.backend!, p, [x], noAttrs);
          const want = runKernel(reference, p, [x], noAttrs);
          // exp and log are computed in double by both and rounded; the two libms may differ in the last bit.
          if (p === 'exp' || p === 'log') expectClose(got.values, want.values, 2.4e-7, 0, p);
          else expectIdentical(got.values, want.values, p);
        }),
        FC,
      );
    });
  }

  tested.add('clip');
  it('clip, bounds included, NaN passing through', () => {
    const bounds = fc.tuple(fc.double({ min: -3, max: 3, noNaN: true }), fc.double({ min: 0, max: 3, noNaN: true }));
    fc.assert(
      fc.property(shapeArb().chain((s) => inputArb(s)), bounds, (x, [min, width]) =>
        expectSameAsReference('clip', [x], { min, max: min + width })),
      FC,
    );
  });

  tested.add('matmul');
  it('matmul with every transpose combination (float32 accumulation: 2e-6 of sum |a_ik b_kj|)', () => {
    const dims = fc.tuple(fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 300 }));
    const arb = fc.tuple(dims, fc.boolean(), fc.boolean()).chain(([[m, n, k], tA, tB]) =>
      fc.tuple(
        inputArb(tA ? [k, m] : [m, k], fc.double({ min: -2, max: 2, noNaN: true }).map(Math.fround)),
        inputArb(tB ? [n, k] : [k, n], fc.double({ min: -2, max: 2, noNaN: true }).map(Math.fround)),
        fc.constant({ transposeA: tA, transposeB: tB, m, n, k }),
      ));
    fc.assert(
      fc.property(arb, ([a, b, { transposeA, transposeB, m, n, k }]) => {
        const attrs = { transposeA, transposeB };
        const got = runKernel(native.backend!, 'matmul', [a, b], attrs).values;
        const want = runKernel(reference, 'matmul', [a, b], attrs).values;
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            let magnitude = 0;
            for (let p = 0; p < k; p++) {
              const av = transposeA ? a.values[p * m + i]! : a.values[i * k + p]!;
              const bv = transposeB ? b.values[j * k + p]! : b.values[p * n + j]!;
              magnitude += Math.abs(av * bv);
            }
            const diff = Math.abs(got[i * n + j]! - want[i * n + j]!);
            if (!(diff <= 2e-6 * magnitude + 1e-30)) expect.fail(`C[${i},${j}]: ${got[i * n + j]} vs ${want[i * n + j]}`);
          }
        }
      }),
      { ...FC, numRuns: 60 },
    );
  });

  for (const p of ['sum', 'max'] as const) {
    tested.add(p);
    it(`${p} over any set of axes (contiguous or not), keepDims or not`, () => {
      const arb = shapeArb(0, 4, 6).chain((s) =>
        fc.tuple(inputArb(s), fc.subarray(s.map((_, i) => i)), fc.boolean()));
      fc.assert(
        fc.property(arb, ([x, axes, keepDims]) => expectSameAsReference(p, [x], { axes: normaliseAxes(axes, x.shape.length), keepDims })),
        FC,
      );
    });
  }

  const intArb = fc.integer({ min: -1000, max: 1000 });
  const anyDtypeInput = (shape: number[]) =>
    fc.oneof(inputArb(shape), valuesArb(shape, intArb).map((values) => ({ values, shape, dtype: 'int32' as const })));

  tested.add('reshape');
  it('reshape (float32 and int32)', () => {
    fc.assert(
      fc.property(shapeArb().chain((s) => fc.tuple(anyDtypeInput(s), fc.shuffledSubarray(s, { minLength: s.length }))),
        ([x, shape]) => expectSameAsReference('reshape', [x], { shape: [...shape, 1] })),
      FC,
    );
  });

  tested.add('transpose');
  it('transpose by any permutation (float32 and int32)', () => {
    fc.assert(
      fc.property(shapeArb(0, 5, 5).chain((s) => fc.tuple(anyDtypeInput(s), permutationArb(s.length))),
        ([x, perm]) => expectSameAsReference('transpose', [x], { perm })),
      FC,
    );
  });

  tested.add('broadcastTo');
  it('broadcastTo (float32 and int32)', () => {
    fc.assert(
      fc.property(broadcastInputs(2).chain(([a, b]) => {
        const rank = Math.max(a!.shape.length, b!.shape.length);
        const pad = (s: readonly number[]) => [...Array<number>(rank - s.length).fill(1), ...s];
        const out = pad(a!.shape).map((d, i) => Math.max(d, pad(b!.shape)[i]!));
        return fc.tuple(anyDtypeInput([...a!.shape]), fc.constant(out));
      }), ([x, shape]) => expectSameAsReference('broadcastTo', [x], { shape })),
      FC,
    );
  });

  tested.add('argmax');
  it('argmax along any axis: first index of the maximum, ties and NaN included', () => {
    const value = fc.oneof(fc.constantFrom(0, 1, -1, NaN, Infinity), floatArb);
    fc.assert(
      fc.property(shapeArb(1, 4, 6).chain((s) => fc.tuple(inputArb(s, value), fc.integer({ min: 0, max: s.length - 1 }))),
        ([x, axis]) => expectSameAsReference('argmax', [x], { axis })),
      FC,
    );
  });

  tested.add('oneHot');
  it('oneHot, labels out of range giving zero rows', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }).chain((depth) => fc.tuple(
        shapeArb(0, 2, 70).chain((s) => valuesArb(s, fc.integer({ min: -2, max: depth + 1 })).map((values) => ({ values, shape: s, dtype: 'int32' as const }))),
        fc.constant(depth))), ([labels, depth]) => expectSameAsReference('oneHot', [labels], { depth })),
      FC,
    );
  });

  for (const p of ['conv2d', 'conv2dInputGrad', 'conv2dFilterGrad'] as const) {
    tested.add(p);
    it(`${p}: random shapes, 'same' and 'valid', within the float32 accumulation bound of the reference`, () => {
      fc.assert(fc.property(convCaseArb(p), ([problem, a, b]) => expectConvAgrees(p, problem, a, b)), { ...FC, numRuns: 120 });
    });
  }

  it('convolutions whose batch the addon splits into chunks (large images, up to 40 channels)', () => {
    expectChunkedConvsAgree(loadAddon(), native.backend!, { ...FC, numRuns: 4 });
  });

  for (const grad of [false, true]) {
    const p = grad ? 'maxPoolGrad' : 'maxPool';
    tested.add(p);
    it(`${p}: the reference's bits, with ties, signed zeros, infinities and NaN, partial windows dropped`, () => {
      fc.assert(fc.property(poolCaseArb(grad), ([size, x, dy]) => expectPoolAgrees(grad, size, x, dy)), FC);
    });
    it(`${p} on many channels (the kernel's channel blocks)`, () => {
      fc.assert(fc.property(poolCaseArb(grad, poolProblemArb(600)), ([size, x, dy]) => expectPoolAgrees(grad, size, x, dy)), { ...FC, numRuns: 10 });
    });
  }

  it('empty tensors (an axis of size 0) in every kind of kernel', () => {
    const empty = (shape: number[]) => ({ values: [] as number[], shape });
    const v = (shape: number[]) => ({ values: Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i - 2), shape });
    expectSameAsReference('add', [empty([0, 3]), v([1, 3])], noAttrs);
    expectSameAsReference('where', [empty([2, 0]), empty([1, 0]), v([1])], noAttrs);
    expectSameAsReference('exp', [empty([0])], noAttrs);
    expectSameAsReference('matmul', [empty([2, 0]), empty([0, 3])], { transposeA: false, transposeB: false });
    expectSameAsReference('matmul', [empty([0, 4]), v([4, 3])], { transposeA: false, transposeB: false });
    for (const p of ['sum', 'max'] as const) expectSameAsReference(p, [empty([3, 0, 2])], { axes: [1], keepDims: false });
    expectSameAsReference('argmax', [empty([3, 0])], { axis: 1 });
    expectSameAsReference('transpose', [empty([0, 2, 3])], { perm: [2, 0, 1] });
    expectSameAsReference('broadcastTo', [v([1, 3])], { shape: [0, 3] });
    expectSameAsReference('oneHot', [{ values: [], shape: [0], dtype: 'int32' }], { depth: 4 });
    expectSameAsReference('conv2d', [empty([0, 4, 4, 2]), v([3, 3, 2, 5])], { padding: 'same' });
    expectSameAsReference('conv2dInputGrad', [empty([0, 2, 2, 5]), v([3, 3, 2, 5])], { padding: 'valid', inputShape: [0, 4, 4, 2] });
    expectSameAsReference('conv2dFilterGrad', [empty([0, 4, 4, 2]), empty([0, 4, 4, 5])], { padding: 'same', filterShape: [3, 3, 2, 5] });
    expectSameAsReference('maxPool', [empty([2, 4, 4, 0])], { size: 2 });
    expectSameAsReference('maxPoolGrad', [empty([0, 4, 4, 3]), empty([0, 2, 2, 3])], { size: 2 });
  });

  it('covers every primitive the backend implements (the optional ones it lacks run on the host)', () => {
    expect([...tested].sort()).toEqual([...REQUIRED_PRIMITIVES, ...(native.backend!.optionalPrimitives ?? [])].sort());
  });
});

describe.skipIf(!native.backend)(suiteTitle('handles'), () => {
  it('upload and read round-trip, read returns a copy, liveHandles counts upload, run and dispose', () => {
    const backend = native.backend!;
    const start = backend.liveHandles();
    const values = Float32Array.of(1, -2, 3.5, NaN);
    const h = backend.upload(values, [4], 'float32');
    values[0] = 99;
    const read = backend.read({ handle: h, shape: [4], dtype: 'float32' });
    expectIdentical(read, Float32Array.of(1, -2, 3.5, NaN));
    read[1] = 42;
    expectIdentical(backend.read({ handle: h, shape: [4], dtype: 'float32' }), Float32Array.of(1, -2, 3.5, NaN));
    const ints = backend.upload(Int32Array.of(3, -1), [2], 'int32');
    expect(Array.from(backend.read({ handle: ints, shape: [2], dtype: 'int32' }))).toEqual([3, -1]);
    expect(backend.liveHandles()).toBe(start + 2);
    const out = backend.run('neg', [{ handle: h, shape: [4], dtype: 'float32' }], noAttrs, { shape: [4], dtype: 'float32' });
    expect(backend.liveHandles()).toBe(start + 3);
    [h, ints, out].forEach((x) => backend.dispose(x));
    expect(backend.liveHandles()).toBe(start);
  });

  it('recycled buffers never leak stale values into results', () => {
    // Fill the pool with buffers of one size holding NaN, then compute into buffers of that size.
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), (n) => {
        const poison = Array.from({ length: 8 }, () => native.backend!.upload(new Float32Array(n).fill(NaN), [n], 'float32'));
        poison.forEach((h) => native.backend!.dispose(h));
        const x = { values: Array.from({ length: n }, (_, i) => i - 3), shape: [n] };
        expectSameAsReference('sum', [x], { axes: [], keepDims: false });
        expectSameAsReference('oneHot', [{ values: [n % 3], shape: [1], dtype: 'int32' }], { depth: n });
        expectSameAsReference('broadcastTo', [{ values: [2], shape: [1] }], { shape: [n] });
      }),
      { ...FC, numRuns: 30 },
    );
  });

  it('reports an unsupported primitive with a typed error naming it', () => {
    const attrs = {} as PrimitiveAttrs['neg'];
    expect(() => native.backend!.run('nope' as 'neg', [], attrs, { shape: [], dtype: 'float32' })).toThrow(/nope/);
  });
});
