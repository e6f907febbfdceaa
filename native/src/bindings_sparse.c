/*
 * N-API bindings of the sparse kernels and the lane layout (sparse.c, kernels.h). Position lists are checked
 * (pointers ordered, indices in range) before a kernel reads through them.
 */
#include "kernels.h"
#include "napi_args.h"

/* Every index of idx[0..n) lies in [0, bound): a wrong layout throws instead of reading out of bounds. */
static int indices_within(args_t *a, const int32_t *idx, int64_t n, int64_t bound) {
  if (a->failed) return 0;
  for (int64_t p = 0; p < n; p++)
    if (idx[p] < 0 || idx[p] >= bound) return rsn_fail(a, "sparse layout index out of range");
  return 1;
}

/* ptr[0..groups] starts at 0, never decreases and ends at most at `limit`. */
static int pointers_valid(args_t *a, const int32_t *ptr, int64_t groups, int64_t limit) {
  if (a->failed) return 0;
  if (ptr[0] != 0 || ptr[groups] > limit) return rsn_fail(a, "bad sparse layout pointers");
  for (int64_t j = 0; j < groups; j++)
    if (ptr[j + 1] < ptr[j]) return rsn_fail(a, "bad sparse layout pointers");
  return 1;
}

/* The position lists of a sparse product, arguments 3-6 (vals, ptr, idx, at), checked against its sizes. */
typedef struct {
  const float *vals;
  const int32_t *ptr, *idx, *at;
} lists_t;

static int position_lists(args_t *a, int64_t inner, int64_t groups, int64_t blocks, lists_t *l) {
  int64_t nvals, nidx, nat;
  if (!a->failed && blocks < 1) return rsn_fail(a, "a sparse layout has at least one block");
  l->vals = rsn_array(a, 3, napi_float32_array, 0, &nvals);
  l->ptr = rsn_array(a, 4, napi_int32_array, groups * blocks + 1, NULL);
  l->idx = rsn_array(a, 5, napi_int32_array, 0, &nidx);
  l->at = rsn_array(a, 6, napi_int32_array, 0, &nat);
  if (!pointers_valid(a, l->ptr, groups * blocks, nidx < nat ? nidx : nat)) return 0;
  const int64_t nnz = l->ptr[groups * blocks];
  return indices_within(a, l->idx, nnz, inner) && indices_within(a, l->at, nnz, nvals);
}

FN(sparse_product) { /* (src, m, inner, vals, ptr, idx, at, groups, blocks, out) */
  ARGS(10);
  int64_t m = rsn_integer(&a, 1), inner = rsn_integer(&a, 2), groups = rsn_integer(&a, 7), blocks = rsn_integer(&a, 8);
  const float *src = F32(0, m * inner, NULL);
  float *out = F32(9, m * groups, NULL);
  lists_t l;
  if (!position_lists(&a, inner, groups, blocks, &l)) return NULL;
  rsn_sparse_product(src, m, inner, l.vals, l.ptr, l.idx, l.at, groups, blocks, out);
  DONE();
}

FN(sampled_product) { /* (a, b, m, rows, cols, rowPtr, colIdx, out) */
  ARGS(8);
  int64_t m = rsn_integer(&a, 2), rows = rsn_integer(&a, 3), cols = rsn_integer(&a, 4), nidx, nout;
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
  int64_t m = rsn_integer(&a, 0);
  if (a.failed) return NULL;
  napi_value result;
  napi_create_int64(env, rsn_lanes(m), &result);
  return result;
}

FN(to_lanes) { /* (src, m, cols, dst): dst [cols, lanes(m)] */
  ARGS(4);
  int64_t m = rsn_integer(&a, 1), cols = rsn_integer(&a, 2), mp = rsn_lanes(m);
  const float *src = F32(0, m * cols, NULL);
  float *dst = F32(3, cols * mp, NULL);
  if (!a.failed) rsn_to_lanes(src, m, cols, dst, mp);
  DONE();
}

FN(join_lanes) { /* (aT, bT, m, cols, outT): two [m, cols] batches in lanes -> the [2m, cols] batch in lanes */
  ARGS(5);
  int64_t m = rsn_integer(&a, 2), cols = rsn_integer(&a, 3), mp = rsn_lanes(m), mp2 = rsn_lanes(2 * m);
  const float *at = F32(0, cols * mp, NULL), *bt = F32(1, cols * mp, NULL);
  float *out = F32(4, cols * mp2, NULL);
  if (!a.failed) rsn_join_lanes(at, bt, mp, m, cols, out, mp2);
  DONE();
}

FN(from_lanes) { /* (srcT, m, cols, out): out [m, cols] */
  ARGS(4);
  int64_t m = rsn_integer(&a, 1), cols = rsn_integer(&a, 2), mp = rsn_lanes(m);
  const float *src = F32(0, cols * mp, NULL);
  float *out = F32(3, m * cols, NULL);
  if (!a.failed) rsn_from_lanes(src, mp, m, cols, out);
  DONE();
}

FN(sparse_lanes) { /* (srcT, mp, inner, vals, ptr, idx, at, groups, blocks, outT[, epilogue, gate]) */
  ARGS(10);
  const int64_t epilogue = rsn_given(&a, 10) ? rsn_integer(&a, 10) : RSN_EPILOGUE_NONE;
  if (!a.failed && epilogue > RSN_EPILOGUE_RELU_GRAD) return rsn_fail(&a, "unknown epilogue"), NULL;
  int64_t mp = rsn_integer(&a, 1), inner = rsn_integer(&a, 2), groups = rsn_integer(&a, 7), blocks = rsn_integer(&a, 8);
  if (!a.failed && mp % 64 != 0) return rsn_fail(&a, "lane count must be a multiple of 64"), NULL;
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
  int64_t mp = rsn_integer(&a, 2), rows = rsn_integer(&a, 3), cols = rsn_integer(&a, 4), blocks = rsn_integer(&a, 8), nidx, nat, nout;
  if (!a.failed && mp % 64 != 0) return rsn_fail(&a, "lane count must be a multiple of 64"), NULL;
  if (!a.failed && blocks < 1) return rsn_fail(&a, "a sparse layout has at least one block"), NULL;
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

int rsn_export_sparse(napi_env env, napi_value exports) {
  const napi_property_descriptor fns[] = {
      EXPORT("sparseProduct", sparse_product), EXPORT("sampledProduct", sampled_product),
      EXPORT("gatherAt", gather_at), EXPORT("lanes", lanes), EXPORT("toLanes", to_lanes),
      EXPORT("fromLanes", from_lanes), EXPORT("joinLanes", join_lanes), EXPORT("sparseLanes", sparse_lanes),
      EXPORT("sampledLanes", sampled_lanes), EXPORT("scatterAt", scatter_at),
  };
  return napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns) == napi_ok;
}
