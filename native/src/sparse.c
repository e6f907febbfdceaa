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

/*
 * The products' multiply-adds may fuse (FMA on the AVX2 clone): one rounding instead of two. Unlike the
 * elementwise kernels, which reproduce the reference bit for bit, the products only match it within float32
 * accumulation error, as sgemm does; a given machine always runs the same clone, so results stay deterministic.
 */
#if defined(__GNUC__) && !defined(__clang__)
#define RSN_CONTRACT __attribute__((optimize("fp-contract=fast")))
#else
#define RSN_CONTRACT
#endif

/* Growing scratch buffers, one per slot and thread (worker threads may each load the addon). */
static _Thread_local float *scratch_buf[2];
static _Thread_local size_t scratch_len[2];

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

/* Two-vector shuffle: clang's __builtin_shufflevector, or GCC's __builtin_shuffle (any GCC, not only 12+). */
typedef int32_t v8i __attribute__((vector_size(32), aligned(4)));
#if defined(__clang__)
#define SHUF(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
#else
#define SHUF(a, b, ...) __builtin_shuffle(a, b, (v8i){__VA_ARGS__})
#endif

/* Transpose eight rows of eight floats in registers (the AVX unpack / shuffle / lane-swap sequence). */
static inline void transpose8(v8 r[8]) {
  v8 t[8], u[8];
  for (int k = 0; k < 8; k += 2) {
    t[k] = SHUF(r[k], r[k + 1], 0, 8, 1, 9, 4, 12, 5, 13);
    t[k + 1] = SHUF(r[k], r[k + 1], 2, 10, 3, 11, 6, 14, 7, 15);
  }
  for (int k = 0; k < 8; k += 4) {
    u[k] = SHUF(t[k], t[k + 2], 0, 1, 8, 9, 4, 5, 12, 13);
    u[k + 1] = SHUF(t[k], t[k + 2], 2, 3, 10, 11, 6, 7, 14, 15);
    u[k + 2] = SHUF(t[k + 1], t[k + 3], 0, 1, 8, 9, 4, 5, 12, 13);
    u[k + 3] = SHUF(t[k + 1], t[k + 3], 2, 3, 10, 11, 6, 7, 14, 15);
  }
  for (int k = 0; k < 4; k++) {
    r[k] = SHUF(u[k], u[k + 4], 0, 1, 2, 3, 8, 9, 10, 11);
    r[k + 4] = SHUF(u[k], u[k + 4], 4, 5, 6, 7, 12, 13, 14, 15);
  }
}

#define BLOCK8(r0, c0)                                                                  \
  do {                                                                                  \
    v8 b[8];                                                                            \
    for (int k = 0; k < 8; k++) b[k] = *(const v8 *)(src + ((r0) + k) * ld_src + (c0)); \
    transpose8(b);                                                                      \
    for (int k = 0; k < 8; k++) *(v8 *)(dst + ((c0) + k) * ld_dst + (r0)) = b[k];      \
  } while (0)

/*
 * dst[c * ld_dst + r] = src[r * ld_src + c] for r < rows, c < cols: 8 x 8 blocks in registers, scalar edges.
 * The longer side is the outer loop (measured: 2x faster for [60, 784] in and out of the lane layout).
 */
RSN_HOT static void transpose_to(const float *restrict src, int64_t ld_src, float *restrict dst, int64_t ld_dst,
                                 int64_t rows, int64_t cols) {
  const int64_t r8 = rows / 8 * 8, c8 = cols / 8 * 8;
  if (cols >= rows) {
    for (int64_t c0 = 0; c0 < c8; c0 += 8)
      for (int64_t r0 = 0; r0 < r8; r0 += 8) BLOCK8(r0, c0);
  } else {
    for (int64_t r0 = 0; r0 < r8; r0 += 8)
      for (int64_t c0 = 0; c0 < c8; c0 += 8) BLOCK8(r0, c0);
  }
  for (int64_t c = 0; c < c8; c++)
    for (int64_t r = r8; r < rows; r++) dst[c * ld_dst + r] = src[r * ld_src + c];
  for (int64_t c = c8; c < cols; c++)
    for (int64_t r = 0; r < rows; r++) dst[c * ld_dst + r] = src[r * ld_src + c];
}

/* dst[c * ld + r] = src[r * cols + c] for r < rows, and zeros for rows <= r < ld. */
static void transpose_padded(const float *restrict src, float *restrict dst, int64_t rows, int64_t cols, int64_t ld) {
  transpose_to(src, cols, dst, ld, rows, cols);
  if (ld > rows)
    for (int64_t c = 0; c < cols; c++) memset(dst + c * ld + rows, 0, (size_t)(ld - rows) * sizeof(float));
}

/* out[r * cols + c] = src[c * ld + r] for r < rows (drops the padding). */
static void transpose_back(const float *restrict src, float *restrict out, int64_t rows, int64_t cols, int64_t ld) {
  transpose_to(src, ld, out, cols, cols, rows);
}

/*
 * outT[j, 0..mp) = sum over the blocks b and p in [ptr[b * groups + j], ptr[b * groups + j + 1]) of
 * vals[at[p]] * srcT[idx[p], 0..mp), 64 lanes at a time in eight vector accumulators. Each 64-lane slice runs
 * through all blocks before the next (a block's rows of that slice stay in L1); a block continues the sums the
 * previous one stored, so the order of the terms is that of the positions.
 */
RSN_HOT RSN_CONTRACT static void gather_rows(const float *restrict srcT, int64_t mp, const float *restrict vals,
                                             const int32_t *restrict ptr, const int32_t *restrict idx,
                                             const int32_t *restrict at, int64_t groups, int64_t blocks,
                                             float *restrict outT, int epilogue, const float *restrict gate) {
  const v8 zero = {0}, one = {1, 1, 1, 1, 1, 1, 1, 1};
  for (int64_t i0 = 0; i0 < mp; i0 += LANES) {
    for (int64_t b = 0; b < blocks; b++) {
      const int32_t *bptr = ptr + b * groups;
      const int last = b == blocks - 1 && epilogue != RSN_EPILOGUE_NONE;
      for (int64_t j = 0; j < groups; j++) {
        const int32_t p0 = bptr[j], p1 = bptr[j + 1];
        if (b > 0 && p0 == p1 && !last) continue;
        v8 *o = (v8 *)(outT + j * mp + i0);
        v8 acc[VECS];
        for (int v = 0; v < VECS; v++) acc[v] = b == 0 ? (v8){0} : o[v];
        for (int32_t p = p0; p < p1; p++) {
          const float w = vals[at[p]];
          const v8 *s = (const v8 *)(srcT + (int64_t)idx[p] * mp + i0);
          for (int v = 0; v < VECS; v++) acc[v] += w * s[v];
        }
        if (last && epilogue == RSN_EPILOGUE_RELU) {
          /* maximum(acc, 0) as the reference computes it: acc where acc > 0 or NaN, else +0. */
          for (int v = 0; v < VECS; v++) acc[v] = (v8)((v8i)acc[v] & ((acc[v] > zero) | (acc[v] != acc[v])));
        } else if (last && epilogue == RSN_EPILOGUE_RELU_GRAD) {
          /* acc * (gate > 0 ? 1 : 0), as rsn_relu_grad. */
          const v8 *gt = (const v8 *)(gate + j * mp + i0);
          for (int v = 0; v < VECS; v++) acc[v] = acc[v] * (v8)((v8i)one & (gt[v] > zero));
        }
        for (int v = 0; v < VECS; v++) o[v] = acc[v];
      }
    }
  }
}

void rsn_sparse_product(const float *restrict src, int64_t m, int64_t inner, const float *restrict vals,
                        const int32_t *restrict ptr, const int32_t *restrict idx, const int32_t *restrict at,
                        int64_t groups, int64_t blocks, float *restrict out) {
  if (m == 0 || groups == 0) return;
  const int64_t mp = padded(m);
  float *srcT = scratch(0, (size_t)(inner * mp));
  float *outT = scratch(1, (size_t)(groups * mp));
  transpose_padded(src, srcT, m, inner, mp);
  gather_rows(srcT, mp, vals, ptr, idx, at, groups, blocks, outT, RSN_EPILOGUE_NONE, NULL);
  transpose_back(outT, out, m, groups, mp);
}

void rsn_sampled_product(const float *restrict a, const float *restrict b, int64_t m, int64_t rows, int64_t cols,
                         const int32_t *restrict row_ptr, const int32_t *restrict col_idx, float *restrict out) {
  const int64_t mp = padded(m);
  float *aT = scratch(0, (size_t)(rows * mp));
  float *bT = scratch(1, (size_t)(cols * mp));
  transpose_padded(a, aT, m, rows, mp);
  transpose_padded(b, bT, m, cols, mp);
  rsn_sampled_lanes(aT, bT, mp, rows, row_ptr, col_idx, NULL, 1, out);
}

/* sum_i a[i] * b[i] over mp (a multiple of 64) lanes in a fixed order: eight vector partial sums, then lanes. */
RSN_HOT RSN_CONTRACT static float dot(const float *restrict a, const float *restrict b, int64_t mp) {
  v8 acc[VECS];
  for (int l = 0; l < VECS; l++) acc[l] = (v8){0};
  for (int64_t i = 0; i < mp; i += LANES) {
    const v8 *x = (const v8 *)(a + i), *y = (const v8 *)(b + i);
    for (int l = 0; l < VECS; l++) acc[l] += x[l] * y[l];
  }
  const v8 s = ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
  return ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]));
}

void rsn_sampled_lanes(const float *restrict aT, const float *restrict bT, int64_t mp, int64_t rows,
                       const int32_t *restrict ptr, const int32_t *restrict idx, const int32_t *restrict at,
                       int64_t blocks, float *restrict out) {
  /* Column blocks outermost: the rows of bT one block reads stay in cache while every row of aT passes. */
  for (int64_t b = 0; b < blocks; b++) {
    const int32_t *bptr = ptr + b * rows;
    for (int64_t r = 0; r < rows; r++) {
      const float *ar = aT + r * mp;
      for (int32_t p = bptr[r]; p < bptr[r + 1]; p++) out[at ? at[p] : p] = dot(ar, bT + (int64_t)idx[p] * mp, mp);
    }
  }
}

void rsn_to_lanes(const float *restrict src, int64_t m, int64_t cols, float *restrict dst, int64_t mp) {
  transpose_padded(src, dst, m, cols, mp);
}

void rsn_from_lanes(const float *restrict srcT, int64_t mp, int64_t m, int64_t cols, float *restrict out) {
  transpose_back(srcT, out, m, cols, mp);
}

void rsn_join_lanes(const float *restrict aT, const float *restrict bT, int64_t mp, int64_t m, int64_t cols,
                    float *restrict outT, int64_t mp2) {
  for (int64_t c = 0; c < cols; c++) {
    float *row = outT + c * mp2;
    memcpy(row, aT + c * mp, (size_t)m * sizeof(float));
    memcpy(row + m, bT + c * mp, (size_t)m * sizeof(float));
    memset(row + 2 * m, 0, (size_t)(mp2 - 2 * m) * sizeof(float));
  }
}

void rsn_sparse_lanes(const float *restrict srcT, int64_t mp, const float *restrict vals, const int32_t *restrict ptr,
                      const int32_t *restrict idx, const int32_t *restrict at, int64_t groups, int64_t blocks,
                      float *restrict outT, int epilogue, const float *restrict gate) {
  gather_rows(srcT, mp, vals, ptr, idx, at, groups, blocks, outT, epilogue, gate);
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
