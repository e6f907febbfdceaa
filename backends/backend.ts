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
 * Everything is synchronous. Handles are opaque to the core.
 */
export interface Backend<H = unknown> {
  readonly name: string;
  /** Copy host values into a new handle. `values.length` equals the product of `shape`. */
  upload(values: HostData, shape: Shape, dtype: DType): H;
  /** Copy a handle's values to the host. The result must not alias backend memory that is later mutated. */
  read(info: TensorInfo<H>): HostData;
  /** Release a handle. The core calls it exactly once per handle. */
  dispose(handle: H): void;
  /** Handles allocated and not yet disposed (for leak checks). */
  liveHandles(): number;
  /** Run one primitive. Throws UnsupportedOpError for a primitive/dtype it does not implement. */
  run<P extends Primitive>(primitive: P, inputs: readonly TensorInfo<H>[], attrs: PrimitiveAttrs[P], out: OutputSpec): H;
  /** Free everything the backend holds (tfjs engines, native pools). Optional. */
  close?(): void;
}

/** One kernel per primitive. */
export type Kernel<P extends Primitive, H> = (
  inputs: readonly TensorInfo<H>[],
  attrs: PrimitiveAttrs[P],
  out: OutputSpec,
) => H;

/** An exhaustive kernel table: a backend missing a kernel does not compile. */
export type KernelTable<H> = { [P in Primitive]: Kernel<P, H> };
