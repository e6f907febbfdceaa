import type { Shape } from '../../core/autodiff/primitives.js';
import { normaliseAxes, sizeOf } from '../../core/autodiff/shapes.js';
import type { HostData } from '../../core/autodiff/backend.js';
import { broadcastIndices } from './elementwise.js';

type ArrayCtor = { new (n: number): HostData };

export function transpose(x: HostData, shape: Shape, perm: readonly number[]): HostData {
  const out = new (x.constructor as ArrayCtor)(x.length);
  const rank = shape.length;
  if (rank === 2 && perm[0] === 1) {
    const [rows, cols] = [shape[0]!, shape[1]!];
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = x[r * cols + c]!;
    return out;
  }
  const inStrides = new Array<number>(rank);
  for (let i = rank - 1, s = 1; i >= 0; i--) {
    inStrides[i] = s;
    s *= shape[i]!;
  }
  const outShape = perm.map((p) => shape[p]!);
  const counter = new Array<number>(rank).fill(0);
  for (let i = 0, offset = 0; i < out.length; i++) {
    out[i] = x[offset]!;
    for (let axis = rank - 1; axis >= 0; axis--) {
      counter[axis]!++;
      offset += inStrides[perm[axis]!]!;
      if (counter[axis]! < outShape[axis]!) break;
      offset -= inStrides[perm[axis]!]! * outShape[axis]!;
      counter[axis] = 0;
    }
  }
  return out;
}

export function broadcastTo(x: HostData, shape: Shape, outShape: Shape): HostData {
  const out = new (x.constructor as ArrayCtor)(sizeOf(outShape));
  if (x.length === 1) return out.fill(x[0]!);
  const [index] = broadcastIndices([shape], outShape);
  for (let i = 0; i < out.length; i++) out[i] = x[index![i]!]!;
  return out;
}

/**
 * Reduce over `axes` with (init, combine). Views the input as [outer, reduced, inner] when the axes are
 * contiguous (the common case), and falls back to transposing the reduced axes to the end otherwise.
 */
export function reduce(
  x: HostData, shape: Shape, axes: readonly number[], init: number, combine: (acc: number, v: number) => number,
  out: HostData,
): HostData {
  const list = normaliseAxes(axes, shape.length);
  const contiguous = list.every((a, i) => i === 0 || a === list[i - 1]! + 1);
  if (!contiguous) {
    const kept = shape.map((_, i) => i).filter((i) => !list.includes(i));
    const perm = [...kept, ...list];
    const moved = transpose(x, shape, perm);
    const movedShape = perm.map((p) => shape[p]!);
    return reduce(moved, movedShape, list.map((_, i) => kept.length + i), init, combine, out);
  }
  const first = list[0] ?? 0;
  const last = list[list.length - 1] ?? -1;
  const outer = sizeOf(shape.slice(0, first));
  const reduced = sizeOf(shape.slice(first, last + 1));
  const inner = sizeOf(shape.slice(last + 1));
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      let acc = init;
      const base = o * reduced * inner + j;
      for (let r = 0; r < reduced; r++) acc = combine(acc, x[base + r * inner]!);
      out[o * inner + j] = acc;
    }
  }
  return out;
}

export function argmax(x: HostData, shape: Shape, axis: number): Int32Array {
  const outer = sizeOf(shape.slice(0, axis));
  const reduced = shape[axis]!;
  const inner = sizeOf(shape.slice(axis + 1));
  const out = new Int32Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * reduced * inner + j;
      let best = 0;
      let bestValue = x[base]!;
      for (let r = 1; r < reduced; r++) {
        const v = x[base + r * inner]!;
        if (v > bestValue) {
          bestValue = v;
          best = r;
        }
      }
      out[o * inner + j] = best;
    }
  }
  return out;
}
