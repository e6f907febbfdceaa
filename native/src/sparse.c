/*
 * Sparse kernels of the native backend: the three products through which masked weights E = W * M enter a
 * training step, evaluated only at the positions the mask keeps.
 *
 * A layout lists the kept positions of a [rows, cols] matrix twice: by row (CSR: row_ptr[rows + 1], col_idx)
 * and by column (CSC: col_ptr[cols + 1], row_idx). Values are passed as a float array plus, per position, an
 * index into it (`at`), so one kernel reads either the dense matrix (at = flat index) or a compact array in
 * CSR order (at = position, or the CSC-to-CSR permutation).
 *
 * The batch is the vector dimension: the dense operand is transposed once per call into [.., m] rows, and each
 * kept weight then costs one m-wide multiply-add. Every sum is taken in a fixed order (ascending positions, and
 * for dot products eight interleaved partial sums combined pairwise), so results are deterministic.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

/* Growing scratch buffers, one per slot (the addon runs on the JS thread only). */
static float *scratch_buf[3];
static size_t scratch_len[3];

static float *scratch(int slot, size_t n) {
  if (scratch_len[slot] < n) {
    free(scratch_buf[slot]);
    scratch_buf[slot] = malloc((n ? n : 1) * sizeof(float));
    if (!scratch_buf[slot]) abort();
    scratch_len[slot] = n;
  }
  return scratch_buf[slot];
}

typedef float v8 __attribute__((vector_size(32), aligned(4)));

/* The batch dimension padded to whole 64-float blocks (zeros in the padding). */
#define LANES 64
#define VECS (LANES / 8)
int64_t rsn_lanes(int64_t m) { return (m + LANES - 1) / LANES * LANES; }
static int64_t padded(int64_t m) { return rsn_lanes(m); }

/* dst[c * ld + r] = src[r * cols + c] for r < rows, and zeros for rows <= r < ld, in cache-sized tiles. */
static void transpose_padded(const float *restrict src, float *restrict dst, int64_t rows, int64_t cols, int64_t ld) {
  const int64_t T = 32;
  for (int64_t r0 = 0; r0 < rows; r0 += T) {
    const int64_t r1 = r0 + T < rows ? r0 + T : rows;
    for (int64_t c0 = 0; c0 < cols; c0 += T) {
      const int64_t c1 = c0 + T < cols ? c0 + T : cols;
      for (int64_t r = r0; r < r1; r++)
        for (int64_t c = c0; c < c1; c++) dst[c * ld + r] = src[r * cols + c];
    }
  }
  if (ld > rows)
    for (int64_t c = 0; c < cols; c++) memset(dst + c * ld + rows, 0, (size_t)(ld - rows) * sizeof(float));
}

/* out[r * cols + c] = src[c * ld + r] for r < rows (drops the padding). */
static void transpose_back(const float *restrict src, float *restrict out, int64_t rows, int64_t cols, int64_t ld) {
  const int64_t T = 32;
  for (int64_t c0 = 0; c0 < cols; c0 += T) {
    const int64_t c1 = c0 + T < cols ? c0 + T : cols;
    for (int64_t r0 = 0; r0 < rows; r0 += T) {
      const int64_t r1 = r0 + T < rows ? r0 + T : rows;
      for (int64_t r = r0; r < r1; r++)
        for (int64_t c = c0; c < c1; c++) out[r * cols + c] = src[c * ld + r];
    }
  }
}

/*
 * outT[j, 0..mp) = sum over p in [ptr[j], ptr[j + 1]) of vals[at[p]] * srcT[idx[p], 0..mp), for j < groups,
 * 64 lanes at a time in eight vector accumulators.
 */
RSN_HOT static void gather_rows(const float *restrict srcT, int64_t mp, const float *restrict vals,
                                const int32_t *restrict ptr, const int32_t *restrict idx,
                                const int32_t *restrict at, int64_t groups, float *restrict outT) {
  for (int64_t j = 0; j < groups; j++) {
    const int32_t p0 = ptr[j], p1 = ptr[j + 1];
    for (int64_t i0 = 0; i0 < mp; i0 += LANES) {
      v8 acc[VECS];
      for (int b = 0; b < VECS; b++) acc[b] = (v8){0};
      for (int32_t p = p0; p < p1; p++) {
        const float v = vals[at[p]];
        const v8 *s = (const v8 *)(srcT + (int64_t)idx[p] * mp + i0);
        for (int b = 0; b < VECS; b++) acc[b] += v * s[b];
      }
      v8 *o = (v8 *)(outT + j * mp + i0);
      for (int b = 0; b < VECS; b++) o[b] = acc[b];
    }
  }
}

void rsn_sparse_product(const float *restrict src, int64_t m, int64_t inner, const float *restrict vals,
                        const int32_t *restrict ptr, const int32_t *restrict idx, const int32_t *restrict at,
                        int64_t groups, float *restrict out) {
  if (m == 0 || groups == 0) return;
  const int64_t mp = padded(m);
  float *srcT = scratch(0, (size_t)(inner * mp));
  float *outT = scratch(1, (size_t)(groups * mp));
  transpose_padded(src, srcT, m, inner, mp);
  gather_rows(srcT, mp, vals, ptr, idx, at, groups, outT);
  transpose_back(outT, out, m, groups, mp);
}

/* sum_i a[i] * b[i] over mp (a multiple of 64) lanes in a fixed order: eight vector partial sums, then lanes. */
RSN_HOT static float dot(const float *restrict a, const float *restrict b, int64_t mp) {
  v8 acc[VECS];
  for (int l = 0; l < VECS; l++) acc[l] = (v8){0};
  for (int64_t i = 0; i < mp; i += LANES) {
    const v8 *x = (const v8 *)(a + i), *y = (const v8 *)(b + i);
    for (int l = 0; l < VECS; l++) acc[l] += x[l] * y[l];
  }
  const v8 s = ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
  return ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]));
}

void rsn_sampled_product(const float *restrict a, const float *restrict b, int64_t m, int64_t rows, int64_t cols,
                         const int32_t *restrict row_ptr, const int32_t *restrict col_idx, float *restrict out) {
  const int64_t mp = padded(m);
  float *aT = scratch(0, (size_t)(rows * mp));
  float *bT = scratch(1, (size_t)(cols * mp));
  transpose_padded(a, aT, m, rows, mp);
  transpose_padded(b, bT, m, cols, mp);
  rsn_sampled_lanes(aT, bT, mp, rows, row_ptr, col_idx, out);
}

void rsn_sampled_lanes(const float *restrict aT, const float *restrict bT, int64_t mp, int64_t rows,
                       const int32_t *restrict row_ptr, const int32_t *restrict col_idx, float *restrict out) {
  for (int64_t r = 0; r < rows; r++) {
    const float *ar = aT + r * mp;
    for (int32_t p = row_ptr[r]; p < row_ptr[r + 1]; p++) out[p] = dot(ar, bT + (int64_t)col_idx[p] * mp, mp);
  }
}

void rsn_to_lanes(const float *restrict src, int64_t m, int64_t cols, float *restrict dst, int64_t mp) {
  transpose_padded(src, dst, m, cols, mp);
}

void rsn_from_lanes(const float *restrict srcT, int64_t mp, int64_t m, int64_t cols, float *restrict out) {
  transpose_back(srcT, out, m, cols, mp);
}

void rsn_sparse_lanes(const float *restrict srcT, int64_t mp, const float *restrict vals, const int32_t *restrict ptr,
                      const int32_t *restrict idx, const int32_t *restrict at, int64_t groups, float *restrict outT) {
  gather_rows(srcT, mp, vals, ptr, idx, at, groups, outT);
}

void rsn_gather(const float *restrict x, const int32_t *restrict at, float *restrict out, int64_t nnz) {
  for (int64_t p = 0; p < nnz; p++) out[p] = x[at[p]];
}

void rsn_scatter(const float *restrict vals, const int32_t *restrict at, float *restrict out, int64_t nnz,
                 int64_t size, const float *restrict background) {
  if (background) memcpy(out, background, (size_t)size * sizeof(float));
  else memset(out, 0, (size_t)size * sizeof(float));
  for (int64_t p = 0; p < nnz; p++) out[at[p]] = vals[p];
}
