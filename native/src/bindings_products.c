/*
 * N-API bindings of the matrix product (products.h, from the library the addon was built on) and of its
 * library's threads and build description.
 */
#include "kernels.h"
#include "napi_args.h"
#include "products.h"

FN(matmul) { /* (a, b, out, m, n, k, transposeA, transposeB[, epilogue, gate]) */
  ARGS(8);
  int64_t m = rsn_integer(&a, 3), n = rsn_integer(&a, 4), k = rsn_integer(&a, 5);
  int64_t ta = rsn_integer(&a, 6), tb = rsn_integer(&a, 7);
  const int64_t epilogue = rsn_given(&a, 8) ? rsn_integer(&a, 8) : RSN_EPILOGUE_NONE;
  if (!a.failed && epilogue > RSN_EPILOGUE_RELU_GRAD) return rsn_fail(&a, "unknown epilogue"), NULL;
  if (m > 0x7fffffff || n > 0x7fffffff || k > 0x7fffffff) return rsn_fail(&a, "matrix too large"), NULL;
  const float *x = F32(0, m * k, NULL), *y = F32(1, k * n, NULL);
  float *out = F32(2, m * n, NULL);
  const float *gate = epilogue == RSN_EPILOGUE_RELU_GRAD ? F32(9, m * n, NULL) : NULL;
  if (a.failed) return NULL;
  rsn_matmul(x, y, out, (int)m, (int)n, (int)k, ta != 0, tb != 0);
  rsn_epilogue(out, m * n, (int)epilogue, gate);
  DONE();
}

FN(set_threads) {
  ARGS(1);
  int64_t t = rsn_integer(&a, 0);
  if (!a.failed) rsn_set_threads((int)t);
  DONE();
}

FN(get_threads) {
  napi_value result;
  (void)info;
  napi_create_int32(env, rsn_get_threads(), &result);
  return result;
}

FN(library) {
  napi_value result;
  (void)info;
  napi_create_string_utf8(env, rsn_products_library(), NAPI_AUTO_LENGTH, &result);
  return result;
}

FN(library_config) {
  napi_value result;
  (void)info;
  napi_create_string_utf8(env, rsn_products_config(), NAPI_AUTO_LENGTH, &result);
  return result;
}

int rsn_export_products(napi_env env, napi_value exports) {
  const napi_property_descriptor fns[] = {
      EXPORT("matmul", matmul), EXPORT("setThreads", set_threads), EXPORT("getThreads", get_threads),
      EXPORT("library", library), EXPORT("libraryConfig", library_config),
  };
  return napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns) == napi_ok;
}
