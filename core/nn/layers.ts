/** The layers models are composed of (models/*.ts), each a few primitives. */
import * as op from '../autodiff/ops.js';
import type { ConvPadding } from '../autodiff/primitives.js';
import type { Tensor } from '../autodiff/tensor.js';
import { denseRelu } from './dense-relu.js';

/** x @ w (+ b): x [..., n, in], w [..., in, out], b [out]. */
export const dense = (x: Tensor, w: Tensor, b?: Tensor): Tensor => (b ? op.add(op.matmul(x, w), b) : op.matmul(x, w));

/** conv2d(x, w) + b, stride 1: x [n, h, w, in], w [kh, kw, in, out], b [out]. */
export const conv = (x: Tensor, w: Tensor, b: Tensor, padding: ConvPadding): Tensor => op.add(op.conv2d(x, w, padding), b);

/** Images [n, h, w, c] as rows [n, h w c] (row-major: TensorFlow's flatten of NHWC). */
export const flatten = (x: Tensor): Tensor => op.reshape(x, [x.shape[0]!, -1]);

/**
 * A chain of dense layers without biases, ReLU between them: relu(...relu(x @ W_1)...) @ W_L. x [n, in] with
 * W_i [in, out], or stacked networks: x [T, n, in] (or [n, in] shared) with W_i [T, in, out]. Each hidden layer
 * is the custom op denseRelu (dense-relu.ts), which runs relu(matmul(h, W_i)) where a backend has no kernel for it.
 */
export function denseChain(weights: readonly Tensor[], x: Tensor): Tensor {
  let h = x;
  weights.forEach((w, i) => {
    h = i < weights.length - 1 ? denseRelu(h, w) : op.matmul(h, w);
  });
  return h;
}
