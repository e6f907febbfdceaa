/**
 * The arithmetic of a computation, counted from the primitives it runs: 2 FLOP per multiply-add of every matrix
 * product and convolution (conv2d and its two gradients each cost n oh ow cout kh kw cin multiply-adds, padding
 * included). Elementwise work, reductions and pooling are not counted: they are a few percent of a step.
 * Counting runs the compositions (no custom kernels), so a fused kernel's products are counted as the
 * composition that defines it makes them.
 */
import type { Backend, TensorInfo } from '../../../core/autodiff/backend.js';
import { HOST_KERNELS, type FloatValues, type HostKernel } from '../../../core/autodiff/host-kernels/index.js';
import { isOptionalPrimitive, OPTIONAL_PRIMITIVES, type OptionalPrimitive, type Primitive, type PrimitiveAttrs, type Shape } from '../../../core/autodiff/primitives.js';
import { conv2dShape, matmulBatches } from '../../../core/autodiff/shapes.js';

/** FLOP of one application of a primitive (0 for those not counted). */
export function primitiveFlop<P extends Primitive>(primitive: P, inputs: readonly { shape: Shape }[], attrs: PrimitiveAttrs[P], out: Shape): number {
  const convolution = (x: Shape, filter: Shape): number => {
    const [, oh, ow] = conv2dShape(x, filter, (attrs as PrimitiveAttrs['conv2d']).padding);
    const [n, , , cin] = x as [number, number, number, number];
    const [kh, kw, , cout] = filter as [number, number, number, number];
    return 2 * n * oh! * ow! * cout * kh * kw * cin;
  };
  switch (primitive) {
    case 'matmul': {
      const [a, b] = [inputs[0]!.shape, inputs[1]!.shape];
      const { transposeA } = attrs as PrimitiveAttrs['matmul'];
      const k = transposeA ? a[a.length - 2]! : a[a.length - 1]!;
      return 2 * k * out[out.length - 2]! * out[out.length - 1]! * matmulBatches(a, b).count;
    }
    case 'conv2d':
      return convolution(inputs[0]!.shape, inputs[1]!.shape);
    case 'conv2dInputGrad':
      return convolution((attrs as PrimitiveAttrs['conv2dInputGrad']).inputShape, inputs[1]!.shape);
    case 'conv2dFilterGrad':
      return convolution(inputs[0]!.shape, (attrs as PrimitiveAttrs['conv2dFilterGrad']).filterShape);
    default:
      return 0;
  }
}

export interface Counter {
  /** The backend to run the computation on: `inner`'s kernels, no custom kernels, every product counted. */
  readonly backend: Backend;
  /** FLOP counted since the last reset. */
  flop(): number;
  reset(): void;
}

/**
 * `inner` counting its products. An optional primitive it has no kernel for runs here as the core would run it
 * (its host kernel on the inputs' values), so that it is counted too.
 */
export function countingBackend(inner: Backend): Counter {
  let flop = 0;
  const own = inner.optionalPrimitives ?? new Set<OptionalPrimitive>();
  const onHost = (primitive: OptionalPrimitive, inputs: readonly TensorInfo[], attrs: never, shape: Shape): unknown => {
    const values = inputs.map((info) => ({ values: inner.read(info) as FloatValues, shape: info.shape }));
    return inner.upload((HOST_KERNELS[primitive] as HostKernel<OptionalPrimitive>)(values, attrs, shape), shape, 'float32');
  };
  const backend: Backend = {
    ...inner,
    custom: undefined,
    optionalPrimitives: new Set(OPTIONAL_PRIMITIVES),
    run(primitive, inputs, attrs, out) {
      flop += primitiveFlop(primitive, inputs, attrs, out.shape);
      if (isOptionalPrimitive(primitive) && !own.has(primitive)) return onHost(primitive, inputs, attrs as never, out.shape);
      return inner.run(primitive, inputs, attrs, out);
    },
  };
  return { backend, flop: () => flop, reset: () => void (flop = 0) };
}

/** GFLOP/s of `flop` done in `ms`. */
export const gflops = (flop: number, ms: number): number => flop / (ms * 1e6);
