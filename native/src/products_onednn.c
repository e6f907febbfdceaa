/*
 * The matrix product through oneDNN's dnnl_sgemm (products.h): its JIT kernels for the CPU it runs on, chosen at
 * load time (AVX2 or AVX-512). With one thread a product is the same sequence of operations on every call, so
 * results are bit-identical from run to run on a given CPU.
 *
 * oneDNN's matmul primitive was measured against it (docs/performance-native.md): on AVX2 it runs the same
 * gemm kernel (same bits, same speed), keeps its weights in the plain layout (nothing to prepack), and its fused
 * ReLU maps NaN to 0 where the composition's maximum(NaN, 0) is NaN; so the epilogues run in C after the
 * product, while its output is still in cache (fused.c, rsn_epilogue).
 */
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>

#include "products.h"

#if DNNL_CPU_RUNTIME == DNNL_RUNTIME_OMP
/* libgomp's, which libdnnl links: oneDNN reads the calling thread's OpenMP thread count at each call. */
extern void omp_set_num_threads(int threads);
extern int omp_get_max_threads(void);
#define RUNTIME "OpenMP"
#elif DNNL_CPU_RUNTIME == DNNL_RUNTIME_SEQ
static void omp_set_num_threads(int threads) { (void)threads; }
static int omp_get_max_threads(void) { return 1; }
#define RUNTIME "sequential"
#else
#error "rsn-native supports oneDNN built with the OpenMP or sequential CPU runtime"
#endif

void rsn_matmul(const float *restrict a, const float *restrict b, float *restrict c, int m, int n, int k,
                int trans_a, int trans_b) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    for (long i = 0; i < (long)m * n; i++) c[i] = 0.0f;
    return;
  }
  const dnnl_dim_t lda = trans_a ? m : k, ldb = trans_b ? k : n;
  /* Only invalid arguments fail, and the bindings check every size before calling. */
  dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, n);
}

void rsn_set_threads(int threads) { omp_set_num_threads(threads < 1 ? 1 : threads); }

int rsn_get_threads(void) { return omp_get_max_threads(); }

const char *rsn_products_library(void) { return "onednn"; }

static const char *isa_name(dnnl_cpu_isa_t isa) {
  switch (isa) {
    case dnnl_cpu_isa_sse41: return "SSE4.1";
    case dnnl_cpu_isa_avx: return "AVX";
    case dnnl_cpu_isa_avx2: return "AVX2";
    case dnnl_cpu_isa_avx2_vnni: return "AVX2 VNNI";
    case dnnl_cpu_isa_avx512_core: return "AVX-512";
    case dnnl_cpu_isa_avx512_core_vnni: return "AVX-512 VNNI";
    case dnnl_cpu_isa_avx512_core_bf16: return "AVX-512 BF16";
    case dnnl_cpu_isa_avx512_core_amx: return "AVX-512 AMX";
    default: return "other";
  }
}

const char *rsn_products_config(void) {
  static char text[160];
  const dnnl_version_t *v = dnnl_version();
  snprintf(text, sizeof text, "oneDNN %d.%d.%d (%s runtime, %s kernels)", v->major, v->minor, v->patch, RUNTIME,
           isa_name(dnnl_get_effective_cpu_isa()));
  return text;
}
