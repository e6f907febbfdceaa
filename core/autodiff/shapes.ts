import { ShapeError } from '../errors.js';
import type { ConvPadding, DType, Primitive, PrimitiveAttrs, Shape } from './primitives.js';

export const sizeOf = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);

export const sameShape = (a: Shape, b: Shape): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/** numpy broadcasting of any number of shapes. */
export function broadcastShapes(...shapes: Shape[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let dim = 1;
    for (const s of shapes) {
      const d = s[s.length - rank + i] ?? 1;
      if (d === 1) continue;
      if (dim !== 1 && dim !== d) {
        throw new ShapeError(`cannot broadcast shapes ${shapes.map((s) => `[${s.join(',')}]`).join(' and ')}`);
      }
      dim = d;
    }
    out.push(dim);
  }
  return out;
}

/** Normalise possibly negative axes against a rank, sorted and unique. */
export function normaliseAxes(axes: readonly number[], rank: number): number[] {
  const out = axes.map((a) => {
    const n = a < 0 ? a + rank : a;
    if (n < 0 || n >= rank) throw new ShapeError(`axis ${a} is out of range for rank ${rank}`);
    return n;
  });
  return [...new Set(out)].sort((a, b) => a - b);
}

export function reducedShape(shape: Shape, axes: readonly number[], keepDims: boolean): number[] {
  const set = new Set(normaliseAxes(axes, shape.length));
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!set.has(i)) out.push(d);
    else if (keepDims) out.push(1);
  });
  return out;
}

/** [rows, columns] of op(X) for the last two axes of X. */
function matrixDims(shape: Shape, transposed: boolean): [number, number] {
  const [r, c] = [shape[shape.length - 2]!, shape[shape.length - 1]!];
  return transposed ? [c, r] : [r, c];
}

/**
 * The matrix products of a batched matmul: for each matrix of the output (row-major over its leading batch
 * axes), the index of the matrix of `a` and of `b` it multiplies, their batch axes broadcast against each other
 * (numpy's matmul). A rank-2 operand is one matrix shared by every product.
 */
export function matmulBatches(aShape: Shape, bShape: Shape): { count: number; a: Int32Array; b: Int32Array } {
  const [aBatch, bBatch] = [aShape.slice(0, -2), bShape.slice(0, -2)];
  const outBatch = broadcastShapes(aBatch, bBatch);
  const count = sizeOf(outBatch);
  const strides = (batch: Shape) => {
    const own: number[] = [];
    for (let i = batch.length - 1, s = 1; i >= 0; i--) {
      own[i] = s;
      s *= batch[i]!;
    }
    const lead = outBatch.length - batch.length;
    return outBatch.map((_, axis) => (axis < lead || batch[axis - lead] === 1 ? 0 : own[axis - lead]!));
  };
  const [sa, sb] = [strides(aBatch), strides(bBatch)];
  const a = new Int32Array(count);
  const b = new Int32Array(count);
  for (let t = 0; t < count; t++) {
    let rest = t;
    for (let axis = outBatch.length - 1; axis >= 0; axis--) {
      const i = rest % outBatch[axis]!;
      rest = (rest - i) / outBatch[axis]!;
      a[t]! += i * sa[axis]!;
      b[t]! += i * sb[axis]!;
    }
  }
  return { count, a, b };
}

function requireDtype(op: string, dtype: DType, want: DType): void {
  if (dtype !== want) throw new ShapeError(`'${op}' takes ${want} inputs, got ${dtype}`);
}

/** Zero padding [before, after] of one spatial axis for a window of `size` (TensorFlow's 'same': the extra one after). */
export function convPadding(size: number, padding: ConvPadding): [number, number] {
  if (padding === 'valid') return [0, 0];
  const total = size - 1;
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** Output length of one spatial axis of a stride-1 convolution. */
export const convOutputLength = (length: number, size: number, padding: ConvPadding): number =>
  padding === 'same' ? length : length - size + 1;

/** The output shape of conv2d, checking x [n, h, w, c] against filter [kh, kw, c, c_out]. */
export function conv2dShape(x: Shape, filter: Shape, padding: ConvPadding): number[] {
  if (x.length !== 4 || filter.length !== 4) {
    throw new ShapeError(`conv2d takes x [n, h, w, c] and a filter [kh, kw, c_in, c_out], got [${x}] and [${filter}]`);
  }
  const [n, h, w, c] = x as [number, number, number, number];
  const [kh, kw, cIn, cOut] = filter as [number, number, number, number];
  if (c !== cIn) throw new ShapeError(`conv2d: x has ${c} channels but the filter [${filter}] takes ${cIn}`);
  const [oh, ow] = [convOutputLength(h, kh, padding), convOutputLength(w, kw, padding)];
  if (oh < 1 || ow < 1) throw new ShapeError(`conv2d: a ${kh}x${kw} filter does not fit a ${h}x${w} image with '${padding}' padding`);
  return [n, oh, ow, cOut];
}

/** The output shape of maxPool on x [n, h, w, c]. */
export function maxPoolShape(x: Shape, size: number): number[] {
  if (x.length !== 4) throw new ShapeError(`maxPool takes x [n, h, w, c], got [${x}]`);
  if (!(Number.isInteger(size) && size >= 1)) throw new ShapeError(`maxPool's window size must be a whole number >= 1, got ${size}`);
  const [n, h, w, c] = x as [number, number, number, number];
  if (h < size || w < size) throw new ShapeError(`maxPool: a ${size}x${size} window does not fit a ${h}x${w} image`);
  return [n, Math.floor(h / size), Math.floor(w / size), c];
}

type Input = { shape: Shape; dtype: DType };
type Infer<P extends Primitive> = (inputs: readonly Input[], attrs: PrimitiveAttrs[P]) => { shape: Shape; dtype: DType };

const binary = (inputs: readonly Input[]) => {
  inputs.forEach((t) => requireDtype('binary op', t.dtype, 'float32'));
  return { shape: broadcastShapes(inputs[0]!.shape, inputs[1]!.shape), dtype: 'float32' as const };
};
const unary = (inputs: readonly Input[]) => {
  requireDtype('unary op', inputs[0]!.dtype, 'float32');
  return { shape: inputs[0]!.shape, dtype: 'float32' as const };
};
const reduce = ([x]: readonly Input[], { axes, keepDims }: PrimitiveAttrs['sum']) => {
  requireDtype('reduction', x!.dtype, 'float32');
  return { shape: reducedShape(x!.shape, axes, keepDims), dtype: 'float32' as const };
};

/** Output shape and dtype of every primitive: the one place shapes are checked. */
export const inferOutput: { [P in Primitive]: Infer<P> } = {
  add: binary, sub: binary, mul: binary, div: binary, maximum: binary, minimum: binary,
  greater: binary, greaterEqual: binary, equal: binary,
  where: (inputs) => {
    inputs.forEach((t) => requireDtype('where', t.dtype, 'float32'));
    return { shape: broadcastShapes(...inputs.map((t) => t.shape)), dtype: 'float32' };
  },
  neg: unary, exp: unary, log: unary, sqrt: unary, sign: unary, clip: unary,
  matmul: ([a, b], { transposeA, transposeB }) => {
    requireDtype('matmul', a!.dtype, 'float32');
    requireDtype('matmul', b!.dtype, 'float32');
    if (a!.shape.length < 2 || b!.shape.length < 2) {
      throw new ShapeError(`matmul takes tensors of rank 2 or more, got [${a!.shape}] and [${b!.shape}]`);
    }
    const [m, k1] = matrixDims(a!.shape, transposeA);
    const [k2, n] = matrixDims(b!.shape, transposeB);
    if (k1 !== k2) throw new ShapeError(`matmul inner dimensions differ: [${a!.shape}] x [${b!.shape}] (transposeA=${transposeA}, transposeB=${transposeB})`);
    return { shape: [...broadcastShapes(a!.shape.slice(0, -2), b!.shape.slice(0, -2)), m, n], dtype: 'float32' };
  },
  sum: reduce,
  max: reduce,
  reshape: ([x], { shape }) => {
    if (sizeOf(shape) !== sizeOf(x!.shape)) throw new ShapeError(`cannot reshape [${x!.shape}] to [${shape}]`);
    return { shape, dtype: x!.dtype };
  },
  transpose: ([x], { perm }) => {
    const rank = x!.shape.length;
    if (perm.length !== rank || normaliseAxes(perm, rank).length !== rank) {
      throw new ShapeError(`transpose permutation [${perm}] does not fit rank ${rank}`);
    }
    return { shape: perm.map((p) => x!.shape[p]!), dtype: x!.dtype };
  },
  broadcastTo: ([x], { shape }) => {
    const b = broadcastShapes(x!.shape, shape);
    if (!sameShape(b, shape)) throw new ShapeError(`cannot broadcast [${x!.shape}] to [${shape}]`);
    return { shape, dtype: x!.dtype };
  },
  argmax: ([x], { axis }) => {
    requireDtype('argmax', x!.dtype, 'float32');
    return { shape: reducedShape(x!.shape, [axis], false), dtype: 'int32' };
  },
  oneHot: ([x], { depth }) => {
    requireDtype('oneHot', x!.dtype, 'int32');
    return { shape: [...x!.shape, depth], dtype: 'float32' };
  },
  conv2d: ([x, filter], { padding }) => {
    requireDtype('conv2d', x!.dtype, 'float32');
    requireDtype('conv2d', filter!.dtype, 'float32');
    return { shape: conv2dShape(x!.shape, filter!.shape, padding), dtype: 'float32' };
  },
  conv2dInputGrad: ([dy, filter], { padding, inputShape }) => {
    requireDtype('conv2dInputGrad', dy!.dtype, 'float32');
    if (!sameShape(conv2dShape(inputShape, filter!.shape, padding), dy!.shape)) {
      throw new ShapeError(`conv2dInputGrad: dy [${dy!.shape}] is not conv2d's output for x [${inputShape}] and filter [${filter!.shape}]`);
    }
    return { shape: inputShape, dtype: 'float32' };
  },
  conv2dFilterGrad: ([x, dy], { padding, filterShape }) => {
    requireDtype('conv2dFilterGrad', x!.dtype, 'float32');
    if (!sameShape(conv2dShape(x!.shape, filterShape, padding), dy!.shape)) {
      throw new ShapeError(`conv2dFilterGrad: dy [${dy!.shape}] is not conv2d's output for x [${x!.shape}] and filter [${filterShape}]`);
    }
    return { shape: filterShape, dtype: 'float32' };
  },
  maxPool: ([x], { size }) => {
    requireDtype('maxPool', x!.dtype, 'float32');
    return { shape: maxPoolShape(x!.shape, size), dtype: 'float32' };
  },
  maxPoolGrad: ([x, dy], { size }) => {
    requireDtype('maxPoolGrad', x!.dtype, 'float32');
    if (!sameShape(maxPoolShape(x!.shape, size), dy!.shape)) throw new ShapeError(`maxPoolGrad: dy [${dy!.shape}] is not maxPool's output for x [${x!.shape}]`);
    return { shape: x!.shape, dtype: 'float32' };
  },
};
