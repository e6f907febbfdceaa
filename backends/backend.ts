import type { DType, Primitive, PrimitiveAttrs, Shape } from '../core/autodiff/primitives.js';

/** Host-side values of a tensor. Float64Array only appears on the float64 reference backend used as a test oracle. */
export type HostData = Float32Array | Float64Array | Int32Array;

/** What a kernel knows about one of its inputs. */
export interface TensorInfo<H = unknown> {
  readonly handle: H;
  readonly shape: Shape;
  readonly dtype: DType;
}

/** Output shape and dtype, inferred once by the core (core/autodiff/shapes.ts) before the kernel runs. */
export interface OutputSpec {
  readonly shape: Shape;
  readonly dtype: DType;
}

/**
 * A compute backend: owns the memory behind tensor handles and runs the primitive kernels.
 * Everything is synchronous except readAsync. Handles are opaque to the core.
 */
export interface Backend<H = unknown> {
  readonly name: string;
  /** Copy host values into a new handle. `values.length` equals the product of `shape`. */
  upload(values: HostData, shape: Shape, dtype: DType): H;
  /** Copy a handle's values to the host. The result must not alias backend memory that is later mutated. */
  read(info: TensorInfo<H>): HostData;
  /**
   * The same copy, asynchronously (Tensor.data() uses it when present). Optional: a GPU backend that cannot
   * wait for the device synchronously provides it and may throw a BackendError from read(). The copy must
   * capture the handle's current values before this returns, so that the handle may be disposed at once.
   */
  readAsync?(info: TensorInfo<H>): Promise<HostData>;
  /** Release a handle. The core calls it exactly once per handle. */
  dispose(handle: H): void;
  /** Handles allocated and not yet disposed (for leak checks). */
  liveHandles(): number;
  /** Run one primitive. Throws UnsupportedOpError for a primitive/dtype it does not implement. */
  run<P extends Primitive>(primitive: P, inputs: readonly TensorInfo<H>[], attrs: PrimitiveAttrs[P], out: OutputSpec): H;
  /** Free everything the backend holds (tfjs engines, native pools). Optional. */
  close?(): void;
  /** Fused kernels this backend provides (any subset; see FusedAttrs). Optional. */
  readonly fused?: FusedKernels<H>;
}

/**
 * Optional fused kernels: several primitives in one pass. Each is DEFINED by the primitive composition written
 * next to its one call site in the core, which the core runs instead whenever a backend lacks the kernel
 * (core/autodiff/engine.ts, fused()). So a backend may provide any subset, and every fused kernel has its
 * composition as test oracle. The core calls a fused kernel only when all inputs are float32 tensors (of one
 * shape for the elementwise kernels, ELEMENTWISE_FUSED), outputs have the shapes the call site gives (by
 * default that of the first input), and no gradient is being recorded through the inputs: fused kernels have
 * no VJP rules. In the compositions scalars are float32 tensors: a kernel that rounds its scalar attributes to
 * float32 and evaluates the same float32 operations in the same order reproduces the composition exactly.
 */
export interface FusedAttrs {
  /**
   * Adam (core/nn/adam.ts). Inputs [w, g, m, v], outputs [w', m', v']:
   * m' = m*b1 + g*(1-b1);  v' = v*b2 + (g*g)*(1-b2);  w' = w - (m' / (sqrt(v') + epsilon)) * learningRate.
   */
  adam: { learningRate: number; beta1: number; beta2: number; epsilon: number };
  /** Signed gradient step (core/attacks/attack.ts). Inputs [x, g], output clip(x + sign(g)*scale, min, max). */
  signStep: { scale: number; min: number; max: number };
  /**
   * One PGD iteration (core/attacks/pgd.ts). Inputs [x, current, g], output
   * clip(x + clip(clip(current + sign(g)*step, min, max) - x, -eps, eps), min, max).
   */
  pgdStep: { step: number; eps: number; min: number; max: number };
  /**
   * The attacks' input gradient (core/attacks/attack.ts, inputGradient). Inputs [x, targets, W_1, ..., W_L]
   * with x [n, d_0], targets [n, d_L], W_i [d_(i-1), d_i]; output [n, d_0]: the gradient with respect to x of
   * mean_n CE(targets, softmax(f(x))), f(x) = relu(...relu(x @ W_1)...) @ W_L, evaluated as reverse-mode
   * autodiff of that composition does (core/autodiff/grad.ts).
   */
  mlpInputGradient: Record<string, never>;
  /**
   * A training step's loss and its gradient with respect to the effective weights (core/nn/train-step.ts,
   * without the L1 penalty). Inputs [x, targets, W_1, ..., W_L], or [x, x_adv, targets, W_1, ..., W_L] when
   * `adversarial`; outputs [loss (shape []), dL/dW_1, ..., dL/dW_L]: the value and gradients that reverse-mode
   * autodiff of CE(targets, f(x)), or 0.5 CE(targets, f(x)) + 0.5 CE(targets, f(x_adv)), computes.
   */
  mlpTrainingGradients: { adversarial: boolean };
}

/** The fused kernels whose inputs all have one shape (every other one checks its own shapes). */
export const ELEMENTWISE_FUSED: ReadonlySet<FusedOp> = new Set<FusedOp>(['adam', 'signStep', 'pgdStep']);
export type FusedOp = keyof FusedAttrs;

/** A fused kernel: input handles and attributes in, new output handles out. */
export type FusedKernel<F extends FusedOp, H> = (inputs: readonly TensorInfo<H>[], attrs: FusedAttrs[F]) => H[];
/** The fused kernels of one backend (methods, so that Backend<H> stays assignable to Backend<unknown>). */
export interface FusedKernels<H> {
  adam?(inputs: readonly TensorInfo<H>[], attrs: FusedAttrs['adam']): H[];
  signStep?(inputs: readonly TensorInfo<H>[], attrs: FusedAttrs['signStep']): H[];
  pgdStep?(inputs: readonly TensorInfo<H>[], attrs: FusedAttrs['pgdStep']): H[];
  mlpInputGradient?(inputs: readonly TensorInfo<H>[], attrs: FusedAttrs['mlpInputGradient']): H[];
  mlpTrainingGradients?(inputs: readonly TensorInfo<H>[], attrs: FusedAttrs['mlpTrainingGradients']): H[];
}

/** One kernel per primitive. */
export type Kernel<P extends Primitive, H> = (
  inputs: readonly TensorInfo<H>[],
  attrs: PrimitiveAttrs[P],
  out: OutputSpec,
) => H;

/** An exhaustive kernel table: a backend missing a kernel does not compile. */
export type KernelTable<H> = { [P in Primitive]: Kernel<P, H> };
