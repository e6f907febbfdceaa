/*
 * Fused kernels: one pass each over what the core's primitive composition would traverse several times.
 * Each reproduces its composition (backends/backend.ts, FusedAttrs) operation by operation in float32, with the
 * scalars rounded to float32 as the composition's lifted scalars are, and no contraction into FMA
 * (-ffp-contract=off), so the fused and unfused paths agree exactly.
 */
#include <math.h>

#include "kernels.h"

RSN_HOT void rsn_adam(const float *restrict w, const float *restrict g, const float *restrict m,
                      const float *restrict v, float *restrict w_out, float *restrict m_out,
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

RSN_HOT void rsn_adam_masked(const float *restrict w, const float *restrict g, const float *restrict mask,
                             const float *restrict m, const float *restrict v, float *restrict w_out,
                             float *restrict m_out, float *restrict v_out, float *restrict e_out, int64_t n,
                             double lr_t, double beta1, double beta2, double eps) {
  const float b1 = (float)beta1, c1 = (float)(1.0 - beta1);
  const float b2 = (float)beta2, c2 = (float)(1.0 - beta2);
  const float e = (float)eps, lr = (float)lr_t;
  for (int64_t i = 0; i < n; i++) {
    const float gi = g[i] * mask[i];
    const float mi = m[i] * b1 + gi * c1;
    const float vi = v[i] * b2 + (gi * gi) * c2;
    const float wi = w[i] - (mi / (sqrtf(vi) + e)) * lr;
    m_out[i] = mi;
    v_out[i] = vi;
    w_out[i] = wi;
    e_out[i] = wi * mask[i];
  }
}

RSN_HOT void rsn_sign_step(const float *restrict x, const float *restrict g, float *restrict out, int64_t n,
                           double scale, double lo, double hi) {
  const float s = (float)scale;
  const rsn_bounds range = rsn_make_bounds(lo, hi);
  if (rsn_bounds_plain(range))
    for (int64_t i = 0; i < n; i++) out[i] = rsn_clamp(x[i] + rsn_sign(g[i]) * s, range);
  else
    for (int64_t i = 0; i < n; i++) out[i] = rsn_clip_to(x[i] + rsn_sign(g[i]) * s, range);
}

RSN_HOT void rsn_pgd_step(const float *restrict x, const float *restrict cur, const float *restrict g,
                          float *restrict out, int64_t n, double step, double eps, double lo, double hi) {
  const float s = (float)step;
  const rsn_bounds range = rsn_make_bounds(lo, hi), ball = rsn_make_bounds(-eps, eps);
#define PGD_LOOP(CLIP)                                                  \
  for (int64_t i = 0; i < n; i++) {                                     \
    const float stepped = CLIP(cur[i] + rsn_sign(g[i]) * s, range);     \
    const float eta = CLIP(stepped - x[i], ball);                       \
    out[i] = CLIP(x[i] + eta, range);                                   \
  }
  if (rsn_bounds_plain(range) && rsn_bounds_plain(ball)) PGD_LOOP(rsn_clamp) else PGD_LOOP(rsn_clip_to)
#undef PGD_LOOP
}

RSN_HOT void rsn_relu_grad(const float *restrict g, const float *restrict pre, float *restrict out, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    const float p = pre[i], open = p > 0.0f ? 1.0f : 0.0f; /* a compare and a blend: no branch */
    out[i] = g[i] * open;
  }
}

RSN_HOT void rsn_epilogue(float *restrict out, int64_t n, int epilogue, const float *restrict gate) {
  if (epilogue == RSN_EPILOGUE_RELU) {
    /* maximum(v, 0) as rsn_binary computes it: NaN passes, -0 becomes +0. */
    for (int64_t i = 0; i < n; i++) {
      const float v = out[i];
      out[i] = (v > 0.0f || v != v) ? v : 0.0f;
    }
  } else if (epilogue == RSN_EPILOGUE_RELU_GRAD) {
    for (int64_t i = 0; i < n; i++) { /* as rsn_relu_grad */
      const float p = gate[i], open = p > 0.0f ? 1.0f : 0.0f;
      out[i] = out[i] * open;
    }
  }
}

double rsn_softmax_xent(const float *restrict logits, const float *restrict t, int64_t n, int64_t classes, float c,
                        float *restrict grad, double *restrict e) {
  double total = 0.0;
  for (int64_t i = 0; i < n; i++) {
    const float *l = logits + i * classes, *ti = t + i * classes;
    float *gi = grad + i * classes;
    float max = -INFINITY;
    for (int64_t j = 0; j < classes; j++)
      if (l[j] > max || l[j] != l[j]) max = l[j];
    double sum = 0.0;
    for (int64_t j = 0; j < classes; j++) {
      e[j] = (float)exp((double)(l[j] - max));
      sum += e[j];
    }
    const float s = (float)sum, log_s = (float)log((double)s);
    double row = 0.0, d_total = 0.0;
    for (int64_t j = 0; j < classes; j++) {
      row += (float)(ti[j] * ((l[j] - max) - log_s));
      d_total += -(double)(ti[j] * c);
    }
    total += (float)row;
    const float scale = (float)d_total / s;
    for (int64_t j = 0; j < classes; j++) gi[j] = ti[j] * c + scale * (float)e[j];
  }
  return -(double)((float)total / (float)n);
}
