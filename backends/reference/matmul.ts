import type { FloatCtor, FloatData } from './elementwise.js';

const TILE = 4;

/**
 * Copy op(X) (logically [rows, depth]) into panels of TILE rows, depth-major inside a panel:
 * panel[(q * depth + p) * TILE + r] = op(X)[q * TILE + r, p], zero-padded past the last row.
 * `rowStride`/`depthStride` address op(X) in X's row-major storage, which absorbs any transpose.
 */
function pack(
  Ctor: FloatCtor, x: FloatData, rows: number, depth: number, rowStride: number, depthStride: number,
): FloatData {
  const panels = Math.ceil(rows / TILE);
  const out = new Ctor(panels * depth * TILE);
  for (let q = 0; q < panels; q++) {
    for (let r = 0; r < TILE; r++) {
      const row = q * TILE + r;
      if (row >= rows) break;
      const src = row * rowStride;
      let dst = q * depth * TILE + r;
      for (let p = 0; p < depth; p++, dst += TILE) out[dst] = x[src + p * depthStride]!;
    }
  }
  return out;
}

/**
 * C[m,n] = op(A)[m,k] op(B)[k,n] on row-major arrays. Both operands are packed into 4-wide panels so that
 * the inner loop reads contiguous memory whatever the transposes, and each 4x4 block of C is accumulated in
 * sixteen locals (8 loads feed 16 multiply-adds).
 */
export function matmul(
  Ctor: FloatCtor, a: FloatData, b: FloatData, m: number, k: number, n: number, transposeA: boolean, transposeB: boolean,
): FloatData {
  // op(A) row i, depth p lives at A[i*k + p] or, transposed, at A[p*m + i]; op(B)^T row j likewise.
  const ap = transposeA ? pack(Ctor, a, m, k, 1, m) : pack(Ctor, a, m, k, k, 1);
  const bp = transposeB ? pack(Ctor, b, n, k, k, 1) : pack(Ctor, b, n, k, 1, n);
  const c = new Ctor(m * n);
  const panelsA = Math.ceil(m / TILE);
  const panelsB = Math.ceil(n / TILE);
  for (let qa = 0; qa < panelsA; qa++) {
    const baseA = qa * k * TILE;
    for (let qb = 0; qb < panelsB; qb++) {
      const baseB = qb * k * TILE;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let p = 0, ia = baseA, ib = baseB; p < k; p++, ia += TILE, ib += TILE) {
        const a0 = ap[ia]!, a1 = ap[ia + 1]!, a2 = ap[ia + 2]!, a3 = ap[ia + 3]!;
        const b0 = bp[ib]!, b1 = bp[ib + 1]!, b2 = bp[ib + 2]!, b3 = bp[ib + 3]!;
        c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
        c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
        c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
        c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
      }
      const block = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
      for (let r = 0; r < TILE; r++) {
        const i = qa * TILE + r;
        if (i >= m) break;
        for (let s = 0; s < TILE; s++) {
          const j = qb * TILE + s;
          if (j < n) c[i * n + j] = block[r * TILE + s]!;
        }
      }
    }
  }
  return c;
}
