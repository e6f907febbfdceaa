import { OPTIONAL_PRIMITIVES, type DType, type OptionalPrimitive, type Primitive, type PrimitiveAttrs, type RequiredPrimitive, type Shape } from './primitives.js';

/** Host-side values of a tensor. Float64Array only appears on the float64 reference backend used as a test oracle. */
export type HostData = Float32Array | Float64Array | Int32Array;

/** What a kernel knows about one of its inputs. */
export interface TensorInfo<H = unknown> {
  readonly handle: H;
  readonly shape: Shape;
  readonly dtype: DType;
}

/** Output shape and dtype, inferred once by the core (shapes.ts) before the kernel runs. */
export interface OutputSpec {
  readonly shape: Shape;
  readonly dtype: DType;
}

/**
 * A compute backend: owns the memory behind tensor handles and runs the primitive kernels. This is the whole
 * contract between the core and a backend; it knows nothing of models, losses or attacks.
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
  /**
   * Run one primitive. Throws UnsupportedOpError for a primitive/dtype it does not implement. The core calls it
   * for every required primitive, and for an optional one only when `optionalPrimitives` lists it.
   */
  run<P extends Primitive>(primitive: P, inputs: readonly TensorInfo<H>[], attrs: PrimitiveAttrs[P], out: OutputSpec): H;
  /**
   * The optional primitives (primitives.ts, OPTIONAL_PRIMITIVES: convolution, pooling) this backend has kernels
   * for. For any other the core reads the inputs, runs the host kernel (autodiff/host-kernels/) and uploads the
   * result, so a model built on them trains on every backend. Absent: none.
   */
  readonly optionalPrimitives?: ReadonlySet<OptionalPrimitive>;
  /** Free everything the backend holds (tfjs engines, native pools). Optional. */
  close?(): void;
  /**
   * Present on a backend that runs many networks best as one computation (a GPU): the largest buffer one
   * tensor may occupy, which bounds how many networks can be stacked on a leading axis. Optional.
   */
  readonly stacking?: { readonly maxBufferBytes: number };
  /**
   * Optional accelerations of compositions, by name (custom.ts): the core asks for one where it could run the
   * composition that defines it, and runs that composition whenever this has no kernel of the name or the kernel
   * declines. The names and attributes belong to the code that calls them, not to this contract.
   */
  readonly custom?: CustomKernels<H>;
}

/**
 * A custom kernel: its inputs by name (engine.ts, CustomInputs, with TensorInfo<H> for tensors) and attributes
 * in, new float32 output handles out; or `undefined` to decline inputs it does not handle (other shapes), and
 * the core runs the composition instead. Its parameter types belong to the caller (for the library's kernels,
 * core/nn/custom-ops.ts); `never` here lets any such kernel fill a slot of the table.
 */
export type CustomKernel<H> = (inputs: never, attrs: never) => H[] | undefined;

/** A backend's custom kernels by name. Each one is checked against the composition that defines it. */
export type CustomKernels<H> = Readonly<Record<string, CustomKernel<H> | undefined>>;

/** One kernel per primitive. */
export type Kernel<P extends Primitive, H> = (
  inputs: readonly TensorInfo<H>[],
  attrs: PrimitiveAttrs[P],
  out: OutputSpec,
) => H;

/**
 * A kernel table: every required primitive (a backend missing one does not compile) and any optional ones; list
 * the optional ones present as the backend's `optionalPrimitives` (optionalPrimitivesOf).
 */
export type KernelTable<H> = { [P in RequiredPrimitive]: Kernel<P, H> } & { [P in OptionalPrimitive]?: Kernel<P, H> };

/** The optional primitives a kernel table has kernels for. */
export const optionalPrimitivesOf = <H>(table: KernelTable<H>): ReadonlySet<OptionalPrimitive> =>
  new Set(OPTIONAL_PRIMITIVES.filter((p) => table[p] !== undefined));

/**
 * The same backend without its custom kernels: every custom op then runs its composition. Tests and benchmarks
 * compare the two paths with it; tensors made while it is active belong to it, and it shares the original's
 * memory and handles.
 */
export const withoutCustomKernels = <H>(backend: Backend<H>): Backend<H> => ({ ...backend, custom: undefined });

/**
 * The same backend without its kernels of optional primitives: the core then runs their host kernels. Tests
 * use it to show that a model trains through the fallback; like withoutCustomKernels it shares the original's memory.
 */
export const withoutOptionalPrimitives = <H>(backend: Backend<H>): Backend<H> => ({ ...backend, optionalPrimitives: undefined });
