/**
 * C = op(A) op(B), a tiled kernel: a workgroup of 16x16 invocations computes a 64x64 tile of C, each
 * invocation a 4x4 block, stepping through the depth 16 at a time with both operands staged in workgroup
 * memory. The transposes only change how a tile is loaded (each variant loads along the operand's contiguous
 * axis), so there is one program per (transposeA, transposeB).
 *
 * Batched form: the workgroup's z index is a batch index, and A, B and C start at z times the batch strides in
 * p(4..6). rank-2 products dispatch z = 1 with zero strides; [T,n,k] x [T,k,m] is a dispatch with z = T and
 * the strides n*k, k*m, n*m.
 */
import { sameShape, sizeOf } from '../../../core/autodiff/shapes.js';
import type { Info, KernelContext, WebgpuHandle } from './context.js';
import { broadcastTo } from './layout.js';

const TILE = 64;
const DEPTH = 16;
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
}

function source(transposeA: boolean, transposeB: boolean): string {
  // Index of op(A)[row, depth] and op(B)[depth, col] in row-major storage.
  const aIndex = transposeA ? 'gp * M + gi' : 'gi * K + gp';
  const bIndex = transposeB ? 'gj * K + gp' : 'gp * N + gj';
  // Consecutive invocations load along the operand's contiguous axis.
  const aMap = transposeA ? `let i = idx % ${TILE}u; let pp = idx / ${TILE}u;` : `let pp = idx % ${DEPTH}u; let i = idx / ${DEPTH}u;`;
  const bMap = transposeB ? `let pp = idx % ${DEPTH}u; let j = idx / ${DEPTH}u;` : `let j = idx % ${TILE}u; let pp = idx / ${TILE}u;`;
  const rows = [0, 1, 2, 3];
  return /* wgsl */ `
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
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
        if (gi < M && gp < K) { v = A[offA + ${aIndex}]; }
        As[pp * ${TILE}u + i] = v;
      }
      {
        ${bMap}
        let gj = col0 + j;
        let gp = t + pp;
        var w = 0.0;
        if (gp < K && gj < N) { w = B[offB + ${bIndex}]; }
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
    if (col + s < N) { C[offC + row * N + col + s] = v[s]; }
  }
}
`;
}

/** Dispatch the product; `out` receives batch * m * n values. */
export function matmulInto(ctx: KernelContext, a: WebgpuHandle, b: WebgpuHandle, out: WebgpuHandle, shape: MatmulShape): void {
  const { m, n, k, transposeA, transposeB, batch = 1, strides = [0, 0, 0] } = shape;
  const program = ctx.programs.get(`matmul:${transposeA ? 'T' : 'N'}${transposeB ? 'T' : 'N'}`, 2, () => source(transposeA, transposeB));
  ctx.queue.dispatch(program, [a.buffer, b.buffer, out.buffer], [m, n, k, 0, ...strides], [Math.ceil(n / TILE), Math.ceil(m / TILE), batch]);
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
    const own = x.shape.slice(0, -2);
    if (own.length === 0 || sizeOf(own) === 1) return { handle: x.handle, stride: 0 };
    if (sameShape(own, batch)) return { handle: x.handle, stride: matrix };
    const full = broadcastTo(ctx, x, [...batch, ...x.shape.slice(-2)]);
    return { handle: full, stride: matrix, temp: full };
  };
  const [left, right] = [operand(a!, m * k), operand(b!, k * n)];
  matmulInto(ctx, left.handle, right.handle, out, { m, n, k, transposeA, transposeB, batch: sizeOf(batch), strides: [left.stride, right.stride, m * n] });
  for (const t of [left.temp, right.temp]) if (t) ctx.release(t);
  return out;
}
