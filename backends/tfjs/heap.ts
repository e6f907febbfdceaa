/**
 * tfjs-wasm's heap as the SIMD kernels see it (simd/): tensors are float32 arrays at byte offsets in the
 * WebAssembly memory of tfjs-wasm's module, which the kernels' module imports. Only tfjs-wasm keeps tensors
 * where a WebAssembly module can address them; the other tfjs backends get no heap.
 */
import type { Tensor as TfTensor } from '@tensorflow/tfjs-core';
import type { TfModule } from './types.js';
import { gemmKernels, simdKernels, sparseKernels, type Gemm, type GemmShape, type SimdKernels, type SparseKernels } from './simd/index.js';

export interface WasmHeap {
  readonly kernels: SimdKernels;
  /** The matrix product function for one shape (simd/gemm.ts), compiled on first use. */
  gemm(shape: GemmShape): Gemm;
  /** The sparse products on the lane layout for batches padded to `lanes` (simd/sparse.ts), compiled on first use. */
  sparse(lanes: number): SparseKernels;
  /** A float32 / int32 view of a tensor's data (valid until the heap grows: make a new one per use). */
  floats(t: TfTensor): Float32Array;
  ints(t: TfTensor): Int32Array;
  /** A new, uninitialised float32 tensor of `shape` in the heap. */
  alloc(shape: readonly number[]): TfTensor;
  /** The byte offset of a float32 tensor's data. */
  offset(t: TfTensor): number;
}

/** The parts of tfjs-wasm's BackendWasm (4.22) used here. */
interface BackendWasmLike {
  wasm?: { asm?: { memory?: object } };
  makeOutput(shape: number[], dtype: 'float32'): { dataId: object; shape: number[]; dtype: 'float32' };
  typedArrayFromHeap(info: { dataId: object; shape: number[]; dtype: string }): { byteOffset: number };
}

/** The heap of the active tfjs-wasm backend, or undefined when this tfjs-wasm does not expose what is needed. */
export function wasmHeap(tf: TfModule): WasmHeap | undefined {
  const backend = tf.findBackend('wasm') as unknown as Partial<BackendWasmLike> | null;
  const memory = backend?.wasm?.asm?.memory;
  if (!backend || !memory || typeof backend.makeOutput !== 'function' || typeof backend.typedArrayFromHeap !== 'function') return undefined;
  const wasm = backend as BackendWasmLike;
  const engine = tf.engine();
  const byLanes = new Map<number, SparseKernels>();
  const offset = (t: TfTensor) => wasm.typedArrayFromHeap(t).byteOffset;
  const buffer = () => (memory as { buffer: ArrayBuffer }).buffer;
  return {
    kernels: simdKernels(memory),
    gemm: gemmKernels(memory),
    sparse: (lanes) => {
      let kernels = byLanes.get(lanes);
      if (!kernels) byLanes.set(lanes, (kernels = sparseKernels(memory, lanes)));
      return kernels;
    },
    floats: (t) => new Float32Array(buffer(), offset(t), t.size),
    ints: (t) => new Int32Array(buffer(), offset(t), t.size),
    alloc: (shape) => engine.makeTensorFromTensorInfo(wasm.makeOutput([...shape], 'float32')),
    offset,
  };
}
