/*
 * The native backend's N-API module: the bindings of each group of kernels (bindings_*.c), and one thread for the
 * matrix products unless RSN_NATIVE_THREADS asks for more.
 */
#include <stdlib.h>

#include "convolution.h"
#include "napi_args.h"
#include "products.h"

static napi_value init(napi_env env, napi_value exports) {
  if (!rsn_export_elementwise(env, exports) || !rsn_export_products(env, exports) || !rsn_export_sparse(env, exports) ||
      !rsn_export_convolution(env, exports))
    return NULL;
  const char *threads = getenv("RSN_NATIVE_THREADS");
  rsn_set_threads(threads ? atoi(threads) : 1);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
