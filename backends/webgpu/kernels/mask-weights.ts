/**
 * The webgpu kernel of the custom op maskWeights (core/nn/custom-ops.ts): every layer's effective weights W_l * M_l
 * in one dispatch, one invocation per element of all layers together, each product the mul kernel's expression
 * (elementwise.ts), so the results equal the composition's muls bit for bit. A dispatch binds a weight, its mask
 * and the product per layer: where the device binds fewer storage buffers than three per layer, the layers are
 * split into as few dispatches as fit. Declines (the composition runs) for a mask whose shape differs from its
 * weight's, or a device that cannot bind one layer.
 */
import { sameShape, sizeOf } from '../../../core/autodiff/shapes.js';
import type { LibraryKernels } from '../../../core/nn/custom-ops.js';
import { FLOAT_BITS_WGSL, elementGroups, perElement } from '../shaders.js';
import type { Info, KernelContext, WebgpuHandle } from './context.js';
import { BINARY } from './elementwise.js';

/** Storage buffers per layer: the weight, the mask and the product. */
const BUFFERS_PER_LAYER = 3;
/** Parameter words: 0 the elements of all the dispatch's layers, 1 unused, then where each layer's elements end. */
const FIRST_END = 2;

/** Bindings: the weights, then the masks, then the products; layer l's elements come after layer l-1's. */
function source(layers: number): string {
  const bindings = [
    ...Array.from({ length: layers }, (_, l) => `@group(0) @binding(${l + 1}) var<storage, read> w${l}: array<u32>;`),
    ...Array.from({ length: layers }, (_, l) => `@group(0) @binding(${layers + l + 1}) var<storage, read> m${l}: array<u32>;`),
    ...Array.from({ length: layers }, (_, l) => `@group(0) @binding(${2 * layers + l + 1}) var<storage, read_write> e${l}: array<u32>;`),
  ];
  const products = Array.from({ length: layers }, (_, l) => {
    const start = l === 0 ? '0u' : `p(${FIRST_END + l - 1}u)`;
    return `
  if (i < p(${FIRST_END + l}u)) { let k = i - ${start}; let a = w${l}[k]; let b = m${l}[k]; e${l}[k] = ${BINARY.mul}; return; }`;
  }).join('');
  return `${FLOAT_BITS_WGSL}${bindings.join('\n')}\n${perElement(products)}`;
}

export function maskWeightsKernels(ctx: KernelContext, maxStorageBuffers: number): Pick<LibraryKernels<WebgpuHandle>, 'maskWeights'> {
  const perDispatch = Math.floor(maxStorageBuffers / BUFFERS_PER_LAYER);
  const dispatch = (weights: readonly Info[], masks: readonly Info[]): WebgpuHandle[] => {
    const layers = weights.length;
    const sizes = weights.map((w) => sizeOf(w.shape));
    const ends = sizes.map((_, l) => sizes.slice(0, l + 1).reduce((a, b) => a + b, 0));
    const total = ends.at(-1)!;
    const products = sizes.map((n) => ctx.output(n));
    const program = ctx.programs.get(`custom:maskWeights:${layers}`, 2 * layers, () => source(layers), layers);
    const buffers = [...weights, ...masks].map((t) => t.handle.buffer);
    ctx.queue.dispatch(program, [...buffers, ...products.map((p) => p.buffer)], [total, 0, ...ends], elementGroups(total));
    return products;
  };
  return {
    maskWeights: ({ weights, masks }) => {
      if (perDispatch === 0 || weights.length !== masks.length) return undefined;
      if (weights.some((w, l) => !sameShape(w.shape, masks[l]!.shape) || w.dtype !== 'float32' || masks[l]!.dtype !== 'float32')) return undefined;
      const outputs: WebgpuHandle[] = [];
      for (let first = 0; first < weights.length; first += perDispatch) {
        outputs.push(...dispatch(weights.slice(first, first + perDispatch), masks.slice(first, first + perDispatch)));
      }
      return outputs;
    },
  };
}
