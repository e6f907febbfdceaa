/**
 * The one adapter from the Backend interface (backends/backend.ts) to tfjs-core, shared by every tfjs backend
 * (wasm, cuda, tfnode). Handles are tf.Tensor. Kernels call the engine's registered kernels directly
 * (engine.runKernel), skipping the op layer's argument conversion; tfjs' own autodiff is never used.
 *
 * Semantics follow the reference backend: comparisons return float32 0/1; `where` takes a float 0/1 condition
 * (made into tfjs' bool mask); argmax returns int32; oneHot takes int32 labels and gives float32, all zeros for
 * an out-of-range label. The kernels are in kernels.ts.
 *
 * Speed: matmul never passes transpose flags to tfjs (explicit transposes, cached while their source lives),
 * rank-0 float32 uploads are shared by value (caches.ts), slow tfjs-wasm kernels are replaced by exact
 * identities over fast ones (kernels.ts), and the attacks' and Adam's inner loops run as custom kernels that
 * skip the core's per-primitive work (custom.ts).
 */
import type { Tensor as TfTensor } from '@tensorflow/tfjs-core';
import type { Primitive, Shape } from '../../core/autodiff/primitives.js';
import { BackendError, UnsupportedOpError } from '../../core/errors.js';
import { optionalPrimitivesOf, type Backend, type CustomKernels, type HostData, type Kernel } from '../../core/autodiff/backend.js';
import type { LibraryKernels } from '../../core/nn/custom-ops.js';
import { ProductCache, ScalarCache, TransposeCache } from './caches.js';
import { tfjsConvolutionKernels } from './convolution.js';
import { tfjsCustomKernels } from './custom.js';
import { tfjsKernels } from './kernels.js';
import { DEFAULT_RENTS, matmulPlanner } from './matmul.js';
import type { WasmHeap } from './heap.js';
import { heapMatmul } from './heap-matmul.js';
import { SparseProducts, WASM_CROSSOVER, type SparseCounts, type WasmCrossover } from './sparse.js';
import type { MatmulPlanner, TfModule } from './types.js';

/** The permutation that transposes the matrices of a tensor: its last two axes swapped. */
const swapLastTwo = (rank: number): number[] => [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];


export interface TfjsAdapterOptions {
  /** rsn's name for the backend ('wasm', 'cuda', 'tfnode'). */
  readonly name: string;
  /** tfjs' name for its backend ('wasm', 'tensorflow'); the adapter checks it is the active one. */
  readonly tfBackend: string;
  /**
   * Whether the tfjs backend copies host arrays on write and returns fresh arrays on read (tfjs-wasm does).
   * When false the adapter copies, so that no host array aliases backend memory.
   */
  readonly copiesHostData: boolean;
  /** Uses of a matmul's right operand that may avoid packing it (matmul.ts); 0 always packs it. Default 2. */
  readonly matmulRents?: number;
  /**
   * tfjs-wasm's heap (simd/heap.ts): matrix products then run as the SIMD products of simd/gemm.ts, and
   * elementwise custom kernels as one-pass SIMD loops.
   */
  readonly heap?: WasmHeap;
  /**
   * With a heap: where masked weights switch to sparse products (sparse.ts; default WASM_CROSSOVER), or false
   * for dense products only.
   */
  readonly sparse?: WasmCrossover | false;
  /**
   * Run conv2d, its two gradients and maxPool as compositions of tfjs kernels (convolution.ts; checked on
   * tfjs-wasm). Default false: the core runs those optional primitives' host kernels.
   */
  readonly convolution?: boolean;
  /** Called by close(), after the adapter's own tensors are freed. */
  readonly onClose?: () => void;
}

/** The adapter, with the accounting the conformance tests read. */
export interface TfjsBackend extends Backend<TfTensor> {
  readonly tf: TfModule;
  /** tf.memory().numTensors minus the tensors held only by the adapter's caches: flat when nothing leaks. */
  engineTensors(): number;
  /** What the sparse path did (sparse.ts); zeros when it is off. */
  sparseCounts(): SparseCounts;
  /** Free the adapter's cached tensors and release tfjs for another backend; the adapter is unusable after. */
  close(): void;
}

type Attrs = Record<string, unknown>;

export function createTfjsBackend(tf: TfModule, options: TfjsAdapterOptions): TfjsBackend {
  const { name } = options;
  const engine = tf.engine();
  let closed = false;
  let live = 0;

  const kernel = (kernelName: string, inputs: Record<string, TfTensor>, attrs: Attrs = {}): TfTensor =>
    engine.runKernel(kernelName, inputs, attrs as never) as TfTensor;
  const scalars = new ScalarCache((v) => tf.scalar(v, 'float32'));
  const transposes = new TransposeCache((x) => kernel('Transpose', { x }, { perm: swapLastTwo(x.shape.length) }));

  const constants = new Map<number, TfTensor>();
  const constant = (value: number): TfTensor => {
    let t = constants.get(value);
    if (!t) constants.set(value, (t = tf.scalar(value, 'float32')));
    return t;
  };
  const products = new ProductCache((x) => kernel('Reshape', { x }, { shape: x.shape }));
  const tfjsMatmul = matmulPlanner(kernel, transposes, options.matmulRents ?? DEFAULT_RENTS);
  const dense = options.heap ? heapMatmul(options.heap, transposes, tfjsMatmul) : tfjsMatmul;
  const sparse = options.heap && options.sparse !== false ? new SparseProducts(options.heap, options.sparse ?? WASM_CROSSOVER) : undefined;
  const matmul: MatmulPlanner = sparse
    ? (a, b, transposeA, transposeB, reused) => sparse.product(a, b, transposeA, transposeB) ?? dense(a, b, transposeA, transposeB, reused)
    : dense;
  const kernels = { ...tfjsKernels({ kernel, scalars, constant, matmul, products }), ...(options.convolution ? tfjsConvolutionKernels(kernel) : {}) };
  if (sparse) {
    const multiply = kernels.mul;
    kernels.mul = (inputs, attrs, out) => {
      const product = multiply(inputs, attrs, out);
      sparse.noteProduct(inputs[0]!.handle, inputs[1]!.handle, product);
      return product;
    };
  }

  const assertOpen = (): void => {
    if (closed) throw new BackendError(`backend '${name}' was closed`, 'load it again with loadBackend() (backends/registry.ts)');
  };
  /** The custom kernels, with their outputs counted as live handles (as run() counts its result). */
  function counted(kernels: LibraryKernels<TfTensor>): CustomKernels<TfTensor> {
    const wrapped: Record<string, (inputs: never, attrs: never) => TfTensor[] | undefined> = {};
    for (const [op, k] of Object.entries(kernels) as [string, (...args: unknown[]) => TfTensor[] | undefined][]) {
      wrapped[op] = (...args: unknown[]) => {
        assertOpen();
        const outputs = k(...args);
        live += outputs?.length ?? 0;
        return outputs;
      };
    }
    return wrapped;
  }
  const custom = counted(tfjsCustomKernels({ kernel, scalars, constant, matmul, products, heap: options.heap }));

  return {
    name,
    tf,
    custom,
    upload(values: HostData, shape: Shape, dtype) {
      assertOpen();
      live++;
      if (dtype === 'float32' && shape.length === 0 && !Object.is(values[0], -0)) return scalars.acquire(Math.fround(values[0]!));
      const data = dtype === 'int32'
        ? (values instanceof Int32Array && options.copiesHostData ? values : Int32Array.from(values))
        : (values instanceof Float32Array && options.copiesHostData ? values : Float32Array.from(values));
      return tf.tensor(data, shape as number[], dtype);
    },
    read(info) {
      assertOpen();
      const values = info.handle.dataSync() as HostData;
      return options.copiesHostData ? values : values.slice();
    },
    dispose(handle) {
      live--;
      if (scalars.owns(handle)) return scalars.release(handle);
      transposes.drop(handle);
      products.drop(handle);
      sparse?.drop(handle);
      handle.dispose();
    },
    liveHandles: () => live,
    optionalPrimitives: optionalPrimitivesOf(kernels),
    engineTensors: () => tf.memory().numTensors - scalars.idle - transposes.size - products.size - constants.size - (sparse?.size ?? 0),
    sparseCounts: () => sparse?.counts() ?? { products: 0, masks: 0, held: 0 },
    run(primitive, inputs, attrs, out) {
      assertOpen();
      const k = kernels[primitive] as Kernel<Primitive, TfTensor> | undefined;
      if (!k) throw new UnsupportedOpError(primitive, inputs[0]?.dtype ?? 'none', name);
      let result: TfTensor;
      try {
        result = k(inputs, attrs, out);
      } catch (error) {
        if (error instanceof BackendError) throw error;
        throw new BackendError(
          `tfjs backend '${options.tfBackend}' failed on '${primitive}' (${inputs.map((t) => `${t.dtype}[${t.shape}]`).join(', ')}): ${(error as Error).message}`,
          'run on the reference backend (--backend reference) to check whether the inputs are at fault',
        );
      }
      live++;
      return result;
    },
    close() {
      if (closed) return;
      closed = true;
      scalars.clear();
      transposes.clear();
      products.clear();
      sparse?.clear();
      constants.forEach((t) => t.dispose());
      constants.clear();
      options.onClose?.();
    },
  };
}
