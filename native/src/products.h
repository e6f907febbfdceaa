/*
 * The matrix product, from the library the addon was built on (binding.gyp's variable rsn_blas): oneDNN
 * (products_onednn.c) or OpenBLAS (products_openblas.c). Everything else in the addon is plain C and the same
 * in both builds.
 */
#ifndef RSN_PRODUCTS_H
#define RSN_PRODUCTS_H

/* C[m,n] = op(A) op(B), all row-major; writes every element of C (zeros when k is 0). */
void rsn_matmul(const float *restrict a, const float *restrict b, float *restrict c, int m, int n, int k,
                int trans_a, int trans_b);
/* Threads the library may use for one product (the other kernels always run on the calling thread). */
void rsn_set_threads(int threads);
int rsn_get_threads(void);
/* "onednn" or "openblas". */
const char *rsn_products_library(void);
/* The library's own description of its build: version, threading runtime, instruction set. */
const char *rsn_products_config(void);

#endif
