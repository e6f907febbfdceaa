/**
 * The primitive kernels of the tfjs adapter, written with tfjs' registered kernels.
 *
 * Several primitives avoid the kernel of the same name, because on tfjs-wasm that kernel is a scalar C++ loop
 * with per-element broadcast indexing, 10-100x slower than the XNNPACK-backed kernels (measured on
 * [60,300]: Maximum 220 us, Greater 160 us, Sign 150 us, Tile (broadcastTo) of a scalar 1700 us; versus
 * ClipByValue 14 us, Step 15 us, Multiply 12 us, Fill 5 us). The replacements are exact identities for every
 * non-NaN input, and they are plain tfjs kernels, so they run on every tfjs backend:
 *   greater(a, b)      = step(a - b)                (a - b > 0 iff a > b: IEEE subtraction is exact in sign)
 *   greaterEqual(a, b) = 1 - step(b - a)
 *   equal(a, b)        = 1 - step(|a - b|)
 *   sign(x)            = step(x) - step(-x)         (also right on denormals, which wasm's Sign sends to 0)
 *   maximum(a, c)      = clip(a, c, +inf) for a scalar constant c (relu); minimum likewise
 *   broadcastTo(x, s)  = x * ones(s), or fill(s, c) for a scalar constant c
 *   matmul             = SIMD products in tfjs-wasm's heap (simd/matmul.ts); elsewhere without transpose flags,
 *                        packing the cheaper operand (matmul.ts)
 * where step(x) = x > 0 ? 1 : 0 (tfjs' Step with alpha 0). With a NaN operand, or infinities of the same
 * sign, these comparisons give NaN where the reference gives 0; training never compares NaNs meaningfully.
 */
import type { Tensor as TfTensor } from '@tensorflow/tfjs-core';
import type { Shape } from '../../core/autodiff/primitives.js';
import { sameShape } from '../../core/autodiff/shapes.js';
import type { KernelTable, TensorInfo } from '../../core/autodiff/backend.js';
import type { ProductCache, ScalarCache } from './caches.js';
import type { MatmulPlanner, RunKernel } from './types.js';

type Info = TensorInfo<TfTensor>;

export interface KernelContext {
  readonly kernel: RunKernel;
  /** Shared rank-0 uploads; valueOf tells the value of a cached scalar. */
  readonly scalars: ScalarCache;
  /** An internal rank-0 constant, owned by the adapter (never disposed by kernels). */
  readonly constant: (value: number) => TfTensor;
  /** op(A) @ op(B) (heap-matmul.ts on tfjs-wasm's heap, else matmul.ts); shared with the custom kernels. */
  readonly matmul: MatmulPlanner;
  /** Recent products of the matmul primitive, reused when asked for again. */
  readonly products: ProductCache;
}

/** Run fn, then dispose every temporary it registered with temp(), whatever happens. */
export function withTemps(fn: (temp: (t: TfTensor) => TfTensor) => TfTensor): TfTensor {
  const temps: TfTensor[] = [];
  try {
    return fn((t) => (temps.push(t), t));
  } finally {
    for (const t of temps) t.dispose();
  }
}

/**
 * clip(x, min, max). tfjs-wasm's ClipByValue (an XNNPACK clamp) needs min < max in float32 and returns
 * garbage otherwise; an empty range (clip(x, -0, 0), an attack with eps 0) takes Maximum and Minimum.
 */
export function clipValues(kernel: RunKernel, constant: (value: number) => TfTensor, x: TfTensor, min: number, max: number): TfTensor {
  if (Math.fround(min) < Math.fround(max)) return kernel('ClipByValue', { x }, { clipValueMin: min, clipValueMax: max });
  const low = kernel('Maximum', { a: x, b: constant(min) });
  try {
    return kernel('Minimum', { a: low, b: constant(max) });
  } finally {
    low.dispose();
  }
}

export function tfjsKernels({ kernel, scalars, constant, matmul, products }: KernelContext): KernelTable<TfTensor> {
  /** The value of a rank-0 cached upload, if `x` is one (NaN excluded: clip and fill would not propagate it). */
  const known = (x: Info): number | undefined => {
    if (x.shape.length !== 0) return undefined;
    const v = scalars.valueOf(x.handle);
    return v === undefined || Number.isNaN(v) ? undefined : v;
  };
  const step = (x: TfTensor) => kernel('Step', { x }, { alpha: 0 });
  const sub = (a: TfTensor, b: TfTensor) => kernel('Sub', { a, b });
  const fill = (shape: Shape, value: number) => kernel('Fill', {}, { shape: [...shape], value, dtype: 'float32' });
  /** x broadcast to `shape` as a new tensor (never Tile: see the note at the top). */
  const broadcastTo = (x: Info, shape: Shape): TfTensor => {
    const v = known(x);
    if (v !== undefined) return fill(shape, v);
    if (sameShape(x.shape, shape)) return kernel('Identity', { x: x.handle });
    return withTemps((temp) => kernel('Multiply', { a: x.handle, b: temp(fill(shape, 1)) }));
  };
  const binary = (name: string) => ([a, b]: readonly Info[]) => kernel(name, { a: a!.handle, b: b!.handle });
  const unary = (name: string) => ([x]: readonly Info[]) => kernel(name, { x: x!.handle });
  /** maximum/minimum: a clip when one side is a scalar constant and the other has the output's shape. */
  const extremum = (name: string, clipTo: (v: number) => [number, number]) =>
    ([a, b]: readonly Info[], _: unknown, out: { shape: Shape }) => {
      for (const [x, c] of [[a!, b!], [b!, a!]] as const) {
        const v = known(c);
        if (v !== undefined && sameShape(x.shape, out.shape)) {
          const [clipValueMin, clipValueMax] = clipTo(v);
          return kernel('ClipByValue', { x: x.handle }, { clipValueMin, clipValueMax });
        }
      }
      return kernel(name, { a: a!.handle, b: b!.handle });
    };
  const reduction = (name: string, axesAttr: string) =>
    ([x]: readonly Info[], { axes, keepDims }: { axes: readonly number[]; keepDims: boolean }, out: { shape: Shape }) =>
      axes.length === 0
        ? kernel('Reshape', { x: x!.handle }, { shape: [...out.shape] })
        : kernel(name, { x: x!.handle }, { [axesAttr]: [...axes], keepDims });

  return {
    add: binary('Add'),
    sub: binary('Sub'),
    mul: binary('Multiply'),
    div: binary('RealDiv'),
    maximum: extremum('Maximum', (v) => [v, Infinity]),
    minimum: extremum('Minimum', (v) => [-Infinity, v]),
    // greater(x, 0) (relu's gradient mask) needs no subtraction.
    greater: ([a, b], _, out) =>
      known(b!) === 0 && sameShape(a!.shape, out.shape) ? step(a!.handle) : withTemps((temp) => step(temp(sub(a!.handle, b!.handle)))),
    greaterEqual: ([a, b]) => withTemps((temp) => sub(constant(1), temp(step(temp(sub(b!.handle, a!.handle)))))),
    equal: ([a, b]) =>
      withTemps((temp) => sub(constant(1), temp(step(temp(kernel('Abs', { x: temp(sub(a!.handle, b!.handle)) })))))),
    where: ([c, a, b], _, out) =>
      withTemps((temp) => {
        const cond = known(c!);
        if (cond !== undefined) return broadcastTo(cond !== 0 ? a! : b!, out.shape);
        const full = (x: Info) => (sameShape(x.shape, out.shape) ? x.handle : temp(broadcastTo(x, out.shape)));
        const nonzero = temp(step(temp(kernel('Abs', { x: full(c!) }))));
        const mask = temp(kernel('Cast', { x: nonzero }, { dtype: 'bool' }));
        return kernel('Select', { condition: mask, t: full(a!), e: full(b!) });
      }),
    neg: unary('Neg'),
    exp: unary('Exp'),
    log: unary('Log'),
    sqrt: unary('Sqrt'),
    sign: ([x]) => withTemps((temp) => sub(temp(step(x!.handle)), temp(step(temp(kernel('Neg', { x: x!.handle })))))),
    clip: ([x], { min, max }) => clipValues(kernel, constant, x!.handle, min, max),
    matmul: ([a, b], { transposeA, transposeB }) => {
      const [x, y] = [a!.handle, b!.handle];
      const cached = products.get(x, y, transposeA, transposeB);
      if (cached) return cached;
      const product = matmul(x, y, transposeA, transposeB);
      products.put(x, y, transposeA, transposeB, product);
      return product;
    },
    sum: reduction('Sum', 'axis'),
    max: reduction('Max', 'reductionIndices'),
    reshape: ([x], { shape }) => kernel('Reshape', { x: x!.handle }, { shape: [...shape] }),
    transpose: ([x], { perm }) => kernel('Transpose', { x: x!.handle }, { perm: [...perm] }),
    broadcastTo: ([x], _, out) => broadcastTo(x!, out.shape),
    argmax: ([x], { axis }) => kernel('ArgMax', { x: x!.handle }, { axis }),
    // tfjs-wasm's OneHot writes int32 whatever the dtype attribute says: make int32, then cast.
    oneHot: ([x], { depth }) =>
      withTemps((temp) =>
        kernel('Cast', { x: temp(kernel('OneHot', { indices: x!.handle }, { depth, onValue: 1, offValue: 0, dtype: 'int32' })) }, { dtype: 'float32' })),
  };
}
