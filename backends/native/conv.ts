/**
 * The native backend's kernels of the optional primitives (core/autodiff/primitives.ts): conv2d and its two
 * gradients (native/src/conv.c: oneDNN's primitives where the addon is built on oneDNN and they were measured
 * faster, direct kernels for layers with few output channels, im2col and the addon's matrix product otherwise),
 * maxPool and its gradient (pool.c). The backend's run() writes every deferred form of the inputs (lane and
 * compact forms) before a kernel of its table reads them, so these kernels see plain row-major values, masked
 * filters included.
 */
import type { Kernel, OutputSpec, TensorInfo } from '../../core/autodiff/backend.js';
import type { ConvPadding, OptionalPrimitive, Shape } from '../../core/autodiff/primitives.js';
import { conv2dShape, convPadding, sizeOf } from '../../core/autodiff/shapes.js';
import type { BufferPool } from './pool.js';

type Handle = Float32Array | Int32Array;

/** The three convolutions, numbered as native/src/convolution.h numbers them. */
export const CONV_KINDS = { forward: 0, inputGrad: 1, filterGrad: 2 } as const;
export type ConvKind = keyof typeof CONV_KINDS;

/** The functions of native/src/bindings_convolution.c. Outputs and scratch are passed in, sized by the caller. */
export interface ConvolutionAddon {
  /** geometry: [n, h, w, cin, kh, kw, cout, oh, ow, top, left] (convGeometry); scratch: convPlan's size. */
  conv2d(x: Float32Array, filter: Float32Array, y: Float32Array, scratch: Float32Array, geometry: Int32Array): void;
  conv2dInputGrad(dy: Float32Array, filter: Float32Array, dx: Float32Array, scratch: Float32Array, geometry: Int32Array): void;
  conv2dFilterGrad(x: Float32Array, dy: Float32Array, dfilter: Float32Array, scratch: Float32Array, geometry: Int32Array): void;
  /** How the addon runs a convolution of this kind: the floats of scratch it needs, the images per chunk, the kernel. */
  convPlan(kind: number, geometry: Int32Array): ConvPlan;
  maxPool(x: Float32Array, out: Float32Array, n: number, h: number, w: number, c: number, size: number): void;
  maxPoolGrad(x: Float32Array, dy: Float32Array, dx: Float32Array, n: number, h: number, w: number, c: number, size: number): void;
}

/**
 * The kernel that runs a convolution (native/src/conv.c, rsn_conv_kernel): oneDNN's primitive (builds on oneDNN
 * only), the addon's direct kernels, a plain matrix product (a 1x1 filter without padding), or im2col and the
 * matrix product.
 */
export type ConvKernelName = 'onednn' | 'direct' | 'matmul' | 'im2col';
export interface ConvPlan {
  readonly scratch: number;
  readonly chunk: number;
  readonly kernel: ConvKernelName;
}

/** What the addon needs to know of a convolution of x [n, h, w, cin] with a filter [kh, kw, cin, cout]. */
export function convGeometry(x: Shape, filter: Shape, padding: ConvPadding): Int32Array {
  const [n, h, w, cin] = x as [number, number, number, number];
  const [kh, kw, , cout] = filter as [number, number, number, number];
  const [, oh, ow] = conv2dShape(x, filter, padding);
  return Int32Array.of(n, h, w, cin, kh, kw, cout, oh!, ow!, convPadding(kh, padding)[0], convPadding(kw, padding)[0]);
}

type Info = TensorInfo<Handle>;
type Kernels = { [P in OptionalPrimitive]: Kernel<P, Handle> };

/** The five kernels, allocating outputs and scratch from the backend's pool. */
export function convolutionKernels(addon: ConvolutionAddon, pool: BufferPool): Kernels {
  const f = (t: Info): Float32Array => t.handle as Float32Array;
  /** Scratch sizes by kind and geometry: a training step asks for the same few again and again. */
  const plans = new Map<string, number>();
  const scratchFor = (kind: ConvKind, geometry: Int32Array): number => {
    const key = `${kind}:${geometry.join(',')}`;
    let floats = plans.get(key);
    if (floats === undefined) plans.set(key, (floats = addon.convPlan(CONV_KINDS[kind], geometry).scratch));
    return floats;
  };
  /** Run one convolution with scratch from the pool; one with nothing to sum (a dimension of 0) gives zeros. */
  const convolve = (
    kind: ConvKind, x: Shape, filter: Shape, padding: ConvPadding, out: OutputSpec,
    call: (scratch: Float32Array, geometry: Int32Array, result: Float32Array) => void,
  ): Float32Array => {
    const result = pool.float32(sizeOf(out.shape));
    if (sizeOf(x) === 0 || sizeOf(filter) === 0 || result.length === 0) return result.fill(0);
    const geometry = convGeometry(x, filter, padding);
    const scratch = pool.float32(scratchFor(kind, geometry));
    try {
      call(scratch, geometry, result);
    } finally {
      pool.release(scratch);
    }
    return result;
  };
  return {
    conv2d: ([x, filter], { padding }, out) =>
      convolve('forward', x!.shape, filter!.shape, padding, out, (s, g, r) => addon.conv2d(f(x!), f(filter!), r, s, g)),
    conv2dInputGrad: ([dy, filter], { padding, inputShape }, out) =>
      convolve('inputGrad', inputShape, filter!.shape, padding, out, (s, g, r) => addon.conv2dInputGrad(f(dy!), f(filter!), r, s, g)),
    conv2dFilterGrad: ([x, dy], { padding, filterShape }, out) =>
      convolve('filterGrad', x!.shape, filterShape, padding, out, (s, g, r) => addon.conv2dFilterGrad(f(x!), f(dy!), r, s, g)),
    maxPool: ([x], { size }, out) => {
      const result = pool.float32(sizeOf(out.shape));
      const [n, h, w, c] = x!.shape as [number, number, number, number];
      addon.maxPool(f(x!), result, n, h, w, c, size);
      return result;
    },
    maxPoolGrad: ([x, dy], { size }, out) => {
      const result = pool.float32(sizeOf(out.shape));
      const [n, h, w, c] = x!.shape as [number, number, number, number];
      addon.maxPoolGrad(f(x!), f(dy!), result, n, h, w, c, size);
      return result;
    },
  };
}
