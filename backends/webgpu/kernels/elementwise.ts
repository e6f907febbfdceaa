/**
 * Elementwise kernels with numpy broadcasting: binary ops, unary ops, clip and where. One generated program
 * per operation and per way of reading each input (element i, a scalar, or a strided plan), so that the
 * common same-shape case does no index arithmetic.
 */
import type { BinaryPrimitive, UnaryPrimitive } from '../../../core/autodiff/primitives.js';
import { sizeOf } from '../../../core/autodiff/shapes.js';
import { FLOAT_BITS_WGSL, elementGroups, floatBits, perElement } from '../shaders.js';
import { OFFSETS_WGSL, accessOf, broadcastStrides, coalesce, planWords, type Access } from '../layout.js';
import type { Info, KernelContext, WebgpuHandle } from './context.js';

/**
 * Each operation as a WGSL expression over the u32 bit patterns a, b (and c) that yields u32 bits; the
 * comparison helpers make every result match the reference (backends/reference/index.ts) exactly, including
 * NaN, signed zeros and subnormals, except the last-ulp rounding of exp and log.
 */
export const BINARY: Record<BinaryPrimitive, string> = {
  add: 'u(f(a) + f(b))',
  sub: 'u(f(a) - f(b))',
  mul: 'u(f(a) * f(b))',
  div: 'u(f(a) / f(b))',
  maximum: 'select(b, a, gt(a, b) || is_nan(a))',
  minimum: 'select(b, a, gt(b, a) || is_nan(a))',
  greater: 'select(0u, ONE, gt(a, b))',
  greaterEqual: 'select(0u, ONE, gt(a, b) || eq(a, b))',
  equal: 'select(0u, ONE, eq(a, b))',
};

export const UNARY: Record<UnaryPrimitive, string> = {
  neg: 'a ^ 0x80000000u',
  exp: 'u(exp(f(a)))',
  log: 'u(log(f(a)))',
  sqrt: 'u(sqrt(f(a)))',
  // sign(+-0) = +0, sign(NaN) = NaN, else +-1 (subnormals included).
  sign: 'select(select((a & 0x80000000u) | ONE, a, is_nan(a)), 0u, (a & 0x7fffffffu) == 0u)',
};

/** clip(x, lo, hi) on the bits of WGSL expressions: x < lo ? lo : x > hi ? hi : x. */
export const clipBits = (x: string, lo: string, hi: string): string => `select(select(${x}, ${hi}, gt(${x}, ${hi})), ${lo}, gt(${lo}, ${x}))`;
/** clip with lo, hi in p(2), p(3). */
const CLIP = clipBits('a', 'p(2u)', 'p(3u)');
/** where(c, a, b): c != 0 (NaN included) picks a. */
const WHERE = 'select(c, b, (a & 0x7fffffffu) != 0u)';

const NAMES = ['a', 'b', 'c'];

/** Run `expr` (over the bits a, b, c of the inputs) for every element of an output of `outShape`. */
function run(ctx: KernelContext, name: string, expr: string, inputs: readonly Info[], outShape: readonly number[], extra?: number[]): WebgpuHandle {
  return mapStrided(ctx, name, expr, inputs, outShape, inputs.map((t) => broadcastStrides(t.shape, outShape)), extra);
}

/**
 * out[i] = expr(a, b, c) where input k is read at sum_d coord_d(i) * strides[k][d] (coord over `outShape`):
 * broadcasting, transposes and copies are all this one kernel.
 */
export function mapStrided(
  ctx: KernelContext, name: string, expr: string, inputs: readonly Info[], outShape: readonly number[],
  strides: readonly (readonly number[])[], extra?: number[],
): WebgpuHandle {
  const n = sizeOf(outShape);
  const out = ctx.output(n);
  const plan = coalesce(outShape, strides, name);
  const access = inputs.map((_, k) => accessOf(plan, k));
  const program = ctx.programs.get(`elementwise:${name}:${access.join(',')}`, inputs.length, () => source(expr, access));
  ctx.queue.dispatch(program, [...inputs.map((t) => t.handle.buffer), out.buffer], planWords(n, plan, extra), elementGroups(n));
  return out;
}

function source(expr: string, access: readonly Access[]): string {
  const bindings = access.map((_, k) => `@group(0) @binding(${k + 1}) var<storage, read> in${k}: array<u32>;`).join('\n');
  const strided = access.includes('strided');
  const loads = access.map((a, k) => {
    const index = a === 'full' ? 'i' : a === 'scalar' ? '0u' : `o[${k}]`;
    return `  let ${NAMES[k]} = in${k}[${index}];`;
  });
  return `${FLOAT_BITS_WGSL}${strided ? OFFSETS_WGSL : ''}
${bindings}
@group(0) @binding(${access.length + 1}) var<storage, read_write> dst: array<u32>;
${perElement(`${strided ? '  let o = offsets(i);\n' : ''}${loads.join('\n')}\n  dst[i] = ${expr};`)}`;
}

export const binary = (ctx: KernelContext, op: BinaryPrimitive, [a, b]: readonly Info[], outShape: readonly number[]): WebgpuHandle =>
  run(ctx, op, BINARY[op], [a!, b!], outShape);

export const unary = (ctx: KernelContext, op: UnaryPrimitive, [x]: readonly Info[]): WebgpuHandle => run(ctx, op, UNARY[op], [x!], x!.shape);

export const clip = (ctx: KernelContext, [x]: readonly Info[], min: number, max: number): WebgpuHandle =>
  run(ctx, 'clip', CLIP, [x!], x!.shape, [floatBits(min), floatBits(max)]);

export const where = (ctx: KernelContext, inputs: readonly Info[], outShape: readonly number[]): WebgpuHandle =>
  run(ctx, 'where', WHERE, inputs, outShape);
