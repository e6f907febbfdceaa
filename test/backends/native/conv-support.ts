/**
 * Random convolution and pooling problems for the native kernels' tests, and the oracle each is checked with:
 * the reference backend (the host kernels, double accumulation). A convolution's result may differ from it by
 * float32 accumulation only: each element is a sum of N products in some order, so it lies within N * 2^-24 of
 * the sum of the products' magnitudes (the same sum on |inputs|, computed by the host kernel in float64).
 * Pooling moves values without arithmetic: bit for bit.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import type { Backend } from '../../../core/autodiff/backend.js';
import { CONV_KINDS, convGeometry, type ConvolutionAddon } from '../../../backends/native/conv.js';
import { HOST_KERNELS } from '../../../core/autodiff/host-kernels/index.js';
import type { ConvPadding, PrimitiveAttrs, Shape } from '../../../core/autodiff/primitives.js';
import { conv2dShape, inferOutput, maxPoolShape, sizeOf } from '../../../core/autodiff/shapes.js';
import { expectIdentical, native, reference, runKernel, type Input } from './support.js';

export type ConvPrimitive = 'conv2d' | 'conv2dInputGrad' | 'conv2dFilterGrad';
export const CONV_PRIMITIVES: readonly ConvPrimitive[] = ['conv2d', 'conv2dInputGrad', 'conv2dFilterGrad'];

export interface ConvProblem {
  readonly x: Shape;
  readonly filter: Shape;
  readonly padding: ConvPadding;
}

/** Shapes of a stride-1 convolution: batches 0-3 (several chunks of the batch included), filters that fit. */
export const convProblemArb = (
  maxSide = 9, maxChannels = 20, channels: { cin?: [number, number]; cout?: [number, number] } = {},
): fc.Arbitrary<ConvProblem> =>
  fc.record({
    n: fc.integer({ min: 0, max: 3 }),
    h: fc.integer({ min: 1, max: maxSide }),
    w: fc.integer({ min: 1, max: maxSide }),
    cin: fc.integer({ min: channels.cin?.[0] ?? 1, max: channels.cin?.[1] ?? 6 }),
    cout: fc.integer({ min: channels.cout?.[0] ?? 1, max: channels.cout?.[1] ?? maxChannels }),
    kh: fc.integer({ min: 1, max: 5 }),
    kw: fc.integer({ min: 1, max: 5 }),
    padding: fc.constantFrom<ConvPadding>('same', 'valid'),
  }).filter((p) => p.padding === 'same' || (p.kh <= p.h && p.kw <= p.w))
    .map((p) => ({ x: [p.n, p.h, p.w, p.cin], filter: [p.kh, p.kw, p.cin, p.cout], padding: p.padding }));

const finite = fc.double({ min: -3, max: 3, noNaN: true }).map(Math.fround);
/** Values of a shape, with exact zeros (MNIST's background, pruned weights) well represented. */
export const convValuesArb = (shape: Shape): fc.Arbitrary<number[]> =>
  fc.array(fc.oneof({ weight: 4, arbitrary: finite }, { weight: 1, arbitrary: fc.constantFrom(0, -0, 1) }), {
    minLength: sizeOf(shape), maxLength: sizeOf(shape),
  });

/** The inputs and attributes of one of the three convolutions on a problem. */
export function convCall(primitive: ConvPrimitive, p: ConvProblem): { shapes: [Shape, Shape]; attrs: PrimitiveAttrs[ConvPrimitive]; terms: number } {
  const y = conv2dShape(p.x, p.filter, p.padding);
  const [kh, kw, cin, cout] = p.filter as [number, number, number, number];
  if (primitive === 'conv2d') return { shapes: [p.x, p.filter], attrs: { padding: p.padding }, terms: kh * kw * cin };
  if (primitive === 'conv2dInputGrad') return { shapes: [y, p.filter], attrs: { padding: p.padding, inputShape: p.x }, terms: kh * kw * cout };
  return { shapes: [p.x, y], attrs: { padding: p.padding, filterShape: p.filter }, terms: y[0]! * y[1]! * y[2]! };
}

/** A problem with its values, for fc.assert. */
export const convCaseArb = (primitive: ConvPrimitive, problems = convProblemArb()) =>
  problems.chain((p) => {
    const { shapes } = convCall(primitive, p);
    return fc.tuple(fc.constant(p), convValuesArb(shapes[0]), convValuesArb(shapes[1]));
  });

/** One convolution on the native backend (or another build of it) against the reference, within the float32 accumulation bound. */
export function expectConvAgrees(
  primitive: ConvPrimitive, p: ConvProblem, a: readonly number[], b: readonly number[], backend: Backend = native.backend!,
): void {
  const { shapes, attrs, terms } = convCall(primitive, p);
  const inputs: Input[] = [{ values: a, shape: shapes[0] }, { values: b, shape: shapes[1] }];
  const got = runKernel(backend, primitive, inputs, attrs as never).values;
  const want = runKernel(reference, primitive, inputs, attrs as never).values;
  const outShape = inferOutput[primitive](inputs.map((i) => ({ shape: i.shape, dtype: 'float32' as const })), attrs as never).shape;
  const abs = (values: readonly number[], shape: Shape) => ({ values: Float64Array.from(values, Math.abs), shape });
  const magnitude = HOST_KERNELS[primitive]([abs(a, shapes[0]), abs(b, shapes[1])], attrs as never, outShape);
  const slack = (terms + 2) * 2 ** -24;
  for (let i = 0; i < got.length; i++) {
    const bound = slack * magnitude[i]! + 1e-37;
    if (!(Math.abs(got[i]! - want[i]!) <= bound)) {
      expect.fail(`${primitive} [${p.x}] * [${p.filter}] '${p.padding}', element ${i}: native ${got[i]}, reference ${want[i]} (bound ${bound})`);
    }
  }
}

/**
 * Each convolution on problems whose batch the addon splits into chunks for that convolution (large images, up to
 * 40 channels; a kind that oneDNN runs whole in this build is skipped), against the reference.
 */
export function expectChunkedConvsAgree(addon: ConvolutionAddon, backend: Backend, parameters: fc.Parameters<unknown>): void {
  for (const p of CONV_PRIMITIVES) {
    const kind = convKind(p);
    const chunked = (problem: ConvProblem) => {
      const plan = addon.convPlan(kind, convGeometry(problem.x, problem.filter, problem.padding));
      return plan.kernel !== 'onednn' && plan.chunk < problem.x[0]!;
    };
    if (addon.convPlan(kind, convGeometry([3, 40, 40, 6], [5, 5, 6, 16], 'same')).kernel === 'onednn') continue;
    const problems = convProblemArb(40, 40).filter((problem) => problem.x[1]! >= 20 && problem.x[2]! >= 20 && chunked(problem));
    fc.assert(fc.property(convCaseArb(p, problems), ([problem, a, b]) => expectConvAgrees(p, problem, a, b, backend)), parameters);
  }
}

/** Pooling problems: windows 1-4, images not always a whole number of windows, channels 1-20. */
export const poolProblemArb = (maxChannels = 20) =>
  fc.integer({ min: 1, max: 4 }).chain((size) => fc.record({
    size: fc.constant(size),
    shape: fc.tuple(
      fc.integer({ min: 0, max: 2 }), fc.integer({ min: size, max: 9 }), fc.integer({ min: size, max: 9 }),
      fc.integer({ min: 1, max: maxChannels }),
    ),
  }));

/** Values that decide the winners: small integers (ties), signed zeros, infinities and NaN. */
const poolValue = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -2, max: 2 }) },
  { weight: 2, arbitrary: finite },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, NaN, Infinity, -Infinity) },
);

export const poolCaseArb = (grad: boolean, problems = poolProblemArb()) =>
  problems.chain(({ size, shape }) => fc.tuple(
    fc.constant(size),
    fc.array(poolValue, { minLength: sizeOf(shape), maxLength: sizeOf(shape) }).map((values) => ({ values, shape })),
    grad
      ? fc.array(fc.oneof(finite, fc.constantFrom(-0, NaN)), { minLength: sizeOf(maxPoolShape(shape, size)), maxLength: sizeOf(maxPoolShape(shape, size)) })
      : fc.constant([] as number[]),
  ));

/** maxPool or maxPoolGrad on the native backend: the reference's bits. */
export function expectPoolAgrees(grad: boolean, size: number, x: Input, dy: readonly number[]): void {
  const inputs: Input[] = grad ? [x, { values: dy, shape: maxPoolShape(x.shape, size) }] : [x];
  const primitive = grad ? 'maxPoolGrad' : 'maxPool';
  const got = runKernel(native.backend!, primitive, inputs, { size });
  const want = runKernel(reference, primitive, inputs, { size });
  expectIdentical(got.values, want.values, `${primitive} [${x.shape}] size ${size}`);
}

/**
 * The kernel each convolution of lenet5's and cnn-madry's layers runs on at batch 60, per library of the addon's
 * products (native/src/conv.c's rule, from docs/backends-convolution-native.md's measurements), with a 1x1 filter
 * that is a plain product on either. Order of each row: forward, input gradient, filter gradient.
 */
const MODEL_CONV_PLANS: readonly {
  name: string; x: Shape; filter: Shape; padding: ConvPadding;
  kernels: Record<'onednn' | 'openblas', readonly [string, string, string]>;
}[] = [
  { name: 'lenet5 conv1', x: [60, 28, 28, 1], filter: [5, 5, 1, 6], padding: 'same',
    kernels: { onednn: ['direct', 'direct', 'onednn'], openblas: ['direct', 'direct', 'direct'] } },
  { name: 'lenet5 conv2', x: [60, 14, 14, 6], filter: [5, 5, 6, 16], padding: 'valid',
    kernels: { onednn: ['direct', 'im2col', 'onednn'], openblas: ['direct', 'im2col', 'direct'] } },
  { name: 'cnn-madry conv1', x: [60, 28, 28, 1], filter: [5, 5, 1, 32], padding: 'same',
    kernels: { onednn: ['onednn', 'im2col', 'onednn'], openblas: ['im2col', 'im2col', 'im2col'] } },
  { name: 'cnn-madry conv2', x: [60, 14, 14, 32], filter: [5, 5, 32, 64], padding: 'same',
    kernels: { onednn: ['onednn', 'onednn', 'onednn'], openblas: ['im2col', 'im2col', 'im2col'] } },
  { name: '1x1, 32 -> 64 channels', x: [60, 7, 7, 32], filter: [1, 1, 32, 64], padding: 'valid',
    kernels: { onednn: ['matmul', 'matmul', 'matmul'], openblas: ['matmul', 'matmul', 'matmul'] } },
];

/** The number native/src/convolution.h gives each convolution primitive (CONV_KINDS, by primitive). */
export const convKind = (primitive: ConvPrimitive): number =>
  CONV_KINDS[primitive === 'conv2d' ? 'forward' : primitive === 'conv2dInputGrad' ? 'inputGrad' : 'filterGrad'];

/** The kernels an addon built on `library` plans for the layers of MODEL_CONV_PLANS, against that table. */
export function expectModelConvPlans(addon: ConvolutionAddon, library: 'onednn' | 'openblas'): void {
  for (const layer of MODEL_CONV_PLANS) {
    const geometry = convGeometry(layer.x, layer.filter, layer.padding);
    const kernels = CONV_PRIMITIVES.map((p) => addon.convPlan(convKind(p), geometry).kernel);
    expect(kernels, layer.name).toEqual(layer.kernels[library]);
  }
}
