/**
 * The webgpu kernel of the custom op gatherRows (core/nn/custom-ops.ts): rows of a table kept on the device,
 * picked by float32 row numbers, as one dispatch of one thread per output element. It copies the rows' bits, so
 * its result is the table's rows exactly (and the composition's, for the finite tables without -0 it is defined
 * on); an index that is not a row number (negative, fractional, NaN, past the last row) gives a row of +0, as
 * the composition's product with a row of zeros does.
 *
 * Declines (the composition runs) for anything but float32 parts [rows_k, width] of one width and indices of at
 * least one axis, or more parts than the device binds beside the indices and the output.
 */
import { sizeOf } from '../../../core/autodiff/shapes.js';
import type { LibraryKernels } from '../../../core/nn/custom-ops.js';
import { elementGroups, perElement } from '../shaders.js';
import type { Info, KernelContext, WebgpuHandle } from './context.js';

/** Parameter words: 0 the output's elements, 1 the width, 2 the rows of all parts, then each part's rows from 3. */
const FIRST_PART_ROWS = 3;

function source(parts: number): string {
  const bindings = [
    `@group(0) @binding(1) var<storage, read> indices: array<f32>;`,
    ...Array.from({ length: parts }, (_, k) => `@group(0) @binding(${k + 2}) var<storage, read> part${k}: array<u32>;`),
    `@group(0) @binding(${parts + 2}) var<storage, read_write> out: array<u32>;`,
  ];
  const lookups = Array.from({ length: parts }, (_, k) => `
  if (row < p(${FIRST_PART_ROWS + k}u)) { out[i] = part${k}[row * width + column]; return; }
  row = row - p(${FIRST_PART_ROWS + k}u);`).join('');
  return `${bindings.join('\n')}\n${perElement(`
  let width = p(1u);
  let index = indices[i / width];
  let column = i % width;
  if (!(index >= 0.0 && index < f32(p(2u)) && index == floor(index))) { out[i] = 0u; return; }
  var row = u32(index);${lookups}
  out[i] = 0u;`)}`;
}

export function gatherRowsKernels(ctx: KernelContext, maxStorageBuffers: number): Pick<LibraryKernels<WebgpuHandle>, 'gatherRows'> {
  return {
    gatherRows: ({ parts, indices }) => {
      const width = parts[0]?.shape[1];
      const plain = (t: Info) => t.dtype === 'float32';
      if (width === undefined || parts.length + 2 > maxStorageBuffers || indices.shape.length === 0 || !plain(indices)) return undefined;
      if (parts.some((p) => p.shape.length !== 2 || p.shape[1] !== width || !plain(p))) return undefined;
      const n = sizeOf(indices.shape) * width;
      const out = ctx.output(n);
      if (n === 0) return [out];
      const rows = parts.map((p) => p.shape[0]!);
      const program = ctx.programs.get(`custom:gatherRows:${parts.length}`, parts.length + 1, () => source(parts.length));
      const params = [n, width, rows.reduce((a, b) => a + b, 0), ...rows];
      ctx.queue.dispatch(program, [indices.handle.buffer, ...parts.map((p) => p.handle.buffer), out.buffer], params, elementGroups(n));
      return [out];
    },
  };
}
