/*
 * N-API bindings of the convolution and pooling kernels (convolution.h). Like the addon's other bindings, each
 * takes its inputs, then the output and scratch buffers the caller allocates, then the shape; every size is
 * checked here, so that a wrong call throws a RangeError instead of reading or writing out of bounds.
 * Argument reading is kept in this file so that the convolution group stands on its own.
 */
#include <limits.h>
#include <stdio.h>

#include "convolution.h"

typedef struct {
  napi_env env;
  napi_value argv[8];
  size_t argc;
  int failed;
} call_t;

static int fail(call_t *a, const char *message) {
  if (!a->failed) napi_throw_range_error(a->env, NULL, message);
  a->failed = 1;
  return 0;
}

static int read_call(napi_env env, napi_callback_info info, call_t *a, size_t want) {
  a->env = env;
  a->argc = sizeof a->argv / sizeof a->argv[0];
  a->failed = 0;
  if (napi_get_cb_info(env, info, &a->argc, a->argv, NULL, NULL) != napi_ok) return fail(a, "bad call");
  if (a->argc < want) return fail(a, "too few arguments");
  return 1;
}

/* A typed array of the given type with at least `min_length` elements (NULL and a pending error otherwise). */
static void *typed(call_t *a, size_t i, napi_typedarray_type want, int64_t min_length) {
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (a->failed) return NULL;
  if (napi_get_typedarray_info(a->env, a->argv[i], &type, &length, &data, NULL, NULL) != napi_ok || type != want) {
    fail(a, want == napi_int32_array ? "expected an Int32Array" : "expected a Float32Array");
    return NULL;
  }
  if ((int64_t)length < min_length) {
    fail(a, "typed array too short for the shape");
    return NULL;
  }
  return data;
}

static int64_t count(call_t *a, size_t i) {
  int64_t v = 0;
  if (!a->failed && (napi_get_value_int64(a->env, a->argv[i], &v) != napi_ok || v < 0 || v > INT_MAX))
    fail(a, "expected a count");
  return v;
}

/*
 * The product of `k` counts, or -1 (and a pending error) when it exceeds `limit`: an int where it is a dimension
 * of a matrix product, else more elements than any typed array holds.
 */
static int64_t product(call_t *a, int64_t limit, int k, const int64_t *factors) {
  int64_t p = 1;
  for (int i = 0; i < k; i++) {
    if (a->failed || __builtin_mul_overflow(p, factors[i], &p) || p > limit) {
      fail(a, "tensor too large for the convolution kernels");
      return -1;
    }
  }
  return p;
}

#define ELEMENTS ((int64_t)1 << 46)
#define PRODUCT(a, limit, ...)                                                                                     \
  product((a), (limit), sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t), (int64_t[]){__VA_ARGS__})

/*
 * [n, h, w, cin, kh, kw, cout, oh, ow, top, left] from argument i: a 'same' or a 'valid' convolution as
 * core/autodiff/shapes.ts pads them, planned for `kind` (rsn_conv_plan: chunk and scratch); sizes gets the sizes
 * of x, dy and the filter, and the scratch's.
 */
static int geometry(call_t *a, size_t i, int kind, rsn_conv_geometry *g, int64_t *sizes) {
  const int32_t *v = typed(a, i, napi_int32_array, 11);
  if (!v) return 0;
  *g = (rsn_conv_geometry){v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], 1, 0};
  const int same = g->oh == g->h && g->ow == g->w && g->top == (g->kh - 1) / 2 && g->left == (g->kw - 1) / 2;
  const int valid = g->oh == g->h - g->kh + 1 && g->ow == g->w - g->kw + 1 && g->top == 0 && g->left == 0;
  if (g->n < 0 || g->h < 1 || g->w < 1 || g->cin < 1 || g->kh < 1 || g->kw < 1 || g->cout < 1 || g->oh < 1 ||
      g->ow < 1 || !(same || valid))
    return fail(a, "bad convolution geometry");
  sizes[0] = PRODUCT(a, ELEMENTS, g->n, g->h, g->w, g->cin);
  sizes[1] = PRODUCT(a, ELEMENTS, g->n, g->oh, g->ow, g->cout);
  sizes[2] = PRODUCT(a, ELEMENTS, g->kh, g->kw, g->cin, g->cout);
  /* Whatever the plan: the matrix products' dimensions (patch rows of at most the whole batch, a patch) fit an
   * int, and every buffer of a chunk (at most the batch; lanes padded to 16, images padded) a typed array. */
  PRODUCT(a, INT_MAX, g->n, g->oh, g->ow);
  PRODUCT(a, INT_MAX, g->kh, g->kw, g->cin);
  PRODUCT(a, ELEMENTS, g->n, g->oh, g->ow, g->kh, g->kw, g->cin);
  PRODUCT(a, ELEMENTS, g->n, g->h + g->kh, g->w + g->kw, g->cin + 16);
  PRODUCT(a, ELEMENTS, g->kh, g->kw, g->cin, g->cout + 16, 2);
  if (a->failed) return 0;
  sizes[3] = rsn_conv_plan(g, kind);
  return 1;
}

#define FN(name) static napi_value name(napi_env env, napi_callback_info info)
#define F32(i, min) ((float *)typed(&a, (i), napi_float32_array, (min)))

/* (input, operand, out, scratch, geometry): the three convolutions differ in which sizes their buffers have. */
static napi_value convolution(napi_env env, napi_callback_info info, int kind) {
  call_t a;
  rsn_conv_geometry g;
  int64_t s[4];
  if (!read_call(env, info, &a, 5) || !geometry(&a, 4, kind, &g, s)) return NULL;
  const int64_t x = s[0], y = s[1], f = s[2], scratch_size = s[3];
  const int64_t sizes[3][3] = {{x, f, y}, {y, f, x}, {x, y, f}};
  const float *first = F32(0, sizes[kind][0]), *second = F32(1, sizes[kind][1]);
  float *out = F32(2, sizes[kind][2]);
  float *scratch = F32(3, scratch_size);
  if (a.failed) return NULL;
  const int status = kind == RSN_CONV_FORWARD      ? rsn_conv2d(first, second, out, scratch, &g)
                     : kind == RSN_CONV_INPUT_GRAD ? rsn_conv2d_input_grad(first, second, out, scratch, &g)
                                                   : rsn_conv2d_filter_grad(first, second, out, scratch, &g);
  if (status != 0) {
    char message[256];
    snprintf(message, sizeof message,
             "oneDNN could not run this convolution (dnnl_status_t %d); the addon's own kernels run it in a build "
             "on OpenBLAS: RSN_NATIVE_BLAS=openblas npm run build:native",
             status);
    napi_throw_error(env, NULL, message);
  }
  return NULL;
}

FN(conv2d) { return convolution(env, info, RSN_CONV_FORWARD); }
FN(conv2d_input_grad) { return convolution(env, info, RSN_CONV_INPUT_GRAD); }
FN(conv2d_filter_grad) { return convolution(env, info, RSN_CONV_FILTER_GRAD); }

/*
 * (kind, geometry) -> { scratch, chunk, kernel }: the floats of scratch the convolution needs, its images per chunk
 * and the kernel that runs it (rsn_conv_kernel).
 */
FN(conv_plan) {
  call_t a;
  rsn_conv_geometry g;
  int64_t s[4];
  if (!read_call(env, info, &a, 2)) return NULL;
  const int64_t kind = count(&a, 0);
  if (!a.failed && kind > RSN_CONV_FILTER_GRAD) return fail(&a, "unknown convolution"), NULL;
  if (!geometry(&a, 1, (int)kind, &g, s)) return NULL;
  napi_value result, scratch, chunk, kernel;
  if (napi_create_object(env, &result) != napi_ok || napi_create_int64(env, s[3], &scratch) != napi_ok ||
      napi_create_int64(env, g.chunk, &chunk) != napi_ok ||
      napi_create_string_utf8(env, rsn_conv_kernel(&g, (int)kind), NAPI_AUTO_LENGTH, &kernel) != napi_ok ||
      napi_set_named_property(env, result, "scratch", scratch) != napi_ok ||
      napi_set_named_property(env, result, "chunk", chunk) != napi_ok ||
      napi_set_named_property(env, result, "kernel", kernel) != napi_ok)
    return NULL;
  return result;
}

/* (x, [dy,] out, n, h, w, c, size) */
static napi_value pooling(napi_env env, napi_callback_info info, int grad) {
  call_t a;
  const size_t dims = grad ? 3 : 2;
  if (!read_call(env, info, &a, dims + 5)) return NULL;
  const int64_t n = count(&a, dims), h = count(&a, dims + 1), w = count(&a, dims + 2), c = count(&a, dims + 3),
                size = count(&a, dims + 4);
  if (!a.failed && (size < 1 || h < size || w < size)) return fail(&a, "a pooling window must fit the image"), NULL;
  const int64_t x_size = PRODUCT(&a, ELEMENTS, n, h, w, c);
  const int64_t out_size = PRODUCT(&a, ELEMENTS, n, h / (size ? size : 1), w / (size ? size : 1), c);
  const float *x = F32(0, x_size);
  const float *dy = grad ? F32(1, out_size) : NULL;
  float *out = F32(dims - 1, grad ? x_size : out_size);
  if (a.failed) return NULL;
  if (grad) rsn_max_pool_grad(x, dy, out, n, h, w, c, size);
  else rsn_max_pool(x, out, n, h, w, c, size);
  return NULL;
}

FN(max_pool) { return pooling(env, info, 0); }
FN(max_pool_grad) { return pooling(env, info, 1); }

int rsn_export_convolution(napi_env env, napi_value exports) {
#define EXPORT(js, c) {js, NULL, c, NULL, NULL, NULL, napi_enumerable, NULL}
  const napi_property_descriptor fns[] = {
      EXPORT("conv2d", conv2d), EXPORT("conv2dInputGrad", conv2d_input_grad),
      EXPORT("conv2dFilterGrad", conv2d_filter_grad), EXPORT("convPlan", conv_plan), EXPORT("maxPool", max_pool),
      EXPORT("maxPoolGrad", max_pool_grad),
  };
#undef EXPORT
  return napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns) == napi_ok;
}
