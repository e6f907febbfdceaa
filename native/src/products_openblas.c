/* The matrix product through OpenBLAS's cblas_sgemm (products.h). */
#include <cblas.h>

#include "products.h"

/* Declared by OpenBLAS's cblas.h, repeated here for cblas.h variants that leave them out. */
extern void openblas_set_num_threads(int threads);
extern int openblas_get_num_threads(void);
extern char *openblas_get_config(void);

void rsn_matmul(const float *restrict a, const float *restrict b, float *restrict c, int m, int n, int k,
                int trans_a, int trans_b) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    for (long i = 0; i < (long)m * n; i++) c[i] = 0.0f;
    return;
  }
  const int lda = trans_a ? m : k;
  const int ldb = trans_b ? k : n;
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m, n, k,
              1.0f, a, lda, b, ldb, 0.0f, c, n);
}

void rsn_set_threads(int threads) { openblas_set_num_threads(threads < 1 ? 1 : threads); }

int rsn_get_threads(void) { return openblas_get_num_threads(); }

const char *rsn_products_library(void) { return "openblas"; }

const char *rsn_products_config(void) { return openblas_get_config(); }
