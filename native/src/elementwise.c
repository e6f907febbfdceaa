/* Elementwise kernels: binary ops with broadcasting, where, unary ops, clip, strided gathers. */
#include <math.h>
#include <string.h>

#include "kernels.h"

/* One loop per (sa, sb) combination so that each is a plain, vectorisable loop. */
#define BINARY_LOOPS(EXPR)                                                        \
  do {                                                                           \
    if (sa && sb) {                                                              \
      for (int64_t i = 0; i < n; i++) { const float x = a[i], y = b[i]; out[i] = (EXPR); } \
    } else if (sa) {                                                             \
      const float y = b[0];                                                      \
      for (int64_t i = 0; i < n; i++) { const float x = a[i]; out[i] = (EXPR); } \
    } else if (sb) {                                                             \
      const float x = a[0];                                                      \
      for (int64_t i = 0; i < n; i++) { const float y = b[i]; out[i] = (EXPR); } \
    } else {                                                                     \
      const float x = a[0], y = b[0], v = (EXPR);                                \
      for (int64_t i = 0; i < n; i++) out[i] = v;                                \
    }                                                                            \
  } while (0)

RSN_HOT void rsn_binary(int op, const float *restrict a, int sa, const float *restrict b, int sb,
                        float *restrict out, int64_t n) {
  switch (op) {
    case BIN_ADD: BINARY_LOOPS(x + y); break;
    case BIN_SUB: BINARY_LOOPS(x - y); break;
    case BIN_MUL: BINARY_LOOPS(x * y); break;
    case BIN_DIV: BINARY_LOOPS(x / y); break;
    /* NaN propagates from either side, as in the reference (x > y || x !== x ? x : y). */
    case BIN_MAX: BINARY_LOOPS((x > y || x != x) ? x : y); break;
    case BIN_MIN: BINARY_LOOPS((x < y || x != x) ? x : y); break;
    case BIN_GT: BINARY_LOOPS(x > y ? 1.0f : 0.0f); break;
    case BIN_GE: BINARY_LOOPS(x >= y ? 1.0f : 0.0f); break;
    case BIN_EQ: BINARY_LOOPS(x == y ? 1.0f : 0.0f); break;
    default: break;
  }
}

/*
 * Walk every index of plan's outer axes (all but the last), calling BODY with the offsets of up to three inputs
 * and of the output; the last axis is left to BODY (length `inner`, input strides s0/s1/s2 along it).
 */
#define PLAN_WALK(plan, ...)                                                        \
  do {                                                                              \
    const int rank = (plan)->rank;                                                  \
    const int64_t inner = rank ? (plan)->dims[rank - 1] : 1;                        \
    const int64_t s0 = rank ? (plan)->strides[0][rank - 1] : 0;                     \
    const int64_t s1 = rank ? (plan)->strides[1][rank - 1] : 0;                     \
    const int64_t s2 = rank ? (plan)->strides[2][rank - 1] : 0;                     \
    int64_t counter[RSN_MAX_RANK] = {0};                                            \
    int64_t o0 = 0, o1 = 0, o2 = 0, oo = 0;                                         \
    int64_t rows = 1;                                                               \
    for (int d = 0; d + 1 < rank; d++) rows *= (plan)->dims[d];                     \
    (void)s0; (void)s1; (void)s2;                                                   \
    for (int64_t row = 0; row < rows; row++, oo += inner) {                         \
      __VA_ARGS__;                                                                    \
      for (int d = rank - 2; d >= 0; d--) {                                         \
        counter[d]++;                                                               \
        o0 += (plan)->strides[0][d]; o1 += (plan)->strides[1][d]; o2 += (plan)->strides[2][d]; \
        if (counter[d] < (plan)->dims[d]) break;                                    \
        o0 -= (plan)->strides[0][d] * (plan)->dims[d];                              \
        o1 -= (plan)->strides[1][d] * (plan)->dims[d];                              \
        o2 -= (plan)->strides[2][d] * (plan)->dims[d];                              \
        counter[d] = 0;                                                             \
      }                                                                             \
    }                                                                               \
  } while (0)

void rsn_binary_plan(int op, const float *restrict a, const float *restrict b, float *restrict out,
                     const rsn_plan *plan) {
  /* Row-major inputs aligned on trailing axes: the innermost stride of each input is 0 or 1. */
  PLAN_WALK(plan, rsn_binary(op, a + o0, (int)s0, b + o1, (int)s1, out + oo, inner));
}

void rsn_where_plan(const float *restrict c, const float *restrict a, const float *restrict b, float *restrict out,
                    const rsn_plan *plan) {
  PLAN_WALK(plan, {
    const float *cr = c + o0, *ar = a + o1, *br = b + o2;
    float *orow = out + oo;
    for (int64_t i = 0; i < inner; i++) orow[i] = cr[i * s0] != 0.0f ? ar[i * s1] : br[i * s2];
  });
}

void rsn_gather_plan(const uint32_t *restrict x, uint32_t *restrict out, const rsn_plan *plan) {
  PLAN_WALK(plan, {
    const uint32_t *xr = x + o0;
    uint32_t *orow = out + oo;
    if (s0 == 1) memcpy(orow, xr, (size_t)inner * sizeof(uint32_t));
    else for (int64_t i = 0; i < inner; i++) orow[i] = xr[i * s0];
  });
}

RSN_HOT void rsn_unary(int op, const float *restrict x, float *restrict out, int64_t n) {
  switch (op) {
    case UN_NEG: for (int64_t i = 0; i < n; i++) out[i] = -x[i]; break;
    /* exp and log in double then rounded, as the reference's Math.exp/Math.log into a Float32Array. */
    case UN_EXP: for (int64_t i = 0; i < n; i++) out[i] = (float)exp((double)x[i]); break;
    case UN_LOG: for (int64_t i = 0; i < n; i++) out[i] = (float)log((double)x[i]); break;
    case UN_SQRT: for (int64_t i = 0; i < n; i++) out[i] = sqrtf(x[i]); break;
    case UN_SIGN: for (int64_t i = 0; i < n; i++) out[i] = rsn_sign(x[i]); break;
    default: break;
  }
}

rsn_bounds rsn_make_bounds(double lo, double hi) {
  rsn_bounds b = {(float)lo, (float)lo, (float)hi, (float)hi};
  if ((double)b.lo_test < lo) b.lo_test = nextafterf(b.lo_test, INFINITY);
  if ((double)b.hi_test > hi) b.hi_test = nextafterf(b.hi_test, -INFINITY);
  return b;
}

RSN_HOT void rsn_clip(const float *restrict x, float *restrict out, int64_t n, double lo, double hi) {
  const rsn_bounds b = rsn_make_bounds(lo, hi);
  if (rsn_bounds_plain(b))
    for (int64_t i = 0; i < n; i++) out[i] = rsn_clamp(x[i], b);
  else
    for (int64_t i = 0; i < n; i++) out[i] = rsn_clip_to(x[i], b);
}
