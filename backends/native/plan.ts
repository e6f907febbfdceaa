/**
 * Loop plans for the addon's strided kernels: an output shape and, per input, the element stride along each
 * output axis (0 where the input is broadcast). Axes of size 1 are dropped and axes that are contiguous in
 * every input are merged, so most broadcasts become a short rank-2 loop. The encoding, read by
 * native/src/addon.c, is [rank, dims[rank], strides of input 0 [rank], strides of input 1 [rank], ...].
 */
import type { Shape } from '../../core/autodiff/primitives.js';
import { BackendError } from '../../core/errors.js';

const MAX_RANK = 8;
/** One scratch buffer: the addon reads a plan during the call and keeps nothing. */
const scratch = new Int32Array(1 + MAX_RANK * 4);

function rowMajorStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  for (let i = shape.length - 1, s = 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/** Strides of `shape` seen from the broadcast output shape `outShape` (numpy alignment on trailing axes). */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const own = rowMajorStrides(shape);
  const lead = outShape.length - shape.length;
  return outShape.map((d, axis) => (axis < lead || shape[axis - lead] === 1 ? 0 : own[axis - lead]!));
}

/** Drop unit axes, merge contiguous ones, and encode. */
export function encodePlan(dims: readonly number[], strides: readonly (readonly number[])[]): Int32Array {
  const keptDims: number[] = [];
  const kept: number[][] = strides.map(() => []);
  dims.forEach((d, axis) => {
    if (d === 1) return;
    const last = keptDims.length - 1;
    const mergeable = last >= 0 && strides.every((s, k) => kept[k]![last] === s[axis]! * d);
    if (mergeable) {
      keptDims[last]! *= d;
      strides.forEach((s, k) => (kept[k]![last] = s[axis]!));
    } else {
      keptDims.push(d);
      strides.forEach((s, k) => kept[k]!.push(s[axis]!));
    }
  });
  const rank = keptDims.length;
  if (rank > MAX_RANK) throw new BackendError(`the native backend handles at most rank ${MAX_RANK} after merging axes, got ${rank}`);
  scratch[0] = rank;
  keptDims.forEach((d, i) => (scratch[1 + i] = d));
  kept.forEach((s, k) => s.forEach((v, i) => (scratch[1 + rank * (1 + k) + i] = v)));
  return scratch;
}

/** Plan of an elementwise op whose inputs broadcast to outShape. */
export const broadcastPlan = (inShapes: readonly Shape[], outShape: Shape): Int32Array =>
  encodePlan(outShape, inShapes.map((s) => broadcastStrides(s, outShape)));

/** Plan of a transpose: output axis i reads input axis perm[i]. */
export function transposePlan(shape: Shape, perm: readonly number[]): Int32Array {
  const strides = rowMajorStrides(shape);
  return encodePlan(perm.map((p) => shape[p]!), [perm.map((p) => strides[p]!)]);
}

/** [outer, reduced, inner] view of contiguous reduction axes (sorted, unique), or undefined when they are not contiguous. */
export function reductionView(shape: Shape, axes: readonly number[]): [number, number, number] | undefined {
  for (let i = 1; i < axes.length; i++) if (axes[i] !== axes[i - 1]! + 1) return undefined;
  const product = (from: number, to: number) => shape.slice(from, to).reduce((a, b) => a * b, 1);
  if (axes.length === 0) return [product(0, shape.length), 1, 1];
  const first = axes[0]!;
  const last = axes[axes.length - 1]!;
  return [product(0, first), product(first, last + 1), product(last + 1, shape.length)];
}
