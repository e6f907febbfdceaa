/**
 * C = op(A) op(B), a tiled kernel: a workgroup of 16x16 invocations computes a 64x64 tile of C, each
 * invocation a 4x4 block, stepping through the depth 16 at a time with both operands staged in workgroup
 * memory. The transposes only change how a tile is loaded (each variant loads along the operand's contiguous
 * axis), so there is one program per (transposeA, transposeB).
 *
 * Batched form: the workgroup's z index is a batch index, and A, B and C start at z times the batch strides in
 * p(4..6). rank-2 products dispatch z = 1 with zero strides; [T,n,k] x [T,k,m] is a dispatch with z = T and
 * the strides n*k, k*m, n*m.
 *
 * Fused forms (dense-relu.ts) generate the same program with one change each, so the products are the same float
 * operations in the same order: 'relu' stores maximum(C, 0) as the elementwise kernel computes it, on the bits;
 * 'maskA' and 'maskB' read that operand times the mask (H > 0) of an activation H laid out as the operand (a
 * third input), as the elementwise kernels compute mul(g, greater(h, 0)), the ReLU's backward pass.
 */
import type { Shape } from '../../../core/autodiff/primitives.js';
import { sameShape, sizeOf } from '../../../core/autodiff/shapes.js';
import { RsnError } from '../../../core/errors.js';
import { FLOAT_BITS_WGSL } from '../shaders.js';
import type { Info, KernelContext, WebgpuHandle } from './context.js';
import { BINARY } from './elementwise.js';
import { broadcastTo } from './layout.js';

const TILE = 64;
const DEPTH = 16;
/** The depth the product steps through at a time; it pads the depth with zero terms to a multiple of this. */
export const PRODUCT_DEPTH_STEP = DEPTH;
const THREADS = 256;

export interface MatmulShape {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly transposeA: boolean;
  readonly transposeB: boolean;
  /** Products in the batch (default 1) and the element strides between consecutive A, B and C. */
  readonly batch?: number;
  readonly strides?: readonly [number, number, number];
  /** A fused form (default 'none'). */
  readonly fusion?: ProductFusion;
}

/** What a product does beyond C = op(A) op(B); see the header. */
export type ProductFusion = 'none' | 'relu' | 'maskA' | 'maskB';

/**
 * The WGSL of a fused form: the mask's mul and the ReLU's maximum as their elementwise kernels' expressions. The
 * mask and the masked value pass through an exclusive-or with parameter word 3, zero at run time, so that the
 * compiler cannot fold the multiplication by a known 1 or 0 (which would keep a signalling NaN's bits that the
 * multiplication quiets) or merge it with the product's arithmetic (kept-operations.ts says why).
 */
const FUSED_WGSL = /* wgsl */ `${FLOAT_BITS_WGSL}
fn mul_(a: u32, b: u32) -> u32 { return ${BINARY.mul}; }
fn masked(a: f32, h: u32) -> f32 { return f(mul_(u(a), select(0u, ONE, gt(h, 0u)) ^ p(3u)) ^ p(3u)); }
fn relu(a: u32) -> u32 { let b = 0u; return ${BINARY.maximum}; }
`;

function source(transposeA: boolean, transposeB: boolean, fusion: ProductFusion = 'none'): string {
  const mask = fusion === 'maskA' || fusion === 'maskB';
  const load = (operand: string, index: string) =>
    (fusion === `mask${operand}` ? `masked(${operand}[${index}], H[${index}])` : `${operand}[${index}]`);
  // Index of op(A)[row, depth] and op(B)[depth, col] in row-major storage.
  const aIndex = transposeA ? 'gp * M + gi' : 'gi * K + gp';
  const bIndex = transposeB ? 'gj * K + gp' : 'gp * N + gj';
  // Consecutive invocations load along the operand's contiguous axis.
  const aMap = transposeA ? `let i = idx % ${TILE}u; let pp = idx / ${TILE}u;` : `let pp = idx % ${DEPTH}u; let i = idx / ${DEPTH}u;`;
  const bMap = transposeB ? `let pp = idx % ${DEPTH}u; let j = idx / ${DEPTH}u;` : `let j = idx % ${TILE}u; let pp = idx / ${TILE}u;`;
  const rows = [0, 1, 2, 3];
  const bindings = mask
    ? '@group(0) @binding(3) var<storage, read> H: array<u32>;\n@group(0) @binding(4) var<storage, read_write> C: array<f32>;'
    : `@group(0) @binding(3) var<storage, read_write> C: array<${fusion === 'relu' ? 'u32' : 'f32'}>;`;
  const stored = fusion === 'relu' ? 'relu(bitcast<u32>(v[s]))' : 'v[s]';
  return /* wgsl */ `${fusion === 'none' ? '' : FUSED_WGSL}
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
${bindings}
var<workgroup> As: array<f32, ${TILE * DEPTH}>;
var<workgroup> Bs: array<f32, ${TILE * DEPTH}>;

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let M = p(0u);
  let N = p(1u);
  let K = p(2u);
  let offA = wg.z * p(4u);
  let offB = wg.z * p(5u);
  let offC = wg.z * p(6u);
  let row0 = wg.y * ${TILE}u;
  let col0 = wg.x * ${TILE}u;
  let r0 = lid.y * 4u;
  let c0 = lid.x * 4u;
${rows.map((r) => `  var acc${r} = vec4<f32>(0.0);`).join('\n')}
  for (var t = 0u; t < K; t += ${DEPTH}u) {
    for (var e = 0u; e < ${(TILE * DEPTH) / THREADS}u; e++) {
      let idx = li + e * ${THREADS}u;
      {
        ${aMap}
        let gi = row0 + i;
        let gp = t + pp;
        var v = 0.0;
        if (gi < M && gp < K) { v = ${load('A', `offA + ${aIndex}`)}; }
        As[pp * ${TILE}u + i] = v;
      }
      {
        ${bMap}
        let gj = col0 + j;
        let gp = t + pp;
        var w = 0.0;
        if (gp < K && gj < N) { w = ${load('B', `offB + ${bIndex}`)}; }
        Bs[pp * ${TILE}u + j] = w;
      }
    }
    workgroupBarrier();
    for (var q = 0u; q < ${DEPTH}u; q++) {
      let a = vec4<f32>(As[q * ${TILE}u + r0], As[q * ${TILE}u + r0 + 1u], As[q * ${TILE}u + r0 + 2u], As[q * ${TILE}u + r0 + 3u]);
      let b = vec4<f32>(Bs[q * ${TILE}u + c0], Bs[q * ${TILE}u + c0 + 1u], Bs[q * ${TILE}u + c0 + 2u], Bs[q * ${TILE}u + c0 + 3u]);
${rows.map((r) => `      acc${r} = acc${r} + a[${r}] * b;`).join('\n')}
    }
    workgroupBarrier();
  }
${rows.map((r) => `  store(offC, N, M, row0 + r0 + ${r}u, col0 + c0, acc${r});`).join('\n')}
}

fn store(offC: u32, N: u32, M: u32, row: u32, col: u32, v: vec4<f32>) {
  if (row >= M) { return; }
  for (var s = 0u; s < 4u; s++) {
    if (col + s < N) { C[offC + row * N + col + s] = ${stored}; }
  }
}
`;
}

/**
 * Dispatch the product; `out` receives batch * m * n values. A masked form reads the activation H as a third
 * input, at the masked operand's offsets.
 */
export function matmulInto(ctx: KernelContext, a: WebgpuHandle, b: WebgpuHandle, out: WebgpuHandle, shape: MatmulShape, activation?: WebgpuHandle): void {
  const { m, n, k, transposeA, transposeB, batch = 1, strides = [0, 0, 0], fusion = 'none' } = shape;
  const inputs = activation ? [a, b, activation] : [a, b];
  if ((fusion === 'maskA' || fusion === 'maskB') !== (activation !== undefined)) {
    throw new RsnError(`matmul: the fused form '${fusion}' ${activation ? 'takes no' : 'needs an'} activation`, 'pass the activation exactly with the masked forms maskA and maskB');
  }
  const key = `matmul:${transposeA ? 'T' : 'N'}${transposeB ? 'T' : 'N'}${fusion === 'none' ? '' : `:${fusion}`}`;
  const program = ctx.programs.get(key, inputs.length, () => source(transposeA, transposeB, fusion));
  ctx.queue.dispatch(program, [...inputs.map((h) => h.buffer), out.buffer], [m, n, k, 0, ...strides], [Math.ceil(n / TILE), Math.ceil(m / TILE), batch]);
}

/**
 * The element stride between the products of a batch (leading axes `batch`) at which an operand is read: 0 when
 * it is one matrix shared by all, its matrix size when it has the batch; undefined when another broadcast would
 * have to be made explicit.
 */
export function batchStride(x: Info, batch: Shape, matrix: number): number | undefined {
  const own = x.shape.slice(0, -2);
  if (own.length === 0 || sizeOf(own) === 1) return 0;
  return sameShape(own, batch) ? matrix : undefined;
}

export function matmul(ctx: KernelContext, [a, b]: readonly Info[], transposeA: boolean, transposeB: boolean, outShape: readonly number[]): WebgpuHandle {
  const rank = outShape.length;
  const [m, n] = [outShape[rank - 2]!, outShape[rank - 1]!];
  const k = transposeA ? a!.shape[a!.shape.length - 2]! : a!.shape[a!.shape.length - 1]!;
  const out = ctx.output(sizeOf(outShape));
  // k = 0 needs no special case: the depth loop does not run and the stores write zeros.
  if (rank === 2) {
    matmulInto(ctx, a!.handle, b!.handle, out, { m, n, k, transposeA, transposeB });
    return out;
  }
  // A trial axis: one dispatch whose z index is the product. An operand is read at z times its stride: the
  // matrix size when it has the batch, 0 when it is one matrix shared by all; other broadcasts are made explicit.
  const batch = outShape.slice(0, -2);
  const operand = (x: Info, matrix: number): { handle: WebgpuHandle; stride: number; temp?: WebgpuHandle } => {
    const stride = batchStride(x, batch, matrix);
    if (stride !== undefined) return { handle: x.handle, stride };
    const full = broadcastTo(ctx, x, [...batch, ...x.shape.slice(-2)]);
    return { handle: full, stride: matrix, temp: full };
  };
  const [left, right] = [operand(a!, m * k), operand(b!, k * n)];
  matmulInto(ctx, left.handle, right.handle, out, { m, n, k, transposeA, transposeB, batch: sizeOf(batch), strides: [left.stride, right.stride, m * n] });
  for (const t of [left.temp, right.temp]) if (t) ctx.release(t);
  return out;
}
