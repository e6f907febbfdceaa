/**
 * The native backend: the primitive kernels run in C (native/src, an N-API addon), the matrix product through
 * the library the addon was built on, oneDNN's dnnl_sgemm or OpenBLAS's cblas_sgemm (native/install.cjs).
 * Handles are JS typed arrays recycled by a pool; the addon reads and writes them in place. Single-threaded by
 * default; RSN_NATIVE_THREADS=n (or the `threads` option) gives the products n threads.
 * Masked weights below a measured density run on sparse kernels (sparse.ts), unseen by the core.
 */
import type { Primitive, PrimitiveAttrs } from '../../core/autodiff/primitives.js';
import { matmulBatches, sameShape, sizeOf } from '../../core/autodiff/shapes.js';
import { UnsupportedOpError } from '../../core/errors.js';
import { optionalPrimitivesOf, type Backend, type Kernel, type KernelTable, type OutputSpec, type TensorInfo } from '../../core/autodiff/backend.js';
import type { CustomOps, LibraryKernels } from '../../core/nn/custom-ops.js';
import { BINARY_CODES, REDUCE_CODES, UNARY_CODES, loadAddon, type NativeAddon, type ProductLibrary } from './addon.js';
import { broadcastPlan, reductionView, transposePlan } from './plan.js';
import { BufferPool } from './pool.js';
import { CROSSOVER, type Crossover } from './crossover.js';
import { convolutionKernels } from './conv.js';
import { LaneForms } from './lanes.js';
import { MaskFusion, type MaskCounts } from './masked.js';
import { mlpKernels } from './mlp.js';
import { SparseKernels, type SparseCounts } from './sparse.js';

export type NativeHandle = Float32Array | Int32Array;
type Info = TensorInfo<NativeHandle>;
/** A kernel that takes any primitive's attributes: fits every slot of the table it is shared by. */
type Shared = (inputs: readonly Info[], attrs: unknown, out: OutputSpec) => NativeHandle;

export interface NativeOptions {
  /** Threads for the matrix products (default: RSN_NATIVE_THREADS, else 1). */
  readonly threads?: number;
  /** Provide the custom kernels (default true); false leaves the core to run their compositions. */
  readonly custom?: boolean;
  /**
   * Densities below which masked weights use the sparse kernels (default: the measured CROSSOVER);
   * `false` keeps every product dense.
   */
  readonly sparse?: Crossover | false;
}

/** The library of the matrix products, as trial manifests and `rsn backends` report it. */
export interface ProductsInfo {
  readonly library: ProductLibrary;
  /** The library's description of its build (version, threading, instruction set). */
  readonly config: string;
  readonly threads: number;
}

/** The native backend, plus what its sparse path did (for tests and benchmarks; the core never asks). */
export interface NativeBackend extends Backend<NativeHandle> {
  /** Counts of the sparse kernels run so far (all zero when the sparse path is off). */
  sparseCounts(): SparseCounts;
  /** Which library runs the matrix products, and with how many threads. */
  products(): ProductsInfo;
  /** Counts of Adam fused with the mask (masked.ts). */
  maskCounts(): MaskCounts;
}

/** `addon` is the compiled addon (tests and profiling may substitute their own). */
export function createNativeBackend(options: NativeOptions = {}, addon: NativeAddon = loadAddon()): NativeBackend {
  if (options.threads !== undefined) addon.setThreads(options.threads);
  const pool = new BufferPool();
  const sparse = options.sparse === false ? undefined : new SparseKernels(addon, pool, options.sparse ?? CROSSOVER);
  const laneForms = new LaneForms(addon);
  /** Write the row-major values of handles that only have a lane form (lanes.ts). */
  const fromLanes = (inputs: readonly Info[]): void => {
    for (const t of inputs) laneForms.materialize(t.handle);
  };
  /** Write a handle's values deferred by the lane forms and the sparse path. */
  const materializeOther = (handle: NativeHandle): void => {
    laneForms.materialize(handle);
    sparse?.materialize(handle);
  };
  const masked = new MaskFusion(addon, pool, materializeOther);
  /** Write every deferred value of the inputs (lane forms, compact forms, masked products) before a dense kernel reads them. */
  const materialize = (inputs: readonly Info[]): void => {
    for (const t of inputs) {
      materializeOther(t.handle);
      masked.materialize(t.handle);
    }
  };
  const f = (t: Info): Float32Array => t.handle as Float32Array;
  const alloc = (out: OutputSpec): Float32Array => pool.float32(sizeOf(out.shape));

  const binary = (code: number): Shared => ([a, b], _, out) => {
    const result = alloc(out);
    const aFull = sameShape(a!.shape, out.shape);
    const bFull = sameShape(b!.shape, out.shape);
    const aOne = f(a!).length === 1;
    const bOne = f(b!).length === 1;
    if ((aFull || aOne) && (bFull || bOne)) addon.binary(code, f(a!), f(b!), result, aFull ? 1 : 0, bFull ? 1 : 0);
    else addon.binaryPlan(code, f(a!), f(b!), result, broadcastPlan([a!.shape, b!.shape], out.shape));
    return result;
  };
  const unary = (code: number): Shared => ([x]) => {
    const result = pool.float32(f(x!).length);
    addon.unary(code, f(x!), result);
    return result;
  };
  const reduce = (code: number): Shared => ([x], attrs, out) => {
    const { axes } = attrs as { axes: readonly number[] };
    const result = alloc(out);
    const view = reductionView(x!.shape, axes);
    if (view) {
      addon.reduce(code, f(x!), result, ...view);
      return result;
    }
    // Move the reduced axes to the end, then reduce the contiguous tail.
    const kept = x!.shape.map((_, i) => i).filter((i) => !axes.includes(i));
    const moved = pool.float32(f(x!).length);
    addon.gather(f(x!), moved, transposePlan(x!.shape, [...kept, ...axes]));
    const reduced = axes.reduce((n, a) => n * x!.shape[a]!, 1);
    addon.reduce(code, moved, result, result.length, reduced, 1);
    pool.release(moved);
    return result;
  };

  const kernels: KernelTable<NativeHandle> = {
    add: binary(BINARY_CODES.add),
    sub: binary(BINARY_CODES.sub),
    mul: binary(BINARY_CODES.mul),
    div: binary(BINARY_CODES.div),
    maximum: binary(BINARY_CODES.maximum),
    minimum: binary(BINARY_CODES.minimum),
    greater: binary(BINARY_CODES.greater),
    greaterEqual: binary(BINARY_CODES.greaterEqual),
    equal: binary(BINARY_CODES.equal),
    where: ([c, a, b], _, out) => {
      const result = alloc(out);
      addon.where(f(c!), f(a!), f(b!), result, broadcastPlan([c!.shape, a!.shape, b!.shape], out.shape));
      return result;
    },
    neg: unary(UNARY_CODES.neg),
    exp: unary(UNARY_CODES.exp),
    log: unary(UNARY_CODES.log),
    sqrt: unary(UNARY_CODES.sqrt),
    sign: unary(UNARY_CODES.sign),
    clip: ([x], { min, max }) => {
      const result = pool.float32(f(x!).length);
      addon.clip(f(x!), result, min, max);
      return result;
    },
    matmul: ([a, b], { transposeA, transposeB }, out) => {
      const result = alloc(out);
      const rank = a!.shape.length;
      const k = transposeA ? a!.shape[rank - 2]! : a!.shape[rank - 1]!;
      const [m, n] = [out.shape[out.shape.length - 2]!, out.shape[out.shape.length - 1]!];
      if (a!.shape.length === 2 && b!.shape.length === 2) {
        addon.matmul(f(a!), f(b!), result, m, n, k, transposeA ? 1 : 0, transposeB ? 1 : 0);
        return result;
      }
      // One sgemm per output matrix on views of the operands (the addon reads typed arrays at their offsets).
      const batches = matmulBatches(a!.shape, b!.shape);
      const [sizeA, sizeB] = [m * k, k * n];
      for (let t = 0; t < batches.count; t++) {
        addon.matmul(
          f(a!).subarray(batches.a[t]! * sizeA, (batches.a[t]! + 1) * sizeA), f(b!).subarray(batches.b[t]! * sizeB, (batches.b[t]! + 1) * sizeB),
          result.subarray(t * m * n, (t + 1) * m * n), m, n, k, transposeA ? 1 : 0, transposeB ? 1 : 0,
        );
      }
      return result;
    },
    sum: reduce(REDUCE_CODES.sum),
    max: reduce(REDUCE_CODES.max),
    reshape: ([x]) => {
      const result = x!.dtype === 'int32' ? pool.int32(x!.handle.length) : pool.float32(x!.handle.length);
      result.set(x!.handle);
      return result;
    },
    transpose: ([x], { perm }) => {
      const result = x!.dtype === 'int32' ? pool.int32(x!.handle.length) : pool.float32(x!.handle.length);
      addon.gather(x!.handle, result, transposePlan(x!.shape, perm));
      return result;
    },
    broadcastTo: ([x], _, out) => {
      const n = sizeOf(out.shape);
      const result = x!.dtype === 'int32' ? pool.int32(n) : pool.float32(n);
      if (x!.handle.length === 1) result.fill(x!.handle[0]!);
      else addon.gather(x!.handle, result, broadcastPlan([x!.shape], out.shape));
      return result;
    },
    argmax: ([x], { axis }, out) => {
      const result = pool.int32(sizeOf(out.shape));
      const [outer, reduced, inner] = reductionView(x!.shape, [axis])!;
      if (reduced > 0) addon.argmax(f(x!), result, outer, reduced, inner);
      else result.fill(0);
      return result;
    },
    oneHot: ([x], { depth }, out) => {
      const result = alloc(out);
      addon.oneHot(x!.handle as Int32Array, result, depth);
      return result;
    },
    ...convolutionKernels(addon, pool),
  };

  /**
   * A PGD step whose gradient has a lane form (the fused input gradient's output): the same elementwise kernel on
   * the lane forms of x, current and g, and a result that keeps its lane form (lanes.ts).
   */
  const pgdStepInLanes = (inputs: readonly Info[], attrs: CustomOps<unknown>['pgdStep']['attrs']): Float32Array | undefined => {
    const [x, current, g] = inputs as [Info, Info, Info];
    if (x.shape.length !== 2) return undefined;
    const [m, cols] = [x.shape[0]!, x.shape[1]!];
    const gT = laneForms.get(g.handle, m, cols);
    if (!gT) return undefined;
    materialize([x]);
    const xT = laneForms.get(x.handle, m, cols) ?? laneForms.of(f(x), m, cols);
    let curT = laneForms.get(current.handle, m, cols);
    let scratch: Float32Array | undefined;
    if (!curT) {
      materialize([current]);
      curT = scratch = pool.float32(gT.length);
      addon.toLanes(f(current), m, cols, scratch);
    }
    const outT = pool.float32(gT.length);
    addon.pgdStep(xT, curT, gT, outT, attrs.step, attrs.eps, attrs.min, attrs.max);
    if (scratch) pool.release(scratch);
    const result = pool.float32(m * cols);
    laneForms.attach(result, outT, m, cols, () => pool.release(outT));
    return result;
  };

  /** Whether tensors all have one shape (the elementwise kernels' requirement; otherwise the composition broadcasts). */
  const same = (...infos: readonly Info[]) => infos.every((t) => sameShape(t.shape, infos[0]!.shape));
  const matrices = (...infos: readonly Info[]) => infos.every((t) => t.shape.length === 2);
  const mlp = mlpKernels(addon, pool, sparse, laneForms, (t) => materialize([t]));
  const custom: LibraryKernels<NativeHandle> = {
    adam: (named, attrs) => {
      const inputs = [named.w, named.g, named.m, named.v];
      if (!same(...inputs)) return undefined;
      fromLanes(inputs);
      const sparseResult = sparse?.adam(inputs, attrs);
      if (sparseResult) return sparseResult;
      const maskedResult = masked.adam(inputs, attrs);
      if (maskedResult) return maskedResult;
      materialize(inputs);
      const [w, g, m, v] = inputs;
      const { learningRate, beta1, beta2, epsilon } = attrs;
      const n = f(w!).length;
      const [wOut, mOut, vOut] = [pool.float32(n), pool.float32(n), pool.float32(n)];
      addon.adam(f(w!), f(g!), f(m!), f(v!), wOut, mOut, vOut, learningRate, beta1, beta2, epsilon);
      return [wOut, mOut, vOut];
    },
    signStep: ({ x: xIn, g: gIn }, { scale, min, max }) => {
      const inputs = [xIn, gIn];
      if (!same(...inputs)) return undefined;
      materialize(inputs);
      const [x, g] = inputs;
      const result = pool.float32(f(x!).length);
      addon.signStep(f(x!), f(g!), result, scale, min, max);
      return [result];
    },
    pgdStep: (named, { step, eps, min, max }) => {
      const inputs = [named.x, named.current, named.g];
      if (!same(...inputs)) return undefined;
      const inLanes = pgdStepInLanes(inputs, { step, eps, min, max });
      if (inLanes) return [inLanes];
      materialize(inputs);
      const [x, current, g] = inputs;
      const result = pool.float32(f(x!).length);
      addon.pgdStep(f(x!), f(current!), f(g!), result, step, eps, min, max);
      return [result];
    },
    // Written for one network (rank-2 operands); a trial axis, an L1 penalty and the clipped-probability loss are
    // left to the compositions.
    fgsmAttack: ({ x, weights }, attrs) => (matrices(x, ...weights) ? mlp.fgsmAttack(x, weights, attrs) : undefined),
    pgdAttack: ({ x, noise, weights }, attrs) =>
      (noise.length <= 1 && matrices(x, ...noise, ...weights) && noise.every((n) => sameShape(n.shape, x.shape))
        ? mlp.pgdAttack(x, noise[0], weights, attrs)
        : undefined),
    mlpForward: ({ x, weights }) => (matrices(x, ...weights) ? mlp.mlpForward([x, ...weights]) : undefined),
    mlpInputGradient: ({ x, targets, weights }) => (matrices(x, targets, ...weights) ? mlp.mlpInputGradient([x, targets, ...weights]) : undefined),
    mlpTrainingGradients: ({ batches, targets, weights }, { l1, loss }) => {
      if (l1 !== 0 || loss !== 'logits' || batches.length < 1 || batches.length > 2 || !matrices(targets, ...batches, ...weights)) return undefined;
      return mlp.mlpTrainingGradients([...batches, targets, ...weights], { adversarial: batches.length === 2 });
    },
  };

  return {
    name: 'native',
    upload(values, _shape, dtype) {
      const handle = dtype === 'int32' ? pool.int32(values.length) : pool.float32(values.length);
      handle.set(values);
      return handle;
    },
    read(info) {
      materialize([info]);
      return info.handle.slice();
    },
    dispose(handle) {
      mlp.forget(handle);
      laneForms.forget(handle);
      sparse?.forget(handle);
      if (masked.dispose(handle)) pool.release(handle);
    },
    liveHandles: () => pool.liveCount(),
    optionalPrimitives: optionalPrimitivesOf(kernels),
    maskCounts: () => ({ ...masked.counts }),
    products: () => ({ library: addon.library(), config: addon.libraryConfig(), threads: addon.getThreads() }),
    sparseCounts: () => {
      const counts = sparse?.snapshot() ?? { layouts: 0, products: 0, sampled: 0, adam: 0, materialized: 0, held: 0 };
      return { ...counts, held: counts.held + laneForms.held() + mlp.held() + masked.heldBuffers() };
    },
    run(primitive, inputs, attrs, out) {
      const kernel = kernels[primitive] as Kernel<Primitive, NativeHandle> | undefined;
      if (!kernel) throw new UnsupportedOpError(primitive, inputs[0]?.dtype ?? 'none', 'native');
      fromLanes(inputs);
      for (const t of inputs) masked.materialize(t.handle);
      if (sparse) {
        if (primitive === 'mul') {
          const result = sparse.mul(inputs[0]!, inputs[1]!, out);
          if (result) return result;
        } else if (primitive === 'matmul') {
          const { transposeA, transposeB } = attrs as PrimitiveAttrs['matmul'];
          const result = sparse.matmul(inputs[0]!, inputs[1]!, transposeA, transposeB, out);
          if (result) return result;
        }
        materialize(inputs);
      }
      if (primitive === 'mul') {
        const result = masked.mul(inputs[0]!, inputs[1]!, out);
        if (result) return result;
      }
      return kernel(inputs, attrs, out);
    },
    ...(options.custom === false ? {} : { custom }),
    close() {
      mlp.clear();
      masked.clear();
      laneForms.clear();
      sparse?.clear();
      pool.clear();
    },
  };
}
