/**
 * sum and max over any axes, and argmax over one axis: one invocation per output element walks its reduced
 * elements in row-major order (the reference's order), so results are deterministic. The kept and the reduced
 * axes are each coalesced, so the walk is usually one stride.
 */
import type { Shape } from '../../../core/autodiff/primitives.js';
import { normaliseAxes, sizeOf } from '../../../core/autodiff/shapes.js';
import { coalesce, MAX_RANK, rowMajorStrides } from '../layout.js';
import { FLOAT_BITS_WGSL, elementGroups, perElement } from '../shaders.js';
import type { Info, KernelContext, WebgpuHandle } from './context.js';

interface ReductionPlan {
  readonly words: number[];
  /** The reduced elements are at one stride from each other (rank <= 1 after coalescing). */
  readonly linear: boolean;
  readonly outputs: number;
}

function plan(shape: Shape, axes: readonly number[], op: string): ReductionPlan {
  const reduced = normaliseAxes(axes, shape.length);
  const strides = rowMajorStrides(shape);
  const keptAxes = shape.map((_, i) => i).filter((i) => !reduced.includes(i));
  const kept = coalesce(keptAxes.map((a) => shape[a]!), [keptAxes.map((a) => strides[a]!)], op);
  const walk = coalesce(reduced.map((a) => shape[a]!), [reduced.map((a) => strides[a]!)], op);
  const pad = (xs: readonly number[]) => [...xs, ...new Array<number>(MAX_RANK - xs.length).fill(0)];
  const outputs = sizeOf(kept.shape);
  const words = [outputs, kept.shape.length, walk.shape.length, sizeOf(walk.shape),
    ...pad(kept.shape), ...pad(kept.strides[0]!), ...pad(walk.shape), ...pad(walk.strides[0]!)];
  return { words, linear: walk.shape.length <= 1, outputs };
}

const WALK_WGSL = (linear: boolean) => /* wgsl */ `
fn base(i: u32) -> u32 {
  var rem = i;
  var o = 0u;
  for (var d = i32(p(1u)) - 1; d >= 0; d--) {
    let axis = u32(d);
    let size = p(4u + axis);
    o += (rem % size) * p(12u + axis);
    rem = rem / size;
  }
  return o;
}
fn walk(r: u32) -> u32 {
${linear ? '  return r * p(28u);' : `  var rem = r;
  var o = 0u;
  for (var d = i32(p(2u)) - 1; d >= 0; d--) {
    let axis = u32(d);
    let size = p(20u + axis);
    o += (rem % size) * p(28u + axis);
    rem = rem / size;
  }
  return o;`}
}
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;
`;

const BODIES = {
  sum: `  let b = base(i);
  var acc = 0.0;
  for (var r = 0u; r < p(3u); r++) { acc = acc + f(src[b + walk(r)]); }
  dst[i] = u(acc);`,
  // The reference's max: a NaN wins, otherwise the first strictly greater value; -Infinity when empty.
  max: `  let b = base(i);
  var acc = 0xff800000u;
  for (var r = 0u; r < p(3u); r++) {
    let v = src[b + walk(r)];
    acc = select(acc, v, gt(v, acc) || is_nan(v));
  }
  dst[i] = acc;`,
  // The first index of the maximum (ties: the first; a NaN is never greater).
  argmax: `  let b = base(i);
  var best = 0u;
  if (p(3u) > 0u) {
    var value = src[b];
    for (var r = 1u; r < p(3u); r++) {
      let v = src[b + walk(r)];
      if (gt(v, value)) { value = v; best = r; }
    }
  }
  dst[i] = best;`,
} as const;

function reduce(ctx: KernelContext, op: keyof typeof BODIES, x: Info, axes: readonly number[]): WebgpuHandle {
  const { words, linear, outputs } = plan(x.shape, axes, op);
  const out = ctx.output(outputs);
  const program = ctx.programs.get(`reduce:${op}:${linear ? 'linear' : 'strided'}`, 1, () => FLOAT_BITS_WGSL + WALK_WGSL(linear) + perElement(BODIES[op]));
  ctx.queue.dispatch(program, [x.handle.buffer, out.buffer], words, elementGroups(outputs));
  return out;
}

export const sum = (ctx: KernelContext, x: Info, axes: readonly number[]): WebgpuHandle => reduce(ctx, 'sum', x, axes);
export const max = (ctx: KernelContext, x: Info, axes: readonly number[]): WebgpuHandle => reduce(ctx, 'max', x, axes);
export const argmax = (ctx: KernelContext, x: Info, axis: number): WebgpuHandle => reduce(ctx, 'argmax', x, [axis]);

/** int32 labels in, float32 [..., depth] out: 1 where the label equals the last index (out-of-range: a zero row). */
export function oneHot(ctx: KernelContext, labels: Info, depth: number): WebgpuHandle {
  const n = labels.handle.length * depth;
  const out = ctx.output(n);
  const program = ctx.programs.get('oneHot', 1, () => `${FLOAT_BITS_WGSL}
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;
${perElement('  dst[i] = select(0u, ONE, bitcast<i32>(src[i / p(1u)]) == i32(i % p(1u)));')}`);
  ctx.queue.dispatch(program, [labels.handle.buffer, out.buffer], [n, depth], elementGroups(n));
  return out;
}
