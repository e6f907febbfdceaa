/** Shared helpers of the native backend's tests: loading (or the reason it cannot load), running one kernel. */
import fc from 'fast-check';
import { expect } from 'vitest';
import type { Backend, HostData } from '../../../core/autodiff/backend.js';
import { createReferenceBackend } from '../../../backends/reference/index.js';
import type { DType, Primitive, PrimitiveAttrs, Shape } from '../../../core/autodiff/primitives.js';
import { inferOutput, sizeOf } from '../../../core/autodiff/shapes.js';
import { expectIdentical } from '../support.js';

export { expectIdentical };

export type Loaded = { backend: Backend; reason?: undefined } | { backend?: undefined; reason: string };

/** The native backend, or why it does not load here (shown in the title of the skipped suites). */
export async function loadNative(): Promise<Loaded> {
  try {
    const { createNativeBackend } = await import('../../../backends/native/index.js');
    return { backend: createNativeBackend() };
  } catch (error) {
    return { reason: (error as Error).message.replace(/\n\s*/g, ' ') };
  }
}

export const native = await loadNative();
/** Suite title: says why it is skipped when the addon is missing. */
export const suiteTitle = (what: string): string =>
  native.backend ? `native backend: ${what}` : `native backend: ${what} (SKIPPED: ${native.reason})`;

export const reference = createReferenceBackend('float32');

export interface Input {
  readonly values: readonly number[] | HostData;
  readonly shape: Shape;
  readonly dtype?: DType;
}

export interface Output {
  readonly values: HostData;
  readonly shape: Shape;
}

/** Run one primitive on a backend: upload, run, read, dispose; the handle count must come back to where it was. */
export function runKernel<P extends Primitive>(backend: Backend, primitive: P, inputs: readonly Input[], attrs: PrimitiveAttrs[P]): Output {
  const before = backend.liveHandles();
  const infos = inputs.map((i) => {
    const dtype = i.dtype ?? 'float32';
    const data = dtype === 'int32' ? Int32Array.from(i.values) : Float32Array.from(i.values);
    return { handle: backend.upload(data, i.shape, dtype), shape: i.shape, dtype };
  });
  const out = inferOutput[primitive](infos, attrs);
  const handle = backend.run(primitive, infos, attrs, out);
  const values = backend.read({ handle, shape: out.shape, dtype: out.dtype });
  expect(values.length).toBe(sizeOf(out.shape));
  backend.dispose(handle);
  infos.forEach((i) => backend.dispose(i.handle));
  expect(backend.liveHandles()).toBe(before);
  return { values, shape: out.shape };
}

/** |a - e| <= atol + rtol |e| elementwise, with equal non-finite values accepted. */
export function expectClose(actual: HostData, expected: HostData, rtol: number, atol: number, context = ''): void {
  expect(actual.length, `${context} length`).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e))) continue;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      expect.fail(`${context} element ${i}: native ${a}, reference ${e} (rtol ${rtol}, atol ${atol})`);
    }
  }
}

/** Same kernel on both backends; the outputs must agree bit for bit. */
export function expectSameAsReference<P extends Primitive>(primitive: P, inputs: readonly Input[], attrs: PrimitiveAttrs[P]): void {
  const got = runKernel(native.backend!, primitive, inputs, attrs);
  const want = runKernel(reference, primitive, inputs, attrs);
  expect(got.shape).toEqual(want.shape);
  expectIdentical(got.values, want.values, primitive);
}

// ---- arbitraries -------------------------------------------------------------------------------------------

export const FC = { seed: 20191205, numRuns: 150 } as const;

export const shapeArb = (minRank = 0, maxRank = 4, maxDim = 5): fc.Arbitrary<number[]> =>
  fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: minRank, maxLength: maxRank });

/** A shape that broadcasts to `shape`: some leading axes dropped, some axes set to 1. */
export const broadcastableTo = (shape: readonly number[]): fc.Arbitrary<number[]> =>
  fc
    .tuple(fc.integer({ min: 0, max: shape.length }), fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }))
    .map(([drop, ones]) => shape.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));

/** float32 values, with the special ones (signed zeros, infinities, NaN, subnormals, ties) well represented. */
export const floatArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: -4, max: 4, noNaN: true }).map(Math.fround) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, 1, -1, 0.5, 2, NaN, Infinity, -Infinity, 1e-40, -3e-39, 3.4e38) },
);

export const valuesArb = (shape: readonly number[], value: fc.Arbitrary<number> = floatArb): fc.Arbitrary<number[]> =>
  fc.array(value, { minLength: sizeOf(shape), maxLength: sizeOf(shape) });

export const inputArb = (shape: readonly number[], value?: fc.Arbitrary<number>): fc.Arbitrary<Input> =>
  valuesArb(shape, value).map((values) => ({ values, shape }));

/** Inputs whose shapes broadcast together to a random output shape (rank 0..4, size-1 axes, dropped axes). */
export const broadcastInputs = (count: number, value?: fc.Arbitrary<number>): fc.Arbitrary<Input[]> =>
  shapeArb()
    .chain((out) => fc.tuple(...Array.from({ length: count }, () => broadcastableTo(out))))
    .chain((shapes) => fc.tuple(...shapes.map((s) => inputArb(s, value))));

export const permutationArb = (n: number): fc.Arbitrary<number[]> =>
  fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i), { minLength: n, maxLength: n });

/** The backend without its whole-attack kernels (fgsmAttack, pgdAttack): their compositions run on its other kernels. */
export const withoutAttackKernels = (backend: Backend): Backend => {
  const { fgsmAttack: _fgsm, pgdAttack: _pgd, ...custom } = (backend.custom ?? {}) as Record<string, unknown>;
  return { ...backend, custom: custom as Backend['custom'] };
};
