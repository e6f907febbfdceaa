/*
 * N-API bindings of the elementwise, reduction and fused kernels (kernels.h). Every function takes JS typed arrays
 * (inputs first, then the output buffer, which the caller allocates) and plain numbers; nothing is retained after
 * a call returns. Buffer sizes are checked here so that a wrong call throws a RangeError instead of corrupting
 * memory.
 */
#include <stdlib.h>

#include "kernels.h"
#include "napi_args.h"

/* Decode [rank, dims[rank], strides[inputs][rank]] and return the extent (max offset + 1) of each input. */
static int plan(args_t *a, size_t i, int inputs, rsn_plan *p, int64_t *extent, int64_t *size) {
  int64_t len;
  const int32_t *raw = rsn_array(a, i, napi_int32_array, 1, &len);
  if (!raw) return 0;
  p->rank = raw[0];
  if (p->rank < 0 || p->rank > RSN_MAX_RANK || len < 1 + (int64_t)p->rank * (1 + inputs)) return rsn_fail(a, "bad plan");
  *size = 1;
  for (int k = 0; k < 3; k++) extent[k] = 1;
  for (int d = 0; d < p->rank; d++) {
    p->dims[d] = raw[1 + d];
    *size *= p->dims[d];
    for (int k = 0; k < 3; k++) {
      p->strides[k][d] = k < inputs ? raw[1 + p->rank * (1 + k) + d] : 0;
      if (p->dims[d] > 0) extent[k] += (p->dims[d] - 1) * p->strides[k][d];
    }
  }
  if (*size == 0) extent[0] = extent[1] = extent[2] = 0;
  return 1;
}

FN(binary) { /* (op, a, b, out, sa, sb) */
  ARGS(6);
  int64_t n, op = rsn_integer(&a, 0), sa = rsn_integer(&a, 4), sb = rsn_integer(&a, 5);
  float *out = F32(3, 0, &n);
  const float *x = F32(1, sa ? n : 1, NULL), *y = F32(2, sb ? n : 1, NULL);
  if (!a.failed && op < BIN_COUNT) rsn_binary((int)op, x, sa != 0, y, sb != 0, out, n);
  DONE();
}

FN(binary_plan) { /* (op, a, b, out, plan) */
  ARGS(5);
  rsn_plan p;
  int64_t ext[3], size, op = rsn_integer(&a, 0);
  if (!plan(&a, 4, 2, &p, ext, &size)) return NULL;
  const float *x = F32(1, ext[0], NULL), *y = F32(2, ext[1], NULL);
  float *out = F32(3, size, NULL);
  if (!a.failed && op < BIN_COUNT) rsn_binary_plan((int)op, x, y, out, &p);
  DONE();
}

FN(where) { /* (cond, a, b, out, plan) */
  ARGS(5);
  rsn_plan p;
  int64_t ext[3], size;
  if (!plan(&a, 4, 3, &p, ext, &size)) return NULL;
  const float *c = F32(0, ext[0], NULL), *x = F32(1, ext[1], NULL), *y = F32(2, ext[2], NULL);
  float *out = F32(3, size, NULL);
  if (!a.failed) rsn_where_plan(c, x, y, out, &p);
  DONE();
}

FN(gather) { /* (x, out, plan): same element type for x and out, float32 or int32 */
  ARGS(3);
  rsn_plan p;
  int64_t ext[3], size;
  if (!plan(&a, 2, 1, &p, ext, &size)) return NULL;
  napi_typedarray_type type;
  size_t len;
  void *data;
  if (napi_get_typedarray_info(env, a.argv[0], &type, &len, &data, NULL, NULL) != napi_ok) return NULL;
  if (type != napi_float32_array && type != napi_int32_array) return rsn_fail(&a,
      "expected Float32Array or Int32Array"), NULL;
  const void *x = rsn_array(&a, 0, type, ext[0], NULL);
  void *out = rsn_array(&a, 1, type, size, NULL);
  if (!a.failed) rsn_gather_plan(x, out, &p);
  DONE();
}

FN(unary) { /* (op, x, out) */
  ARGS(3);
  int64_t n, op = rsn_integer(&a, 0);
  float *out = F32(2, 0, &n);
  const float *x = F32(1, n, NULL);
  if (!a.failed && op < UN_COUNT) rsn_unary((int)op, x, out, n);
  DONE();
}

FN(clip) { /* (x, out, lo, hi) */
  ARGS(4);
  int64_t n;
  float *out = F32(1, 0, &n);
  const float *x = F32(0, n, NULL);
  double lo = rsn_number(&a, 2), hi = rsn_number(&a, 3);
  if (!a.failed) rsn_clip(x, out, n, lo, hi);
  DONE();
}

FN(reduce) { /* (op, x, out, outer, reduced, inner) */
  ARGS(6);
  int64_t op = rsn_integer(&a, 0), outer = rsn_integer(&a, 3), reduced = rsn_integer(&a, 4), inner = rsn_integer(&a, 5);
  const float *x = F32(1, outer * reduced * inner, NULL);
  float *out = F32(2, outer * inner, NULL);
  if (!a.failed) rsn_reduce((int)op, x, out, outer, reduced, inner);
  DONE();
}

FN(argmax) { /* (x, out, outer, reduced, inner) */
  ARGS(5);
  int64_t outer = rsn_integer(&a, 2), reduced = rsn_integer(&a, 3), inner = rsn_integer(&a, 4);
  const float *x = F32(0, outer * reduced * inner, NULL);
  int32_t *out = I32(1, outer * inner, NULL);
  if (!a.failed && reduced > 0) rsn_argmax(x, out, outer, reduced, inner);
  DONE();
}

FN(one_hot) { /* (labels, out, depth) */
  ARGS(3);
  int64_t n, depth = rsn_integer(&a, 2);
  const int32_t *labels = I32(0, 0, &n);
  float *out = F32(1, n * depth, NULL);
  if (!a.failed) rsn_one_hot(labels, out, n, depth);
  DONE();
}

FN(adam) { /* (w, g, m, v, wOut, mOut, vOut, lrT, beta1, beta2, epsilon) */
  ARGS(11);
  int64_t n;
  const float *w = F32(0, 0, &n), *g = F32(1, n, NULL), *m = F32(2, n, NULL), *v = F32(3, n, NULL);
  float *wo = F32(4, n, NULL), *mo = F32(5, n, NULL), *vo = F32(6, n, NULL);
  double lr = rsn_number(&a, 7), b1 = rsn_number(&a, 8), b2 = rsn_number(&a, 9), eps = rsn_number(&a, 10);
  if (!a.failed) rsn_adam(w, g, m, v, wo, mo, vo, n, lr, b1, b2, eps);
  DONE();
}

FN(adam_masked) { /* (w, g, mask, m, v, wOut, mOut, vOut, eOut, lrT, beta1, beta2, epsilon) */
  ARGS(13);
  int64_t n;
  const float *w = F32(0, 0, &n), *g = F32(1, n, NULL), *mask = F32(2, n, NULL), *m = F32(3, n, NULL);
  const float *v = F32(4, n, NULL);
  float *wo = F32(5, n, NULL), *mo = F32(6, n, NULL), *vo = F32(7, n, NULL), *eo = F32(8, n, NULL);
  double lr = rsn_number(&a, 9), b1 = rsn_number(&a, 10), b2 = rsn_number(&a, 11), eps = rsn_number(&a, 12);
  if (!a.failed) rsn_adam_masked(w, g, mask, m, v, wo, mo, vo, eo, n, lr, b1, b2, eps);
  DONE();
}

FN(sign_step) { /* (x, g, out, scale, lo, hi) */
  ARGS(6);
  int64_t n;
  float *out = F32(2, 0, &n);
  const float *x = F32(0, n, NULL), *g = F32(1, n, NULL);
  double scale = rsn_number(&a, 3), lo = rsn_number(&a, 4), hi = rsn_number(&a, 5);
  if (!a.failed) rsn_sign_step(x, g, out, n, scale, lo, hi);
  DONE();
}

FN(pgd_step) { /* (x, current, g, out, step, eps, lo, hi) */
  ARGS(8);
  int64_t n;
  float *out = F32(3, 0, &n);
  const float *x = F32(0, n, NULL), *cur = F32(1, n, NULL), *g = F32(2, n, NULL);
  double step = rsn_number(&a, 4), eps = rsn_number(&a, 5), lo = rsn_number(&a, 6), hi = rsn_number(&a, 7);
  if (!a.failed) rsn_pgd_step(x, cur, g, out, n, step, eps, lo, hi);
  DONE();
}

FN(relu_grad) { /* (g, pre, out) */
  ARGS(3);
  int64_t n;
  float *out = F32(2, 0, &n);
  const float *g = F32(0, n, NULL), *pre = F32(1, n, NULL);
  if (!a.failed) rsn_relu_grad(g, pre, out, n);
  DONE();
}

FN(softmax_xent) { /* (logits, targets, n, classes, c, grad) -> loss */
  ARGS(6);
  int64_t n = rsn_integer(&a, 2), classes = rsn_integer(&a, 3);
  const float *l = F32(0, n * classes, NULL), *t = F32(1, n * classes, NULL);
  double c = rsn_number(&a, 4);
  float *g = F32(5, n * classes, NULL);
  if (a.failed) return NULL;
  double stack[64];
  double *e = classes > 64 ? malloc((size_t)classes * sizeof(double)) : stack;
  if (!e) return rsn_fail(&a, "out of memory"), NULL;
  const double loss = rsn_softmax_xent(l, t, n, classes, (float)c, g, e);
  if (e != stack) free(e);
  napi_value result;
  napi_create_double(env, loss, &result);
  return result;
}

int rsn_export_elementwise(napi_env env, napi_value exports) {
  const napi_property_descriptor fns[] = {
      EXPORT("binary", binary), EXPORT("binaryPlan", binary_plan), EXPORT("where", where),
      EXPORT("gather", gather), EXPORT("unary", unary), EXPORT("clip", clip), EXPORT("reduce", reduce),
      EXPORT("argmax", argmax), EXPORT("oneHot", one_hot), EXPORT("adam", adam), EXPORT("adamMasked", adam_masked),
      EXPORT("signStep", sign_step), EXPORT("pgdStep", pgd_step), EXPORT("reluGrad", relu_grad), EXPORT("softmaxXent", softmax_xent),
  };
  return napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns) == napi_ok;
}
