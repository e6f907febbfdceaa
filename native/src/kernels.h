/*
 * Kernels of the native backend: plain C loops on float32 / int32 buffers. Every kernel writes every element of
 * its output (buffers are recycled, so an output starts with stale values). Semantics follow the reference
 * backend (backends/reference/): binary ops and sqrt round exactly as float32 arithmetic does, exp and log are
 * computed in double and rounded, sums accumulate in double in the reference's order.
 */
#ifndef RSN_KERNELS_H
#define RSN_KERNELS_H

#include <stdint.h>

enum { BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV, BIN_MAX, BIN_MIN, BIN_GT, BIN_GE, BIN_EQ, BIN_COUNT };
enum { UN_NEG, UN_EXP, UN_LOG, UN_SQRT, UN_SIGN, UN_COUNT };
enum { RED_SUM, RED_MAX };

#define RSN_MAX_RANK 8

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
/* One portable build (x86-64-v2) plus an AVX2/FMA clone chosen at load time on CPUs that have it. */
#define RSN_HOT __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define RSN_HOT
#endif

/*
 * An elementwise loop nest over a (collapsed) output shape: dims[0..rank) and, for each of up to three inputs,
 * the element stride along each output axis (0 where that input is broadcast).
 */
typedef struct {
  int rank;
  int64_t dims[RSN_MAX_RANK];
  int64_t strides[3][RSN_MAX_RANK];
} rsn_plan;

/* out[i] = a[i*sa] (op) b[i*sb], sa and sb in {0, 1}. */
void rsn_binary(int op, const float *restrict a, int sa, const float *restrict b, int sb, float *restrict out,
                int64_t n);
void rsn_binary_plan(int op, const float *restrict a, const float *restrict b, float *restrict out,
                     const rsn_plan *plan);
/* out = c != 0 ? a : b, broadcast by plan (inputs c, a, b). */
void rsn_where_plan(const float *restrict c, const float *restrict a, const float *restrict b, float *restrict out,
                    const rsn_plan *plan);
/* out = x gathered through the strides of plan's input 0: transpose and broadcastTo (4-byte elements). */
void rsn_gather_plan(const uint32_t *restrict x, uint32_t *restrict out, const rsn_plan *plan);

void rsn_unary(int op, const float *restrict x, float *restrict out, int64_t n);
void rsn_clip(const float *restrict x, float *restrict out, int64_t n, double lo, double hi);

/* Reduce x viewed as [outer, reduced, inner] over the middle axis. */
void rsn_reduce(int op, const float *restrict x, float *restrict out, int64_t outer, int64_t reduced, int64_t inner);
void rsn_argmax(const float *restrict x, int32_t *restrict out, int64_t outer, int64_t reduced, int64_t inner);
void rsn_one_hot(const int32_t *restrict labels, float *restrict out, int64_t n, int64_t depth);

/*
 * sign and clip as the reference defines them, in branch-free forms that compile to vector compares and blends
 * (data-dependent branches here cost more than the arithmetic). sign(+-0) = +0 and sign(NaN) = NaN.
 */
static inline float rsn_sign(float v) {
  float r = v != v ? v : 0.0f;
  r = v > 0.0f ? 1.0f : r;
  return v < 0.0f ? -1.0f : r;
}

/*
 * clip(v) = v < lo ? fround(lo) : v > hi ? fround(hi) : v with lo, hi doubles, as the reference computes it.
 * For a float v, v < lo exactly when v < (the smallest float >= lo), and v > hi exactly when v > (the largest
 * float <= hi), so the comparisons can be made in float without changing any result, signed zeros included.
 */
typedef struct {
  float lo_test, lo, hi_test, hi;
} rsn_bounds;

rsn_bounds rsn_make_bounds(double lo, double hi);

static inline float rsn_clip_to(float v, rsn_bounds b) {
  const float upper = v > b.hi_test ? b.hi : v;
  return v < b.lo_test ? b.lo : upper;
}

/*
 * The same clip as max then min (maxps(lo, v), minps(hi, t): NaN passes, as it must) instead of two compares
 * and two blends. It gives the same results whenever a bound that was rounded is
 * not zero: a v between the test value and the rounded bound can only be that bound itself, so returning v or
 * the bound is the same float; only a zero bound rounded from a tiny nonzero one would change a signed zero.
 */
static inline int rsn_bounds_plain(rsn_bounds b) {
  return (b.lo_test == b.lo || b.lo != 0.0f) && (b.hi_test == b.hi || b.hi != 0.0f);
}

static inline float rsn_clamp(float v, rsn_bounds b) {
  const float t = b.lo > v ? b.lo : v;
  return b.hi < t ? b.hi : t;
}

/*
 * What follows a product on each finished value (the matrix products of bindings_products.c and the sparse
 * products in the lane layout): nothing, relu (maximum(v, 0): NaN stays NaN, -0 becomes +0), or the relu gradient
 * v * (gate > 0), gate laid out as the output.
 */
enum { RSN_EPILOGUE_NONE = 0, RSN_EPILOGUE_RELU = 1, RSN_EPILOGUE_RELU_GRAD = 2 };
/* The epilogue in place on out[0..n). */
void rsn_epilogue(float *restrict out, int64_t n, int epilogue, const float *restrict gate);

/* Fused kernels (defined in backends/backend.ts, FusedAttrs). Outputs must not alias inputs. */
void rsn_adam(const float *restrict w, const float *restrict g, const float *restrict m, const float *restrict v,
              float *restrict w_out, float *restrict m_out, float *restrict v_out, int64_t n, double lr_t,
              double beta1, double beta2, double eps);
/*
 * rsn_adam on the masked gradient g * mask, and e_out = w_out * mask (the next step's masked weights): the
 * composition mul(g, mask), Adam, mul(w', mask) in one pass.
 */
void rsn_adam_masked(const float *restrict w, const float *restrict g, const float *restrict mask,
                     const float *restrict m, const float *restrict v, float *restrict w_out, float *restrict m_out,
                     float *restrict v_out, float *restrict e_out, int64_t n, double lr_t, double beta1,
                     double beta2, double eps);
void rsn_sign_step(const float *restrict x, const float *restrict g, float *restrict out, int64_t n, double scale,
                   double lo, double hi);
/* out = g * (pre > 0): the gradient through relu = maximum(pre, 0) as its VJP gives it (relu'(0) = 0). */
void rsn_relu_grad(const float *restrict g, const float *restrict pre, float *restrict out, int64_t n);
/*
 * mean_n of -sum_j t * logSoftmax(logits) (returned) and in grad the gradient of the logits for a cotangent -c n
 * of it, c t + (sum_j -c t) / S exp(shifted), in the order and roundings of the composition
 * (core/autodiff/ops.ts softmaxCrossEntropy and its VJPs; exp and log in double, rounded). e: `classes` doubles.
 */
double rsn_softmax_xent(const float *restrict logits, const float *restrict t, int64_t n, int64_t classes, float c,
                        float *restrict grad, double *restrict e);
void rsn_pgd_step(const float *restrict x, const float *restrict cur, const float *restrict g, float *restrict out,
                  int64_t n, double step, double eps, double lo, double hi);

/*
 * Sparse kernels (sparse.c). A kept position p of a layout has an index at[p] into `vals`.
 * rsn_sparse_product: out[m, groups] with out[i, j] = sum over b < blocks and p in
 * [ptr[b * groups + j], ptr[b * groups + j + 1]) of vals[at[p]] * src[i, idx[p]], src [m, inner]: x @ E with the
 * CSC lists (groups = columns of E), g @ E^T with the CSR lists (groups = rows). The lists may be split into
 * blocks of consecutive idx ranges (so that the rows of src one block reads stay in L1); the sum's order is that of
 * the positions, whatever the blocking.
 * rsn_sampled_product: out[p] = sum_i a[i, r] * b[i, col_idx[p]] for the positions p of row r (a^T b sampled).
 */
void rsn_sparse_product(const float *restrict src, int64_t m, int64_t inner, const float *restrict vals,
                        const int32_t *restrict ptr, const int32_t *restrict idx, const int32_t *restrict at,
                        int64_t groups, int64_t blocks, float *restrict out);
void rsn_sampled_product(const float *restrict a, const float *restrict b, int64_t m, int64_t rows, int64_t cols,
                         const int32_t *restrict row_ptr, const int32_t *restrict col_idx, float *restrict out);
/*
 * The lane layout: a batch matrix [m, cols] stored transposed as [cols, mp], mp = rsn_lanes(m) (m rounded up
 * to 64), with zeros in the padding lanes. The *_lanes kernels work on it without transposing.
 */
int64_t rsn_lanes(int64_t m);
void rsn_to_lanes(const float *restrict src, int64_t m, int64_t cols, float *restrict dst, int64_t mp);
/* outT [cols, mp2]: lanes 0..m from aT, m..2m from bT (both [cols, mp]), zeros after: the lanes of [a; b]. */
void rsn_join_lanes(const float *restrict aT, const float *restrict bT, int64_t mp, int64_t m, int64_t cols,
                    float *restrict outT, int64_t mp2);
void rsn_from_lanes(const float *restrict srcT, int64_t mp, int64_t m, int64_t cols, float *restrict out);
/*
 * rsn_sparse_product in the lane layout: outT[j] = sum_p vals[at[p]] * srcT[idx[p]] (rows of mp lanes), then the
 * epilogue on each finished sum: none, relu (maximum(sum, 0)), or the relu gradient sum * (gate > 0), with gate
 * laid out as outT.
 */
void rsn_sparse_lanes(const float *restrict srcT, int64_t mp, const float *restrict vals, const int32_t *restrict ptr,
                      const int32_t *restrict idx, const int32_t *restrict at, int64_t groups, int64_t blocks,
                      float *restrict outT, int epilogue, const float *restrict gate);
/*
 * out[at[p]] = aT[r] . bT[idx[p]] for the positions p of row r in each block b, [ptr[b * rows + r],
 * ptr[b * rows + r + 1]) (the CSR lists blocked by column ranges; at NULL: out[p]).
 */
void rsn_sampled_lanes(const float *restrict aT, const float *restrict bT, int64_t mp, int64_t rows,
                       const int32_t *restrict ptr, const int32_t *restrict idx, const int32_t *restrict at,
                       int64_t blocks, float *restrict out);
/* out[p] = x[at[p]]. */
void rsn_gather(const float *restrict x, const int32_t *restrict at, float *restrict out, int64_t nnz);
/* out = background (or zeros when NULL), then out[at[p]] = vals[p]. */
void rsn_scatter(const float *restrict vals, const int32_t *restrict at, float *restrict out, int64_t nnz,
                 int64_t size, const float *restrict background);
/* Adam on the kept positions: g, m, v, m_out, v_out compact [nnz]; w, w_out dense [size] (w copied, then updated at at[p]). */
void rsn_adam_sparse(const float *restrict w, const float *restrict g, const float *restrict m,
                     const float *restrict v, const int32_t *restrict at, int64_t nnz, int64_t size,
                     float *restrict w_out, float *restrict m_out, float *restrict v_out, double lr_t,
                     double beta1, double beta2, double eps);

#endif
