/** reshape, transpose and broadcastTo: bit-exact copies through a strided plan (any dtype: values move as u32). */
import type { Shape } from '../../../core/autodiff/primitives.js';
import { broadcastStrides, rowMajorStrides } from '../layout.js';
import type { Info, KernelContext, WebgpuHandle } from './context.js';
import { mapStrided } from './elementwise.js';

export const reshape = (ctx: KernelContext, x: Info, shape: Shape): WebgpuHandle =>
  mapStrided(ctx, 'copy', 'a', [x], shape, [rowMajorStrides(shape)]);

export function transpose(ctx: KernelContext, x: Info, perm: readonly number[]): WebgpuHandle {
  const strides = rowMajorStrides(x.shape);
  return mapStrided(ctx, 'copy', 'a', [x], perm.map((p) => x.shape[p]!), [perm.map((p) => strides[p]!)]);
}

export const broadcastTo = (ctx: KernelContext, x: Info, shape: Shape): WebgpuHandle =>
  mapStrided(ctx, 'copy', 'a', [x], shape, [broadcastStrides(x.shape, shape)]);
