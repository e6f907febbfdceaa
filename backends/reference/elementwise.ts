import type { Shape } from '../../core/autodiff/primitives.js';
import { sameShape, sizeOf } from '../../core/autodiff/shapes.js';

export type FloatData = Float32Array | Float64Array;
export type FloatCtor = Float32ArrayConstructor | Float64ArrayConstructor;

/** Row-major strides of `shape` as seen from a broadcast output of rank `rank` (0 on broadcast axes). */
function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const rank = outShape.length;
  const strides = new Array<number>(rank).fill(0);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const axis = rank - shape.length + i;
    strides[axis] = shape[i] === 1 && outShape[axis] !== 1 ? 0 : stride;
    stride *= shape[i]!;
  }
  return strides;
}

/** Index into each input for every output position, in row-major output order. */
export function broadcastIndices(inShapes: readonly Shape[], outShape: Shape): Int32Array[] {
  const size = sizeOf(outShape);
  const rank = outShape.length;
  const strides = inShapes.map((s) => broadcastStrides(s, outShape));
  const result = inShapes.map(() => new Int32Array(size));
  const counter = new Array<number>(rank).fill(0);
  const offsets = inShapes.map(() => 0);
  for (let i = 0; i < size; i++) {
    for (let k = 0; k < inShapes.length; k++) result[k]![i] = offsets[k]!;
    for (let axis = rank - 1; axis >= 0; axis--) {
      counter[axis]!++;
      for (let k = 0; k < inShapes.length; k++) offsets[k]! += strides[k]![axis]!;
      if (counter[axis]! < outShape[axis]!) break;
      for (let k = 0; k < inShapes.length; k++) offsets[k]! -= strides[k]![axis]! * outShape[axis]!;
      counter[axis] = 0;
    }
  }
  return result;
}

type BinaryLoop = (a: FloatData, b: FloatData, out: FloatData, ia?: Int32Array, ib?: Int32Array) => void;
type UnaryLoop = (x: FloatData, out: FloatData) => void;

/**
 * Elementwise loops are generated once per operation from an expression in x (and y), so that each loop is
 * monomorphic: a shared loop calling a per-op closure is several times slower in V8.
 */
function compileBinary(expr: string): Record<'same' | 'scalarA' | 'scalarB' | 'indexed', BinaryLoop> {
  const loop = (read: string) =>
    new Function('a', 'b', 'out', 'ia', 'ib', `for (let i = 0, n = out.length; i < n; i++) { ${read} out[i] = ${expr}; }`) as BinaryLoop;
  return {
    same: loop('const x = a[i], y = b[i];'),
    scalarA: loop('const x = a[0], y = b[i];'),
    scalarB: loop('const x = a[i], y = b[0];'),
    indexed: loop('const x = a[ia[i]], y = b[ib[i]];'),
  };
}

export function binaryKernel(expr: string) {
  const loops = compileBinary(expr);
  return (Ctor: FloatCtor, a: FloatData, aShape: Shape, b: FloatData, bShape: Shape, outShape: Shape): FloatData => {
    const out = new Ctor(sizeOf(outShape));
    const aFull = sameShape(aShape, outShape);
    const bFull = sameShape(bShape, outShape);
    if (aFull && bFull) loops.same(a, b, out);
    else if (aFull && b.length === 1) loops.scalarB(a, b, out);
    else if (bFull && a.length === 1) loops.scalarA(a, b, out);
    else {
      const [ia, ib] = broadcastIndices([aShape, bShape], outShape);
      loops.indexed(a, b, out, ia, ib);
    }
    return out;
  };
}

export function unaryKernel(expr: string) {
  const loop = new Function('a', 'out', `for (let i = 0, n = out.length; i < n; i++) { const x = a[i]; out[i] = ${expr}; }`) as UnaryLoop;
  return (Ctor: FloatCtor, x: FloatData): FloatData => {
    const out = new Ctor(x.length);
    loop(x, out);
    return out;
  };
}
