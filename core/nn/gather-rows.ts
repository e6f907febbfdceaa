/**
 * Rows of a table kept on the device, picked by an index tensor, as the custom op gatherRows (custom-ops.ts): a
 * backend with its kernel copies the rows (one dispatch), so a batch costs the upload of its indices only. The
 * composition, which defines the result, selects them with a 0/1 matrix: row i of equal(indices[i], k) @ table.
 */
import { fromHost } from '../autodiff/engine.js';
import * as op from '../autodiff/ops.js';
import type { Tensor } from '../autodiff/tensor.js';
import { customOp } from './custom-ops.js';

/**
 * parts [rows_k, width] (the table's rows in order), indices [..., n] (row numbers as float32) -> [..., n, width].
 */
export function gatherRows(parts: readonly Tensor[], indices: Tensor): Tensor {
  const width = parts[0]!.shape[1]!;
  const shape = [...indices.shape, width];
  const composition = (): Tensor[] => {
    const column = op.reshape(indices, [...indices.shape, 1]);
    let first = 0;
    let sum: Tensor | undefined;
    for (const part of parts) {
      const rows = part.shape[0]!;
      const numbers = fromHost(Float32Array.from({ length: rows }, (_, k) => first + k), [rows]);
      const picked = op.matmul(op.equal(column, numbers), part);
      sum = sum ? op.add(sum, picked) : picked;
      first += rows;
    }
    return [sum!];
  };
  return customOp('gatherRows', { parts, indices }, {}, composition, [shape])[0]!;
}
