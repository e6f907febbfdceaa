/*
 * Fused kernels: one pass each over what the core's primitive composition would traverse several times.
 * Each reproduces its composition (backends/backend.ts, FusedAttrs) operation by operation in float32, with the
 * scalars rounded to float32 as the composition's lifted scalars are, and no contraction into FMA
 * (-ffp-contract=off), so the fused and unfused paths agree exactly.
 */
#include <math.h>

#include "kernels.h"

RSN_HOT void rsn_adam(const float *restrict w, const float *restrict g, const float *restrict m, const float *restrict v, float *restrict w_out, float *restrict m_out,
                      float *restrict v_out, int64_t n, double lr_t, double beta1, double beta2, double eps) {
  const float b1 = (float)beta1, c1 = (float)(1.0 - beta1);
  const float b2 = (float)beta2, c2 = (float)(1.0 - beta2);
  const float e = (float)eps, lr = (float)lr_t;
  for (int64_t i = 0; i < n; i++) {
    const float gi = g[i];
    const float mi = m[i] * b1 + gi * c1;
    const float vi = v[i] * b2 + (gi * gi) * c2;
    m_out[i] = mi;
    v_out[i] = vi;
    w_out[i] = w[i] - (mi / (sqrtf(vi) + e)) * lr;
  }
}

static inline float sign_of(float v) { return v > 0.0f ? 1.0f : v < 0.0f ? -1.0f : v == 0.0f ? 0.0f : v; }

static inline float clip_to(float v, double lo, float lof, double hi, float hif) {
  return (double)v < lo ? lof : (double)v > hi ? hif : v;
}

RSN_HOT void rsn_sign_step(const float *restrict x, const float *restrict g, float *restrict out, int64_t n, double scale, double lo, double hi) {
  const float s = (float)scale, lof = (float)lo, hif = (float)hi;
  for (int64_t i = 0; i < n; i++) out[i] = clip_to(x[i] + sign_of(g[i]) * s, lo, lof, hi, hif);
}

RSN_HOT void rsn_pgd_step(const float *restrict x, const float *restrict cur, const float *restrict g, float *restrict out, int64_t n, double step,
                          double eps, double lo, double hi) {
  const float s = (float)step, lof = (float)lo, hif = (float)hi, epsf = (float)eps, meps = (float)-eps;
  for (int64_t i = 0; i < n; i++) {
    const float stepped = clip_to(cur[i] + sign_of(g[i]) * s, lo, lof, hi, hif);
    const float eta = clip_to(stepped - x[i], -eps, meps, eps, epsf);
    out[i] = clip_to(x[i] + eta, lo, lof, hi, hif);
  }
}
