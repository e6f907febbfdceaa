/**
 * Host-side index plans of the strided kernels: an output of shape S reads each input at
 * sum_d coord_d * stride_d, with stride 0 on broadcast axes. Plans are coalesced (adjacent axes merged where
 * every input allows it, size-1 axes dropped) so that most kernels see rank 1 or 2.
 */
import type { Shape } from '../../core/autodiff/primitives.js';
import { UnsupportedOpError } from '../../core/errors.js';

/** The largest rank a strided kernel takes after coalescing. */
export const MAX_RANK = 8;

export interface StridedPlan {
  readonly shape: number[];
  /** One stride list per input, aligned with `shape`. */
  readonly strides: number[][];
}

export const rowMajorStrides = (shape: Shape): number[] => {
  const strides = new Array<number>(shape.length);
  for (let i = shape.length - 1, s = 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
};

/** Strides of an input of `inShape` broadcast to `outShape` (numpy alignment from the right). */
export function broadcastStrides(inShape: Shape, outShape: Shape): number[] {
  const own = rowMajorStrides(inShape);
  const offset = outShape.length - inShape.length;
  return outShape.map((d, axis) => {
    const i = axis - offset;
    return i < 0 || (inShape[i] === 1 && d !== 1) ? 0 : own[i]!;
  });
}

/** Drop size-1 axes and merge an axis into the next where every input's strides allow it. */
export function coalesce(shape: Shape, strides: readonly (readonly number[])[], op: string): StridedPlan {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let axis = 0; axis < shape.length; axis++) {
    const d = shape[axis]!;
    if (d === 1) continue;
    const last = outShape.length - 1;
    // Axis `last` (outer) and `axis` (inner) merge when stride_outer == stride_inner * d for every input.
    if (last >= 0 && strides.every((s, k) => outStrides[k]![last] === s[axis]! * d)) {
      outShape[last] = outShape[last]! * d;
      strides.forEach((s, k) => (outStrides[k]![last] = s[axis]!));
    } else {
      outShape.push(d);
      strides.forEach((s, k) => outStrides[k]!.push(s[axis]!));
    }
  }
  if (outShape.length > MAX_RANK) throw new UnsupportedOpError(`${op} of rank ${outShape.length} after merging axes`, 'float32', 'webgpu');
  return { shape: outShape, strides: outStrides };
}

/** How an input is read: element i, element 0, or through the strided plan. */
export type Access = 'full' | 'scalar' | 'strided';

export function accessOf(plan: StridedPlan, k: number): Access {
  const s = plan.strides[k]!;
  if (s.every((x) => x === 0)) return 'scalar';
  const contiguous = rowMajorStrides(plan.shape);
  return s.every((x, i) => x === contiguous[i]) ? 'full' : 'strided';
}

/** Parameter words of a strided plan: [n, rank, extra0, extra1, shape x8, strides of input 0..2 x8 each]. */
export function planWords(n: number, plan: StridedPlan, extra: readonly number[] = [0, 0]): number[] {
  const words = [n, plan.shape.length, extra[0] ?? 0, extra[1] ?? 0];
  const pad = (xs: readonly number[]) => [...xs, ...new Array<number>(MAX_RANK - xs.length).fill(0)];
  words.push(...pad(plan.shape));
  for (let k = 0; k < 3; k++) words.push(...pad(plan.strides[k] ?? []));
  return words;
}

/** WGSL: offsets of up to three inputs of element i under the plan in the parameter words (see planWords). */
export const OFFSETS_WGSL = /* wgsl */ `
fn offsets(i: u32) -> vec3<u32> {
  var rem = i;
  var o = vec3<u32>(0u, 0u, 0u);
  for (var d = i32(p(1u)) - 1; d >= 0; d--) {
    let axis = u32(d);
    let size = p(4u + axis);
    let c = rem % size;
    rem = rem / size;
    o += c * vec3<u32>(p(12u + axis), p(20u + axis), p(28u + axis));
  }
  return o;
}
`;
