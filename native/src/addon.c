/*
 * N-API bindings of the native backend. Every function takes JS typed arrays (inputs first, then the output
 * buffer, which the caller allocates) and plain numbers; nothing is retained after a call returns.
 * Buffer sizes are checked here so that a wrong call throws a RangeError instead of corrupting memory.
 */
#include <node_api.h>
#include <stdio.h>
#include <stdlib.h>

#include "kernels.h"

#define MAX_ARGS 12

typedef struct {
  napi_env env;
  napi_value argv[MAX_ARGS];
  size_t argc;
  int failed;
} args_t;

static int fail(args_t *a, const char *message) {
  if (!a->failed) napi_throw_range_error(a->env, NULL, message);
  a->failed = 1;
  return 0;
}

static int get_args(napi_env env, napi_callback_info info, args_t *a, size_t want) {
  a->env = env;
  a->argc = MAX_ARGS;
  a->failed = 0;
  if (napi_get_cb_info(env, info, &a->argc, a->argv, NULL, NULL) != napi_ok) return fail(a, "bad call");
  if (a->argc < want) return fail(a, "too few arguments");
  return 1;
}

/* A typed array of the given type with at least `min_length` elements; NULL (and a pending error) otherwise. */
static void *array(args_t *a, size_t i, napi_typedarray_type want, int64_t min_length, int64_t *length) {
  napi_typedarray_type type;
  size_t len;
  void *data;
  if (a->failed) return NULL;
  if (napi_get_typedarray_info(a->env, a->argv[i], &type, &len, &data, NULL, NULL) != napi_ok) {
    fail(a, "expected a typed array");
    return NULL;
  }
  if (type != want) {
    fail(a, want == napi_int32_array ? "expected an Int32Array" : "expected a Float32Array");
    return NULL;
  }
  if ((int64_t)len < min_length) {
    fail(a, "typed array too short for the shape");
    return NULL;
  }
  if (length) *length = (int64_t)len;
  return data;
}

#define F32(i, min, len) ((float *)array(&a, (i), napi_float32_array, (min), (len)))
#define I32(i, min, len) ((int32_t *)array(&a, (i), napi_int32_array, (min), (len)))

static int64_t integer(args_t *a, size_t i) {
  int64_t v = 0;
  if (!a->failed && (napi_get_value_int64(a->env, a->argv[i], &v) != napi_ok || v < 0)) fail(a, "expected a count");
  return v;
}

/* Whether optional argument i was passed (and is not undefined). */
static int given(args_t *a, size_t i) {
  napi_valuetype type = napi_undefined;
  return !a->failed && a->argc > i && napi_typeof(a->env, a->argv[i], &type) == napi_ok && type != napi_undefined;
}

static double number(args_t *a, size_t i) {
  double v = 0;
  if (!a->failed && napi_get_value_double(a->env, a->argv[i], &v) != napi_ok) fail(a, "expected a number");
  return v;
}

/* Decode [rank, dims[rank], strides[inputs][rank]] and return the extent (max offset + 1) of each input. */
static int plan(args_t *a, size_t i, int inputs, rsn_plan *p, int64_t *extent, int64_t *size) {
  int64_t len;
  const int32_t *raw = array(a, i, napi_int32_array, 1, &len);
  if (!raw) return 0;
  p->rank = raw[0];
  if (p->rank < 0 || p->rank > RSN_MAX_RANK || len < 1 + (int64_t)p->rank * (1 + inputs)) return fail(a, "bad plan");
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

#define FN(name) static napi_value name(napi_env env, napi_callback_info info)
#define ARGS(n) args_t a; if (!get_args(env, info, &a, (n))) return NULL
#define DONE() return NULL

FN(binary) { /* (op, a, b, out, sa, sb) */
  ARGS(6);
  int64_t n, op = integer(&a, 0), sa = integer(&a, 4), sb = integer(&a, 5);
  float *out = F32(3, 0, &n);
  const float *x = F32(1, sa ? n : 1, NULL), *y = F32(2, sb ? n : 1, NULL);
  if (!a.failed && op < BIN_COUNT) rsn_binary((int)op, x, sa != 0, y, sb != 0, out, n);
  DONE();
}

FN(binary_plan) { /* (op, a, b, out, plan) */
  ARGS(5);
  rsn_plan p;
  int64_t ext[3], size, op = integer(&a, 0);
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
  if (type != napi_float32_array && type != napi_int32_array) return fail(&a,
      "expected Float32Array or Int32Array"), NULL;
  const void *x = array(&a, 0, type, ext[0], NULL);
  void *out = array(&a, 1, type, size, NULL);
  if (!a.failed) rsn_gather_plan(x, out, &p);
  DONE();
}

FN(unary) { /* (op, x, out) */
  ARGS(3);
  int64_t n, op = integer(&a, 0);
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
  double lo = number(&a, 2), hi = number(&a, 3);
  if (!a.failed) rsn_clip(x, out, n, lo, hi);
  DONE();
}

FN(reduce) { /* (op, x, out, outer, reduced, inner) */
  ARGS(6);
  int64_t op = integer(&a, 0), outer = integer(&a, 3), reduced = integer(&a, 4), inner = integer(&a, 5);
  const float *x = F32(1, outer * reduced * inner, NULL);
  float *out = F32(2, outer * inner, NULL);
  if (!a.failed) rsn_reduce((int)op, x, out, outer, reduced, inner);
  DONE();
}

FN(argmax) { /* (x, out, outer, reduced, inner) */
  ARGS(5);
  int64_t outer = integer(&a, 2), reduced = integer(&a, 3), inner = integer(&a, 4);
  const float *x = F32(0, outer * reduced * inner, NULL);
  int32_t *out = I32(1, outer * inner, NULL);
  if (!a.failed && reduced > 0) rsn_argmax(x, out, outer, reduced, inner);
  DONE();
}

FN(one_hot) { /* (labels, out, depth) */
  ARGS(3);
  int64_t n, depth = integer(&a, 2);
  const int32_t *labels = I32(0, 0, &n);
  float *out = F32(1, n * depth, NULL);
  if (!a.failed) rsn_one_hot(labels, out, n, depth);
  DONE();
}

FN(matmul) { /* (a, b, out, m, n, k, transposeA, transposeB) */
  ARGS(8);
  int64_t m = integer(&a, 3), n = integer(&a, 4), k = integer(&a, 5), ta = integer(&a, 6), tb = integer(&a, 7);
  if (m > 0x7fffffff || n > 0x7fffffff || k > 0x7fffffff) return fail(&a, "matrix too large"), NULL;
  const float *x = F32(0, m * k, NULL), *y = F32(1, k * n, NULL);
  float *out = F32(2, m * n, NULL);
  if (!a.failed) rsn_matmul(x, y, out, (int)m, (int)n, (int)k, ta != 0, tb != 0);
  DONE();
}

FN(adam) { /* (w, g, m, v, wOut, mOut, vOut, lrT, beta1, beta2, epsilon) */
  ARGS(11);
  int64_t n;
  const float *w = F32(0, 0, &n), *g = F32(1, n, NULL), *m = F32(2, n, NULL), *v = F32(3, n, NULL);
  float *wo = F32(4, n, NULL), *mo = F32(5, n, NULL), *vo = F32(6, n, NULL);
  double lr = number(&a, 7), b1 = number(&a, 8), b2 = number(&a, 9), eps = number(&a, 10);
  if (!a.failed) rsn_adam(w, g, m, v, wo, mo, vo, n, lr, b1, b2, eps);
  DONE();
}

FN(sign_step) { /* (x, g, out, scale, lo, hi) */
  ARGS(6);
  int64_t n;
  float *out = F32(2, 0, &n);
  const float *x = F32(0, n, NULL), *g = F32(1, n, NULL);
  double scale = number(&a, 3), lo = number(&a, 4), hi = number(&a, 5);
  if (!a.failed) rsn_sign_step(x, g, out, n, scale, lo, hi);
  DONE();
}

FN(pgd_step) { /* (x, current, g, out, step, eps, lo, hi) */
  ARGS(8);
  int64_t n;
  float *out = F32(3, 0, &n);
  const float *x = F32(0, n, NULL), *cur = F32(1, n, NULL), *g = F32(2, n, NULL);
  double step = number(&a, 4), eps = number(&a, 5), lo = number(&a, 6), hi = number(&a, 7);
  if (!a.failed) rsn_pgd_step(x, cur, g, out, n, step, eps, lo, hi);
  DONE();
}

/* Every index of idx[0..n) lies in [0, bound): a wrong layout throws instead of reading out of bounds. */
static int indices_within(args_t *a, const int32_t *idx, int64_t n, int64_t bound) {
  if (a->failed) return 0;
  for (int64_t p = 0; p < n; p++)
    if (idx[p] < 0 || idx[p] >= bound) return fail(a, "sparse layout index out of range");
  return 1;
}

/* ptr[0..groups] starts at 0, never decreases and ends at most at `limit`. */
static int pointers_valid(args_t *a, const int32_t *ptr, int64_t groups, int64_t limit) {
  if (a->failed) return 0;
  if (ptr[0] != 0 || ptr[groups] > limit) return fail(a, "bad sparse layout pointers");
  for (int64_t j = 0; j < groups; j++)
    if (ptr[j + 1] < ptr[j]) return fail(a, "bad sparse layout pointers");
  return 1;
}

/* The position lists of a sparse product, arguments 3-6 (vals, ptr, idx, at), checked against its sizes. */
typedef struct {
  const float *vals;
  const int32_t *ptr, *idx, *at;
} lists_t;

static int position_lists(args_t *a, int64_t inner, int64_t groups, int64_t blocks, lists_t *l) {
  int64_t nvals, nidx, nat;
  if (!a->failed && blocks < 1) return fail(a, "a sparse layout has at least one block");
  l->vals = array(a, 3, napi_float32_array, 0, &nvals);
  l->ptr = array(a, 4, napi_int32_array, groups * blocks + 1, NULL);
  l->idx = array(a, 5, napi_int32_array, 0, &nidx);
  l->at = array(a, 6, napi_int32_array, 0, &nat);
  if (!pointers_valid(a, l->ptr, groups * blocks, nidx < nat ? nidx : nat)) return 0;
  const int64_t nnz = l->ptr[groups * blocks];
  return indices_within(a, l->idx, nnz, inner) && indices_within(a, l->at, nnz, nvals);
}

FN(sparse_product) { /* (src, m, inner, vals, ptr, idx, at, groups, blocks, out) */
  ARGS(10);
  int64_t m = integer(&a, 1), inner = integer(&a, 2), groups = integer(&a, 7), blocks = integer(&a, 8);
  const float *src = F32(0, m * inner, NULL);
  float *out = F32(9, m * groups, NULL);
  lists_t l;
  if (!position_lists(&a, inner, groups, blocks, &l)) return NULL;
  rsn_sparse_product(src, m, inner, l.vals, l.ptr, l.idx, l.at, groups, blocks, out);
  DONE();
}

FN(sampled_product) { /* (a, b, m, rows, cols, rowPtr, colIdx, out) */
  ARGS(8);
  int64_t m = integer(&a, 2), rows = integer(&a, 3), cols = integer(&a, 4), nidx, nout;
  const float *x = F32(0, m * rows, NULL), *y = F32(1, m * cols, NULL);
  const int32_t *ptr = I32(5, rows + 1, NULL), *idx = I32(6, 0, &nidx);
  float *out = F32(7, 0, &nout);
  if (!pointers_valid(&a, ptr, rows, nidx < nout ? nidx : nout)) return NULL;
  if (!indices_within(&a, idx, ptr[rows], cols)) return NULL;
  rsn_sampled_product(x, y, m, rows, cols, ptr, idx, out);
  DONE();
}

FN(lanes) { /* (m): the padded lane count */
  ARGS(1);
  int64_t m = integer(&a, 0);
  if (a.failed) return NULL;
  napi_value result;
  napi_create_int64(env, rsn_lanes(m), &result);
  return result;
}

FN(to_lanes) { /* (src, m, cols, dst): dst [cols, lanes(m)] */
  ARGS(4);
  int64_t m = integer(&a, 1), cols = integer(&a, 2), mp = rsn_lanes(m);
  const float *src = F32(0, m * cols, NULL);
  float *dst = F32(3, cols * mp, NULL);
  if (!a.failed) rsn_to_lanes(src, m, cols, dst, mp);
  DONE();
}

FN(join_lanes) { /* (aT, bT, m, cols, outT): two [m, cols] batches in lanes -> the [2m, cols] batch in lanes */
  ARGS(5);
  int64_t m = integer(&a, 2), cols = integer(&a, 3), mp = rsn_lanes(m), mp2 = rsn_lanes(2 * m);
  const float *at = F32(0, cols * mp, NULL), *bt = F32(1, cols * mp, NULL);
  float *out = F32(4, cols * mp2, NULL);
  if (!a.failed) rsn_join_lanes(at, bt, mp, m, cols, out, mp2);
  DONE();
}

FN(from_lanes) { /* (srcT, m, cols, out): out [m, cols] */
  ARGS(4);
  int64_t m = integer(&a, 1), cols = integer(&a, 2), mp = rsn_lanes(m);
  const float *src = F32(0, cols * mp, NULL);
  float *out = F32(3, m * cols, NULL);
  if (!a.failed) rsn_from_lanes(src, mp, m, cols, out);
  DONE();
}

FN(sparse_lanes) { /* (srcT, mp, inner, vals, ptr, idx, at, groups, blocks, outT[, epilogue, gate]) */
  ARGS(10);
  const int64_t epilogue = given(&a, 10) ? integer(&a, 10) : RSN_EPILOGUE_NONE;
  if (!a.failed && epilogue > RSN_EPILOGUE_RELU_GRAD) return fail(&a, "unknown epilogue"), NULL;
  int64_t mp = integer(&a, 1), inner = integer(&a, 2), groups = integer(&a, 7), blocks = integer(&a, 8);
  if (!a.failed && mp % 64 != 0) return fail(&a, "lane count must be a multiple of 64"), NULL;
  const float *src = F32(0, mp * inner, NULL);
  float *out = F32(9, mp * groups, NULL);
  const float *gate = epilogue == RSN_EPILOGUE_RELU_GRAD ? F32(11, mp * groups, NULL) : NULL;
  lists_t l;
  if (!position_lists(&a, inner, groups, blocks, &l)) return NULL;
  rsn_sparse_lanes(src, mp, l.vals, l.ptr, l.idx, l.at, groups, blocks, out, (int)epilogue, gate);
  DONE();
}

FN(sampled_lanes) { /* (aT, bT, mp, rows, cols, ptr, idx, at, blocks, out) */
  ARGS(10);
  int64_t mp = integer(&a, 2), rows = integer(&a, 3), cols = integer(&a, 4), blocks = integer(&a, 8), nidx, nat, nout;
  if (!a.failed && mp % 64 != 0) return fail(&a, "lane count must be a multiple of 64"), NULL;
  if (!a.failed && blocks < 1) return fail(&a, "a sparse layout has at least one block"), NULL;
  const float *x = F32(0, mp * rows, NULL), *y = F32(1, mp * cols, NULL);
  const int32_t *ptr = I32(5, rows * blocks + 1, NULL), *idx = I32(6, 0, &nidx), *at = I32(7, 0, &nat);
  float *out = F32(9, 0, &nout);
  if (!pointers_valid(&a, ptr, rows * blocks, nidx < nat ? nidx : nat)) return NULL;
  const int64_t nnz = ptr[rows * blocks];
  if (!indices_within(&a, idx, nnz, cols) || !indices_within(&a, at, nnz, nout)) return NULL;
  rsn_sampled_lanes(x, y, mp, rows, ptr, idx, at, blocks, out);
  DONE();
}

FN(gather_at) { /* (x, at, out): out[p] = x[at[p]] */
  ARGS(3);
  int64_t nx, nout;
  const float *x = F32(0, 0, &nx);
  float *out = F32(2, 0, &nout);
  const int32_t *at = I32(1, nout, NULL);
  if (!indices_within(&a, at, nout, nx)) return NULL;
  rsn_gather(x, at, out, nout);
  DONE();
}

FN(scatter_at) { /* (vals, at, out, background | null) */
  ARGS(4);
  int64_t nvals, size;
  const float *vals = F32(0, 0, &nvals);
  const int32_t *at = I32(1, nvals, NULL);
  float *out = F32(2, 0, &size);
  napi_valuetype kind;
  napi_typeof(env, a.argv[3], &kind);
  const float *background = kind == napi_null ? NULL : F32(3, size, NULL);
  if (!indices_within(&a, at, nvals, size)) return NULL;
  rsn_scatter(vals, at, out, nvals, size, background);
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
  int64_t n = integer(&a, 2), classes = integer(&a, 3);
  const float *l = F32(0, n * classes, NULL), *t = F32(1, n * classes, NULL);
  double c = number(&a, 4);
  float *g = F32(5, n * classes, NULL);
  if (a.failed) return NULL;
  double stack[64];
  double *e = classes > 64 ? malloc((size_t)classes * sizeof(double)) : stack;
  if (!e) return fail(&a, "out of memory"), NULL;
  const double loss = rsn_softmax_xent(l, t, n, classes, (float)c, g, e);
  if (e != stack) free(e);
  napi_value result;
  napi_create_double(env, loss, &result);
  return result;
}

FN(set_threads) {
  ARGS(1);
  int64_t t = integer(&a, 0);
  if (!a.failed) rsn_set_threads((int)t);
  DONE();
}

FN(get_threads) {
  napi_value result;
  (void)info;
  napi_create_int32(env, rsn_get_threads(), &result);
  return result;
}

FN(blas_config) {
  napi_value result;
  (void)info;
  napi_create_string_utf8(env, rsn_blas_config(), NAPI_AUTO_LENGTH, &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  const napi_property_descriptor fns[] = {
#define EXPORT(js, c) {js, NULL, c, NULL, NULL, NULL, napi_enumerable, NULL}
      EXPORT("binary", binary), EXPORT("binaryPlan", binary_plan), EXPORT("where", where),
      EXPORT("gather", gather), EXPORT("unary", unary), EXPORT("clip", clip), EXPORT("reduce", reduce),
      EXPORT("argmax", argmax), EXPORT("oneHot", one_hot), EXPORT("matmul", matmul), EXPORT("adam", adam),
      EXPORT("signStep", sign_step), EXPORT("pgdStep", pgd_step), EXPORT("reluGrad", relu_grad), EXPORT("softmaxXent", softmax_xent), EXPORT("setThreads", set_threads),
      EXPORT("getThreads", get_threads), EXPORT("blasConfig", blas_config),
      EXPORT("sparseProduct", sparse_product), EXPORT("sampledProduct", sampled_product),
      EXPORT("gatherAt", gather_at), EXPORT("lanes", lanes), EXPORT("toLanes", to_lanes),
      EXPORT("fromLanes", from_lanes), EXPORT("joinLanes", join_lanes), EXPORT("sparseLanes", sparse_lanes), EXPORT("sampledLanes", sampled_lanes), EXPORT("scatterAt", scatter_at),
  };
  if (napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns) != napi_ok) return NULL;
  /* Single-threaded kernels by default; RSN_NATIVE_THREADS asks for more OpenBLAS threads. */
  const char *threads = getenv("RSN_NATIVE_THREADS");
  rsn_set_threads(threads ? atoi(threads) : 1);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
