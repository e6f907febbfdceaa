/**
 * The webgpu kernels of the custom ops denseRelu and denseReluGradient (core/nn/custom-ops.ts): a hidden dense
 * layer's relu(x @ w) as one dispatch, and the cotangents of x and w as one dispatch each, the ReLU's mask applied
 * as the cotangent is read. Each is the tiled product of matmul.ts in a fused form (the same program but for the
 * ReLU at the store or the mask at the load), so the depth is accumulated in the same order and the results equal
 * the compositions' on the same device, bit for bit. Leading axes: an operand either has the product's batch or
 * is one matrix shared by all (as the stacked networks use them); other broadcasts decline.
 */
import type { Shape } from '../../../core/autodiff/primitives.js';
import { broadcastShapes, sameShape, sizeOf } from '../../../core/autodiff/shapes.js';
import type { LibraryKernels } from '../../../core/nn/custom-ops.js';
import type { Info, KernelContext, WebgpuHandle } from './context.js';
import { batchStride, matmulInto } from './matmul.js';

/** Workgroups per dimension at most: the batch is the z dimension. */
const MAX_BATCH = 65535;

interface Layer {
  readonly batch: Shape;
  /** Rows of x, its columns (the depth of the forward product) and the columns of w. */
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly strideX: number;
  readonly strideW: number;
}

/** The layout of x [..., m, k] @ w [..., k, n], or undefined (decline) for an empty product or another broadcast. */
function layerOf(x: Info, w: Info): Layer | undefined {
  if (x.shape.length < 2 || w.shape.length < 2 || x.dtype !== 'float32' || w.dtype !== 'float32') return undefined;
  const [m, k] = x.shape.slice(-2) as [number, number];
  const [depth, n] = w.shape.slice(-2) as [number, number];
  if (k !== depth || m === 0 || n === 0) return undefined;
  const batch = broadcastShapes(x.shape.slice(0, -2), w.shape.slice(0, -2));
  const [strideX, strideW] = [batchStride(x, batch, m * k), batchStride(w, batch, k * n)];
  if (strideX === undefined || strideW === undefined || sizeOf(batch) === 0 || sizeOf(batch) > MAX_BATCH) return undefined;
  return { batch, m, k, n, strideX, strideW };
}

export function denseReluKernels(ctx: KernelContext): Pick<LibraryKernels<WebgpuHandle>, 'denseRelu' | 'denseReluGradient'> {
  return {
    denseRelu: ({ x, w }) => {
      const layer = layerOf(x, w);
      if (!layer) return undefined;
      const { batch, m, k, n, strideX, strideW } = layer;
      const out = ctx.output(sizeOf(batch) * m * n);
      matmulInto(ctx, x.handle, w.handle, out, {
        m, n, k, transposeA: false, transposeB: false, batch: sizeOf(batch), strides: [strideX, strideW, m * n], fusion: 'relu',
      });
      return [out];
    },
    denseReluGradient: ({ x, w, activation, cotangent }, { inputGradient, weightGradient }) => {
      const layer = layerOf(x, w);
      if (!layer || (!inputGradient && !weightGradient)) return undefined;
      const { batch, m, k, n, strideX, strideW } = layer;
      const shape = [...batch, m, n];
      if ([activation, cotangent].some((t) => t.dtype !== 'float32' || !sameShape(t.shape, shape))) return undefined;
      const strideG = batch.length === 0 ? 0 : m * n;
      const products = sizeOf(batch);
      const outputs: WebgpuHandle[] = [];
      if (inputGradient) {
        // (cotangent * mask) [m, n] @ w^T [n, k]
        const dx = ctx.output(products * m * k);
        matmulInto(ctx, cotangent.handle, w.handle, dx, {
          m, n: k, k: n, transposeA: false, transposeB: true, batch: products, strides: [strideG, strideW, m * k], fusion: 'maskA',
        }, activation.handle);
        outputs.push(dx);
      }
      if (weightGradient) {
        // x^T [k, m] @ (cotangent * mask) [m, n]
        const dw = ctx.output(products * k * n);
        matmulInto(ctx, x.handle, cotangent.handle, dw, {
          m: k, n, k: m, transposeA: true, transposeB: false, batch: products, strides: [strideX, strideG, k * n], fusion: 'maskB',
        }, activation.handle);
        outputs.push(dw);
      }
      return outputs;
    },
  };
}
