/*
 * What oneDNN's matmul primitive offers the native backend's products, measured outside rsn (one thread):
 *
 *   gcc -O2 benchmarks/perf/native/onednn-probe.c -o /tmp/onednn-probe -ldnnl -lgomp && /tmp/onednn-probe
 *
 * For each product of a dense-300-100 step in the lane layout (backends/native/mlp.ts: activations [features,
 * 64 lanes], so that a layer's forward product is W^T hT, its backward product W gT, its weight gradient hT gT^T),
 * it prints the best CPU time of dnnl_sgemm and of the matmul primitive on the same operands, the primitive's
 * implementation, the layout it asks for its weights when given the choice (format "any": a blocked layout is a
 * prepacked one), and whether both gave the same bits. Then the two things that decide how the backend uses
 * the primitive: the implementation it picks for the weights-as-B form (W as the primitive's weights, which needs
 * a transposed destination to stay in the lane layout), and what its fused ReLU makes of NaN and -0. Last, where the
 * primitive asks for a blocked (prepacked) weights layout: W reordered into it once (what packing once per step
 * costs) and used by each forward and backward product, written row-major and transposed into the lane layout,
 * against dnnl_sgemm in the lane form.
 */
#include <math.h>
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern void omp_set_num_threads(int threads);

static dnnl_engine_t engine;
static dnnl_stream_t stream;

static double cpu_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static float *random_floats(long n) {
  float *p = malloc(n * sizeof(float));
  for (long i = 0; i < n; i++) p[i] = (float)(rand() % 2001 - 1000) / 1000.0f;
  return p;
}

/* A [rows, cols] matrix stored row-major, or transposed (its transpose stored row-major). */
static void strided(dnnl_memory_desc_t *md, long rows, long cols, int transposed) {
  dnnl_dims_t dims = {rows, cols}, strides = {transposed ? 1 : cols, transposed ? rows : 1};
  dnnl_memory_desc_init_by_strides(md, 2, dims, dnnl_f32, strides);
}

typedef struct {
  dnnl_primitive_t primitive;
  const char *impl;
  /* The weights' layout the primitive asks for: "as given", another plain (strided) one, or a blocked one. */
  const char *weights;
} matmul_t;

/* C [m, n] = op(A) op(B), A the primitive's src and B its weights; dst transposed when asked; an optional ReLU. */
static int make_matmul(matmul_t *out, long m, long n, long k, int ta, int tb, int any_weights, int dst_t, int relu) {
  dnnl_memory_desc_t a, b, b_plain, c;
  strided(&a, m, k, ta);
  strided(&b_plain, k, n, tb);
  if (any_weights) {
    dnnl_dims_t dims = {k, n};
    dnnl_memory_desc_init_by_tag(&b, 2, dims, dnnl_f32, dnnl_format_tag_any);
  } else {
    b = b_plain;
  }
  strided(&c, m, n, dst_t);
  dnnl_matmul_desc_t desc;
  if (dnnl_matmul_desc_init(&desc, &a, &b, NULL, &c) != dnnl_success) return 0;
  dnnl_primitive_attr_t attr;
  dnnl_primitive_attr_create(&attr);
  if (relu) {
    dnnl_post_ops_t ops;
    dnnl_post_ops_create(&ops);
    dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f);
    dnnl_primitive_attr_set_post_ops(attr, ops);
  }
  dnnl_primitive_desc_t pd;
  if (dnnl_primitive_desc_create(&pd, &desc, attr, engine, NULL) != dnnl_success) return 0;
  dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &out->impl);
  const dnnl_memory_desc_t *w = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
  out->weights = dnnl_memory_desc_equal(w, &b_plain) ? "as given" : w->format_desc.blocking.inner_nblks ? "blocked" : "other plain";
  return dnnl_primitive_create(&out->primitive, pd) == dnnl_success;
}

static void run_matmul(matmul_t *mm, long m, long n, long k, int ta, int tb, int dst_t, float *a, float *b, float *c) {
  dnnl_memory_desc_t da, db, dc;
  strided(&da, m, k, ta);
  strided(&db, k, n, tb);
  strided(&dc, m, n, dst_t);
  dnnl_memory_t ma, mb, mc;
  dnnl_memory_create(&ma, &da, engine, a);
  dnnl_memory_create(&mb, &db, engine, b);
  dnnl_memory_create(&mc, &dc, engine, c);
  dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, ma}, {DNNL_ARG_WEIGHTS, mb}, {DNNL_ARG_DST, mc}};
  dnnl_primitive_execute(mm->primitive, stream, 3, args);
  dnnl_memory_destroy(ma);
  dnnl_memory_destroy(mb);
  dnnl_memory_destroy(mc);
}

/* Best CPU time of `reps` calls, over 9 rounds, in microseconds. */
#define BEST_US(reps, call)                                        \
  ({                                                               \
    double best_ = 1e30;                                           \
    for (int round_ = 0; round_ < 9; round_++) {                   \
      const double t0_ = cpu_seconds();                            \
      for (int r_ = 0; r_ < (reps); r_++) call;                    \
      const double t_ = (cpu_seconds() - t0_) / (reps);            \
      if (t_ < best_) best_ = t_;                                  \
    }                                                              \
    best_ * 1e6;                                                   \
  })

int main(void) {
  omp_set_num_threads(1);
  dnnl_engine_create(&engine, dnnl_cpu, 0);
  dnnl_stream_create(&stream, engine, dnnl_stream_default_flags);
  const dnnl_version_t *v = dnnl_version();
  printf("oneDNN %d.%d.%d, ISA code 0x%x, one thread; best CPU time of 9 rounds\n\n", v->major, v->minor, v->patch,
         (unsigned)dnnl_get_effective_cpu_isa());
  const struct { const char *name; long m, n, k; int ta, tb; } shapes[] = {
      {"forward 1   W1^T hT", 300, 64, 784, 1, 0}, {"forward 2   W2^T hT", 100, 64, 300, 1, 0},
      {"backward 1  W1 gT", 784, 64, 300, 0, 0},   {"backward 2  W2 gT", 300, 64, 100, 0, 0},
      {"gradient 1  hT gT^T", 784, 300, 64, 0, 1}, {"gradient 1  (2n rows)", 784, 300, 128, 0, 1},
      {"square 1024", 1024, 1024, 1024, 0, 0},
  };
  printf("%-24s %14s %14s  %-10s %-14s %s\n", "product", "dnnl_sgemm", "matmul", "impl", "weights (any)", "same bits");
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    const long m = shapes[s].m, n = shapes[s].n, k = shapes[s].k;
    const int ta = shapes[s].ta, tb = shapes[s].tb;
    float *a = random_floats(m * k), *b = random_floats(k * n), *c1 = random_floats(m * n), *c2 = random_floats(m * n);
    const long lda = ta ? m : k, ldb = tb ? k : n;
    const int reps = m * n * k > 100000000L ? 3 : 200;
    const double gflop = 2.0 * m * n * k * 1e-3;
    matmul_t plain, any;
    if (!make_matmul(&plain, m, n, k, ta, tb, 0, 0, 0) || !make_matmul(&any, m, n, k, ta, tb, 1, 0, 0)) return 1;
    const double t_gemm = BEST_US(reps, dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c1, n));
    const double t_prim = BEST_US(reps, run_matmul(&plain, m, n, k, ta, tb, 0, a, b, c2));
    printf("%-24s %6.1f us %4.0f GF/s %6.1f us %4.0f GF/s  %-10s %-14s %s\n", shapes[s].name, t_gemm, gflop / t_gemm, t_prim,
           gflop / t_prim, plain.impl, any.weights, memcmp(c1, c2, m * n * sizeof(float)) ? "no" : "yes");
    free(a), free(b), free(c1), free(c2);
  }

  /* W as the primitive's weights: (h W)^T written in the lane layout needs a transposed destination. */
  matmul_t wb;
  if (make_matmul(&wb, 64, 300, 784, 1, 0, 1, 1, 0)) {
    float *a = random_floats(64 * 784), *b = random_floats(784 * 300), *c = random_floats(64 * 300);
    const double t = BEST_US(1, run_matmul(&wb, 64, 300, 784, 1, 0, 1, a, b, c));
    printf("\nW1 as the weights, destination transposed (lanes): impl %s, weights %s, %.0f us\n", wb.impl, wb.weights, t);
  }

  /* W prepacked once as the primitive's weights: the product written row-major ([lanes, out], src the lane-layout
   * activations read transposed) and transposed into the lane layout after, against dnnl_sgemm in the lane form;
   * the reorder into the blocked layout is what packing costs once per step. */
  printf("\nW prepacked as the weights (dst [lanes, out] then transposed to [out, lanes]) against dnnl_sgemm in the lane form\n");
  printf("%-24s %14s %14s %14s %12s  %-10s %s\n", "product", "dnnl_sgemm", "packed+T", "of which T", "pack once", "impl", "weights");
  const struct { const char *name; long out, in; int w_t; } packs[] = {
      {"forward 1   h W1", 300, 784, 0}, {"forward 2   h W2", 100, 300, 0},
      {"backward 1  g W1^T", 784, 300, 1}, {"backward 2  g W2^T", 300, 100, 1},
  };
  for (size_t s = 0; s < sizeof packs / sizeof packs[0]; s++) {
    const long out = packs[s].out, in = packs[s].in, lanes = 64;
    const int w_t = packs[s].w_t;
    /* W stored as the backend keeps it: [in, out] for the forward product, [out, in] (W's own shape) for backward. */
    float *w = random_floats(in * out), *hT = random_floats(in * lanes), *row = random_floats(lanes * out);
    float *lane1 = random_floats(out * lanes), *lane2 = random_floats(out * lanes);
    matmul_t mm;
    if (!make_matmul(&mm, lanes, out, in, 1, w_t, 1, 0, 0)) return 1;
    const_dnnl_primitive_desc_t pd;
    dnnl_primitive_get_primitive_desc(mm.primitive, &pd);
    const dnnl_memory_desc_t *wmd = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    dnnl_memory_desc_t w_plain, src_md, dst_md;
    strided(&w_plain, in, out, w_t);
    strided(&src_md, lanes, in, 1);
    strided(&dst_md, lanes, out, 0);
    dnnl_memory_t mw, mwp, ms, md;
    dnnl_memory_create(&mw, &w_plain, engine, w);
    dnnl_memory_create(&mwp, wmd, engine, DNNL_MEMORY_ALLOCATE);
    dnnl_memory_create(&ms, &src_md, engine, hT);
    dnnl_memory_create(&md, &dst_md, engine, row);
    dnnl_primitive_desc_t rpd;
    dnnl_reorder_primitive_desc_create(&rpd, &w_plain, engine, wmd, engine, NULL);
    dnnl_primitive_t reorder;
    dnnl_primitive_create(&reorder, rpd);
    dnnl_exec_arg_t rargs[2] = {{DNNL_ARG_FROM, mw}, {DNNL_ARG_TO, mwp}};
    dnnl_exec_arg_t margs[3] = {{DNNL_ARG_SRC, ms}, {DNNL_ARG_WEIGHTS, mwp}, {DNNL_ARG_DST, md}};
    const double t_pack = BEST_US(50, (dnnl_primitive_execute(reorder, stream, 2, rargs)));
#define TRANSPOSE_ROW_TO_LANES()                                          \
  for (long l = 0; l < lanes; l++)                                        \
    for (long o = 0; o < out; o++) lane2[o * lanes + l] = row[l * out + o];
    const double t_mm = BEST_US(200, (dnnl_primitive_execute(mm.primitive, stream, 3, margs)));
    const double t_both = BEST_US(200, ({ dnnl_primitive_execute(mm.primitive, stream, 3, margs); TRANSPOSE_ROW_TO_LANES(); }));
    /* The lane form: [out, lanes] = W^T hT (forward, W [in, out]) or W hT (backward, W [out, in]). */
    const double t_gemm = BEST_US(200, dnnl_sgemm(w_t ? 'N' : 'T', 'N', out, lanes, in, 1.0f, w, w_t ? in : out, hT, lanes, 0.0f, lane1, lanes));
    const double gflop = 2.0 * out * lanes * in * 1e-3;
    int same = 1;
    for (long i = 0; i < out * lanes; i++) same &= lane1[i] == lane2[i];
    printf("%-24s %6.1f us %4.0f GF/s %6.1f us %4.0f GF/s %6.1f us %12.1f us  %-10s %s%s\n", packs[s].name, t_gemm, gflop / t_gemm,
           t_both, gflop / t_both, t_both - t_mm, t_pack, mm.impl, mm.weights, same ? ", same bits" : ", other bits");
#undef TRANSPOSE_ROW_TO_LANES
    dnnl_primitive_destroy(reorder);
    dnnl_primitive_desc_destroy(rpd);
    dnnl_memory_destroy(mw), dnnl_memory_destroy(mwp), dnnl_memory_destroy(ms), dnnl_memory_destroy(md);
    free(w), free(hT), free(row), free(lane1), free(lane2);
  }

  /* The fused ReLU on NaN and -0: rows of A = 1 (or -1) times the first row of B. */
  matmul_t relu;
  if (make_matmul(&relu, 16, 16, 1, 0, 0, 0, 0, 1)) {
    float a[16], b[16], c[256];
    for (int i = 0; i < 16; i++) a[i] = 1.0f, b[i] = 0.0f;
    b[0] = NAN, a[1] = -1.0f;
    run_matmul(&relu, 16, 16, 1, 0, 0, 0, a, b, c);
    printf("fused ReLU: relu(NaN) = %g (maximum(NaN, 0) is NaN), relu(-1 * 0) = %s0\n", c[0], signbit(c[17]) ? "-" : "+");
  }
  return 0;
}
