/**
 * op(A) @ op(B) on tfjs-wasm's heap with the SIMD products of gemm.ts, which read their operands where they
 * are: no packing, and a transposed A costs nothing (read with swapped strides). A transposed B is made
 * explicit once per source tensor (TransposeCache: a weight's transpose serves every input gradient of a
 * step). Products with an empty dimension, or of other than float32 operands, go to `fallback`, the tfjs
 * kernel path.
 */
import type { Tensor as TfTensor } from '@tensorflow/tfjs-core';
import type { TransposeCache } from './caches.js';
import { broadcastShapes, matmulBatches } from '../../core/autodiff/shapes.js';
import type { MatmulPlanner } from './types.js';
import type { WasmHeap } from './heap.js';

export function heapMatmul(heap: WasmHeap, transposes: TransposeCache, fallback: MatmulPlanner): MatmulPlanner {
  return (a, b, transposeA, transposeB, reused) => {
    const [ra, rb] = [a.shape.length, b.shape.length];
    const [m, k] = transposeA ? [a.shape[ra - 1]!, a.shape[ra - 2]!] : [a.shape[ra - 2]!, a.shape[ra - 1]!];
    const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
    if (m === 0 || k === 0 || n === 0 || a.dtype !== 'float32' || b.dtype !== 'float32') {
      return fallback(a, b, transposeA, transposeB, reused);
    }
    const right: TfTensor = transposeB ? transposes.get(b) : b;
    const gemm = heap.gemm({ m, k, n, rowStride: transposeA ? 1 : k, depthStride: transposeA ? m : 1 });
    if (ra === 2 && rb === 2) {
      const c = heap.alloc([m, n]);
      gemm(heap.offset(a), heap.offset(right), heap.offset(c));
      return c;
    }
    // A trial axis: one product per output matrix, each the rank-2 product of its slices (byte offsets).
    const batches = matmulBatches(a.shape, b.shape);
    const c = heap.alloc([...broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2)), m, n]);
    const [offA, offB, offC] = [heap.offset(a), heap.offset(right), heap.offset(c)];
    for (let t = 0; t < batches.count; t++) gemm(offA + 4 * batches.a[t]! * m * k, offB + 4 * batches.b[t]! * k * n, offC + 4 * t * m * n);
    return c;
  };
}
