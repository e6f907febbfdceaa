/**
 * Public operations. Primitives go through bind(); composites (relu, mean, logSoftmax, cross-entropy, ...)
 * are built from primitives here and need no gradient rules of their own.
 */
import type { HostData } from './backend.js';
import { ShapeError } from '../errors.js';
import { bind, fromHost, untracked } from './engine.js';
import type { ConvPadding, DType, Shape } from './primitives.js';
import { normaliseAxes, sizeOf } from './shapes.js';
import type { Tensor } from './tensor.js';

export type TensorLike = Tensor | number;

export function tensor(values: HostData | readonly number[], shape?: Shape, dtype: DType = 'float32'): Tensor {
  const data = ArrayBuffer.isView(values)
    ? values
    : dtype === 'int32' ? Int32Array.from(values) : Float32Array.from(values);
  return fromHost(data, shape ?? [data.length], dtype);
}
export const scalar = (value: number): Tensor => fromHost(Float32Array.of(value), []);
export const full = (shape: Shape, value: number): Tensor => fromHost(new Float32Array(sizeOf(shape)).fill(value), shape);
export const zeros = (shape: Shape): Tensor => full(shape, 0);
export const ones = (shape: Shape): Tensor => full(shape, 1);
export const zerosLike = (t: Tensor): Tensor => zeros(t.shape);
export const onesLike = (t: Tensor): Tensor => ones(t.shape);

const lift = (x: TensorLike): Tensor => (typeof x === 'number' ? scalar(x) : x);
const noAttrs = {} as Record<string, never>;

export const add = (a: TensorLike, b: TensorLike): Tensor => bind('add', [lift(a), lift(b)], noAttrs);
export const sub = (a: TensorLike, b: TensorLike): Tensor => bind('sub', [lift(a), lift(b)], noAttrs);
export const mul = (a: TensorLike, b: TensorLike): Tensor => bind('mul', [lift(a), lift(b)], noAttrs);
export const div = (a: TensorLike, b: TensorLike): Tensor => bind('div', [lift(a), lift(b)], noAttrs);
export const maximum = (a: TensorLike, b: TensorLike): Tensor => bind('maximum', [lift(a), lift(b)], noAttrs);
export const minimum = (a: TensorLike, b: TensorLike): Tensor => bind('minimum', [lift(a), lift(b)], noAttrs);
export const greater = (a: TensorLike, b: TensorLike): Tensor => bind('greater', [lift(a), lift(b)], noAttrs);
export const greaterEqual = (a: TensorLike, b: TensorLike): Tensor => bind('greaterEqual', [lift(a), lift(b)], noAttrs);
export const less = (a: TensorLike, b: TensorLike): Tensor => greater(b, a);
export const lessEqual = (a: TensorLike, b: TensorLike): Tensor => greaterEqual(b, a);
export const equal = (a: TensorLike, b: TensorLike): Tensor => bind('equal', [lift(a), lift(b)], noAttrs);
/** cond is a 0/1 float mask (as returned by the comparisons). */
export const where = (cond: Tensor, a: TensorLike, b: TensorLike): Tensor => bind('where', [cond, lift(a), lift(b)], noAttrs);

export const neg = (x: Tensor): Tensor => bind('neg', [x], noAttrs);
export const exp = (x: Tensor): Tensor => bind('exp', [x], noAttrs);
export const log = (x: Tensor): Tensor => bind('log', [x], noAttrs);
export const sqrt = (x: Tensor): Tensor => bind('sqrt', [x], noAttrs);
/** sign(0) = 0. */
export const sign = (x: Tensor): Tensor => bind('sign', [x], noAttrs);
export const clip = (x: Tensor, min: number, max: number): Tensor => {
  if (!(min <= max)) throw new ShapeError(`clip needs min <= max, got [${min}, ${max}]`);
  return bind('clip', [x], { min, max });
};
export const square = (x: Tensor): Tensor => mul(x, x);
/** |x| = x * sign(x); its gradient is sign(x), 0 at 0. */
export const abs = (x: Tensor): Tensor => mul(x, sign(x));
/** relu(x) = max(x, 0); relu'(0) = 0 because maximum sends a tie's gradient to its second argument. */
export const relu = (x: Tensor): Tensor => maximum(x, 0);

export const matmul = (a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor =>
  bind('matmul', [a, b], { transposeA, transposeB });

const allAxes = (x: Tensor): number[] => x.shape.map((_, i) => i);
export const sum = (x: Tensor, axes: number | readonly number[] = allAxes(x), keepDims = false): Tensor =>
  bind('sum', [x], { axes: normaliseAxes(typeof axes === 'number' ? [axes] : axes, x.rank), keepDims });
export const max = (x: Tensor, axes: number | readonly number[] = allAxes(x), keepDims = false): Tensor =>
  bind('max', [x], { axes: normaliseAxes(typeof axes === 'number' ? [axes] : axes, x.rank), keepDims });
export function mean(x: Tensor, axes: number | readonly number[] = allAxes(x), keepDims = false): Tensor {
  const list = normaliseAxes(typeof axes === 'number' ? [axes] : axes, x.rank);
  const count = list.reduce((n, a) => n * x.shape[a]!, 1);
  return div(sum(x, list, keepDims), count);
}

/** One dimension may be -1: it is inferred from the size. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const resolved = shape.map((d) => (d === -1 ? x.size / known : d));
  return bind('reshape', [x], { shape: resolved });
}
export const transpose = (x: Tensor, perm: readonly number[] = allAxes(x).reverse()): Tensor =>
  bind('transpose', [x], { perm });
export const broadcastTo = (x: Tensor, shape: Shape): Tensor => bind('broadcastTo', [x], { shape });
export const argmax = (x: Tensor, axis = -1): Tensor => bind('argmax', [x], { axis: normaliseAxes([axis], x.rank)[0]! });
export const oneHot = (labels: Tensor, depth: number): Tensor => bind('oneHot', [labels], { depth });

/** Stride-1 2-D convolution of x [n, h, w, c_in] with a filter [kh, kw, c_in, c_out] (primitives.ts, conv2d). */
export const conv2d = (x: Tensor, filter: Tensor, padding: ConvPadding): Tensor => bind('conv2d', [x, filter], { padding });
export const conv2dInputGrad = (dy: Tensor, filter: Tensor, padding: ConvPadding, inputShape: Shape): Tensor =>
  bind('conv2dInputGrad', [dy, filter], { padding, inputShape });
export const conv2dFilterGrad = (x: Tensor, dy: Tensor, padding: ConvPadding, filterShape: Shape): Tensor =>
  bind('conv2dFilterGrad', [x, dy], { padding, filterShape });
/** Max pooling of x [n, h, w, c] over size x size windows, stride size. */
export const maxPool = (x: Tensor, size: number): Tensor => bind('maxPool', [x], { size });
export const maxPoolGrad = (x: Tensor, dy: Tensor, size: number): Tensor => bind('maxPoolGrad', [x, dy], { size });

/** log-softmax along an axis, stabilised by subtracting the (constant) maximum. */
export function logSoftmax(logits: Tensor, axis = -1): Tensor {
  const shifted = sub(logits, untracked(() => max(logits, axis, true)));
  return sub(shifted, log(sum(exp(shifted), axis, true)));
}
export const softmax = (logits: Tensor, axis = -1): Tensor => exp(logSoftmax(logits, axis));

/** Mean over the batch of -sum(targets * log softmax(logits)); targets are (possibly smoothed) distributions. */
export const softmaxCrossEntropy = (logits: Tensor, targets: Tensor): Tensor =>
  neg(mean(sum(mul(targets, logSoftmax(logits)), -1)));
