/* Reductions, argmax and oneHot. */
#include <math.h>
#include <stdlib.h>

#include "kernels.h"

RSN_HOT static void sum_rows(const float *restrict x, float *restrict out, int64_t reduced, int64_t inner,
                             double *restrict acc) {
  /* acc[j] = sum over r of x[r, j], in double and in the reference's order (r ascending). */
  for (int64_t j = 0; j < inner; j++) acc[j] = 0.0;
  for (int64_t r = 0; r < reduced; r++) {
    const float *row = x + r * inner;
    for (int64_t j = 0; j < inner; j++) acc[j] += (double)row[j];
  }
  for (int64_t j = 0; j < inner; j++) out[j] = (float)acc[j];
}

static void max_rows(const float *restrict x, float *restrict out, int64_t reduced, int64_t inner) {
  for (int64_t j = 0; j < inner; j++) out[j] = -INFINITY;
  for (int64_t r = 0; r < reduced; r++) {
    const float *row = x + r * inner;
    for (int64_t j = 0; j < inner; j++) {
      const float v = row[j];
      if (v > out[j] || v != v) out[j] = v;
    }
  }
}

void rsn_reduce(int op, const float *restrict x, float *restrict out, int64_t outer, int64_t reduced, int64_t inner) {
  if (op == RED_SUM && inner == 1) {
    for (int64_t o = 0; o < outer; o++) {
      const float *row = x + o * reduced;
      double acc = 0.0;
      for (int64_t r = 0; r < reduced; r++) acc += (double)row[r];
      out[o] = (float)acc;
    }
    return;
  }
  double stack[1024];
  double *acc = op == RED_SUM && inner > 1024 ? malloc((size_t)inner * sizeof(double)) : stack;
  if (!acc) abort();
  for (int64_t o = 0; o < outer; o++) {
    const float *block = x + o * reduced * inner;
    if (op == RED_SUM) sum_rows(block, out + o * inner, reduced, inner, acc);
    else max_rows(block, out + o * inner, reduced, inner);
  }
  if (acc != stack) free(acc);
}

void rsn_argmax(const float *restrict x, int32_t *restrict out, int64_t outer, int64_t reduced, int64_t inner) {
  for (int64_t o = 0; o < outer; o++) {
    for (int64_t j = 0; j < inner; j++) {
      const float *base = x + o * reduced * inner + j;
      int32_t best = 0;
      float best_value = base[0];
      for (int64_t r = 1; r < reduced; r++) {
        const float v = base[r * inner];
        if (v > best_value) {
          best_value = v;
          best = (int32_t)r;
        }
      }
      out[o * inner + j] = best;
    }
  }
}

void rsn_one_hot(const int32_t *restrict labels, float *restrict out, int64_t n, int64_t depth) {
  for (int64_t i = 0; i < n * depth; i++) out[i] = 0.0f;
  for (int64_t i = 0; i < n; i++) {
    const int32_t label = labels[i];
    if (label >= 0 && label < depth) out[i * depth + label] = 1.0f;
  }
}
