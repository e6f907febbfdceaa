/**
 * A hidden dense layer without bias, relu(x @ w), as the custom op denseRelu (custom-ops.ts): a backend may run
 * the product and its ReLU as one kernel, and the cotangents of x and w as one kernel each with the ReLU's mask
 * applied as the cotangent is read. Backends without those kernels run the composition relu(matmul(x, w)) and
 * differentiate it primitive by primitive, exactly as if the layer were written out.
 */
import type { CustomGradient } from '../autodiff/engine.js';
import * as op from '../autodiff/ops.js';
import { inferOutput } from '../autodiff/shapes.js';
import type { Tensor } from '../autodiff/tensor.js';
import { customOp } from './custom-ops.js';

const productShape = (a: Tensor, b: Tensor, transposeA: boolean, transposeB: boolean): number[] =>
  [...inferOutput.matmul([a, b], { transposeA, transposeB }).shape];

/** relu(x @ w): x [..., n, in], w [..., in, out]. */
export function denseRelu(x: Tensor, w: Tensor): Tensor {
  const gradient: CustomGradient = {
    inputs: ['x', 'w'],
    inputCotangents: (cotangent, activation, [inputGradient = false, weightGradient = false]) => {
      const [dx, dw] = denseReluGradient(x, w, activation, cotangent, { inputGradient, weightGradient });
      return [dx ?? null, dw ?? null];
    },
  };
  return customOp('denseRelu', { x, w }, {}, () => [op.relu(op.matmul(x, w))], [productShape(x, w, false, false)], gradient)[0]!;
}

/**
 * The cotangents of x and w (undefined where not asked for) given `cotangent`, that of `activation` =
 * denseRelu(x, w), in the float operations of the backward pass through relu = maximum(z, 0) and the product:
 * the maximum rule's mask greater(z, 0), which greater(activation, 0) equals (custom-ops.ts, denseReluGradient),
 * then the matmul rule's products, each in the product's broadcast shape (the engine sums them to the inputs').
 */
export function denseReluGradient(
  x: Tensor, w: Tensor, activation: Tensor, cotangent: Tensor, wanted: { inputGradient: boolean; weightGradient: boolean },
): [Tensor | undefined, Tensor | undefined] {
  const { inputGradient, weightGradient } = wanted;
  if (!inputGradient && !weightGradient) return [undefined, undefined];
  const shapes = [
    ...(inputGradient ? [productShape(cotangent, w, false, true)] : []),
    ...(weightGradient ? [productShape(x, cotangent, true, false)] : []),
  ];
  const composition = () => {
    const masked = op.mul(cotangent, op.greater(activation, 0));
    return [...(inputGradient ? [op.matmul(masked, w, false, true)] : []), ...(weightGradient ? [op.matmul(x, masked, true, false)] : [])];
  };
  const results = customOp('denseReluGradient', { x, w, activation, cotangent }, wanted, composition, shapes);
  return [inputGradient ? results[0] : undefined, weightGradient ? results[results.length - 1] : undefined];
}
