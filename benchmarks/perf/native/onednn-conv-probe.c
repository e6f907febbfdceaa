/*
 * What oneDNN's convolution primitives would give the native backend's convolutions, measured on the layers of
 * lenet5 and cnn-madry at batch 60 (one thread, best CPU time of 9 rounds): the addon's own kernels (conv.c's
 * plan: direct kernels or im2col and the product) against oneDNN's forward, backward-data and backward-weights
 * primitives on the same NHWC images and HWIO filters, with the implementation oneDNN picks and the largest
 * difference between the two results relative to the largest magnitude of the result.
 *
 *   gcc -O3 -std=c11 -ffp-contract=off -march=x86-64-v2 -Inative/src -I/usr/include/node \
 *     benchmarks/perf/native/onednn-conv-probe.c native/src/conv.c native/src/conv_direct.c native/src/pool.c \
 *     native/src/products_onednn.c -o onednn-conv-probe -ldnnl -lgomp -lm && ./onednn-conv-probe
 *
 * (binding.gyp's flags.) conv_onednn.c is left out and its two functions defined here so that conv.c's plan never
 * offers oneDNN: "addon" is the addon's own kernels. Max pooling is compared too.
 *
 * Filters reach the primitives in the layout they ask for ("any"), reordered from HWIO in the timed call, so the
 * times include what the backend would pay per call.
 */
#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "convolution.h"
#include "conv_onednn.h"

/* The addon's own kernels on the left of each row: conv.c's plan never offers oneDNN here. */
int rsn_conv_onednn_available(void) { return 0; }
int rsn_conv_onednn_run(int kind, const float *first, const float *second, float *out, const rsn_conv_geometry *g) {
  (void)kind, (void)first, (void)second, (void)out, (void)g;
  return -1;
}

extern void omp_set_num_threads(int threads);

static dnnl_engine_t engine;
static dnnl_stream_t stream;

static double cpu_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static unsigned long long seed = 88172645463325252ull;
static float uniform(void) {
  seed ^= seed << 13;
  seed ^= seed >> 7;
  seed ^= seed << 17;
  return (float)((seed >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
}

static float *random_floats(long count) {
  float *p = malloc(sizeof(float) * (count ? count : 1));
  for (long i = 0; i < count; i++) p[i] = uniform();
  return p;
}

typedef struct {
  const char *name;
  rsn_conv_geometry g;
} layer;

static void nchw_dims(dnnl_dims_t d, long n, long c, long h, long w) {
  d[0] = n;
  d[1] = c;
  d[2] = h;
  d[3] = w;
}

typedef struct {
  dnnl_primitive_t conv, to_blocked, from_blocked;
  dnnl_memory_t blocked;
  int blocked_weights;
  const char *impl;
} prepared;

static void init_descs(const rsn_conv_geometry *g, dnnl_memory_desc_t *x, dnnl_memory_desc_t *w_any,
                       dnnl_memory_desc_t *w_hwio, dnnl_memory_desc_t *y, dnnl_dims_t strides, dnnl_dims_t pl,
                       dnnl_dims_t pr) {
  dnnl_dims_t dx, dw, dy;
  nchw_dims(dx, g->n, g->cin, g->h, g->w);
  nchw_dims(dw, g->cout, g->cin, g->kh, g->kw);
  nchw_dims(dy, g->n, g->cout, g->oh, g->ow);
  dnnl_memory_desc_init_by_tag(x, 4, dx, dnnl_f32, dnnl_nhwc);
  dnnl_memory_desc_init_by_tag(w_any, 4, dw, dnnl_f32, dnnl_format_tag_any);
  dnnl_memory_desc_init_by_tag(w_hwio, 4, dw, dnnl_f32, dnnl_hwio);
  dnnl_memory_desc_init_by_tag(y, 4, dy, dnnl_f32, dnnl_nhwc);
  strides[0] = strides[1] = 1;
  pl[0] = g->top;
  pl[1] = g->left;
  pr[0] = g->oh - 1 + g->kh - g->h - g->top;
  pr[1] = g->ow - 1 + g->kw - g->w - g->left;
}

static dnnl_primitive_desc_t forward_pd(const rsn_conv_geometry *g) {
  dnnl_memory_desc_t x, w, wh, y;
  dnnl_dims_t s, pl, pr;
  init_descs(g, &x, &w, &wh, &y, s, pl, pr);
  dnnl_convolution_desc_t desc;
  dnnl_convolution_forward_desc_init(&desc, dnnl_forward_training, dnnl_convolution_direct, &x, &w, NULL, &y, s, pl, pr);
  dnnl_primitive_desc_t pd;
  if (dnnl_primitive_desc_create(&pd, &desc, NULL, engine, NULL) != dnnl_success) return NULL;
  return pd;
}

static int prepare(prepared *p, const rsn_conv_geometry *g, int kind) {
  dnnl_memory_desc_t x, w, wh, y;
  dnnl_dims_t s, pl, pr;
  init_descs(g, &x, &w, &wh, &y, s, pl, pr);
  dnnl_convolution_desc_t desc;
  dnnl_primitive_desc_t hint = forward_pd(g), pd;
  if (kind == RSN_CONV_FORWARD) {
    pd = hint;
    hint = NULL;
  } else {
    if (kind == RSN_CONV_INPUT_GRAD)
      dnnl_convolution_backward_data_desc_init(&desc, dnnl_convolution_direct, &x, &w, &y, s, pl, pr);
    else
      dnnl_convolution_backward_weights_desc_init(&desc, dnnl_convolution_direct, &x, &w, NULL, &y, s, pl, pr);
    if (dnnl_primitive_desc_create(&pd, &desc, NULL, engine, hint) != dnnl_success) return 0;
  }
  dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &p->impl);
  const dnnl_memory_desc_t *chosen =
      dnnl_primitive_desc_query_md(pd, kind == RSN_CONV_FILTER_GRAD ? dnnl_query_diff_weights_md : dnnl_query_weights_md, 0);
  p->blocked_weights = !dnnl_memory_desc_equal(chosen, &wh);
  dnnl_memory_create(&p->blocked, chosen, engine, DNNL_MEMORY_ALLOCATE);
  dnnl_primitive_desc_t rpd;
  if (kind == RSN_CONV_FILTER_GRAD) {
    dnnl_reorder_primitive_desc_create(&rpd, chosen, engine, &wh, engine, NULL);
    dnnl_primitive_create(&p->from_blocked, rpd);
  } else {
    dnnl_reorder_primitive_desc_create(&rpd, &wh, engine, chosen, engine, NULL);
    dnnl_primitive_create(&p->to_blocked, rpd);
  }
  dnnl_primitive_desc_destroy(rpd);
  int ok = dnnl_primitive_create(&p->conv, pd) == dnnl_success;
  if (hint) dnnl_primitive_desc_destroy(hint);
  return ok;
}

/* One call: x, filter and y in the addon's layouts (dy, dx, dfilter for the gradients). */
static void run_onednn(prepared *p, const rsn_conv_geometry *g, int kind, float *x, float *filter, float *y) {
  dnnl_memory_desc_t dx, dw, dwh, dy;
  dnnl_dims_t s, pl, pr;
  init_descs(g, &dx, &dw, &dwh, &dy, s, pl, pr);
  dnnl_memory_t mx, mw, my;
  dnnl_memory_create(&mx, &dx, engine, x);
  dnnl_memory_create(&mw, &dwh, engine, filter);
  dnnl_memory_create(&my, &dy, engine, y);
  if (kind != RSN_CONV_FILTER_GRAD) {
    dnnl_exec_arg_t r[2] = {{DNNL_ARG_FROM, mw}, {DNNL_ARG_TO, p->blocked}};
    dnnl_primitive_execute(p->to_blocked, stream, 2, r);
  }
  if (kind == RSN_CONV_FORWARD) {
    dnnl_exec_arg_t a[3] = {{DNNL_ARG_SRC, mx}, {DNNL_ARG_WEIGHTS, p->blocked}, {DNNL_ARG_DST, my}};
    dnnl_primitive_execute(p->conv, stream, 3, a);
  } else if (kind == RSN_CONV_INPUT_GRAD) {
    dnnl_exec_arg_t a[3] = {{DNNL_ARG_DIFF_SRC, mx}, {DNNL_ARG_WEIGHTS, p->blocked}, {DNNL_ARG_DIFF_DST, my}};
    dnnl_primitive_execute(p->conv, stream, 3, a);
  } else {
    dnnl_exec_arg_t a[3] = {{DNNL_ARG_SRC, mx}, {DNNL_ARG_DIFF_WEIGHTS, p->blocked}, {DNNL_ARG_DIFF_DST, my}};
    dnnl_primitive_execute(p->conv, stream, 3, a);
    dnnl_exec_arg_t r[2] = {{DNNL_ARG_FROM, p->blocked}, {DNNL_ARG_TO, mw}};
    dnnl_primitive_execute(p->from_blocked, stream, 2, r);
  }
  dnnl_stream_wait(stream);
  dnnl_memory_destroy(mx);
  dnnl_memory_destroy(mw);
  dnnl_memory_destroy(my);
}

static void run_addon(rsn_conv_geometry *g, int kind, float *x, float *filter, float *y, float *scratch) {
  if (kind == RSN_CONV_FORWARD) rsn_conv2d(x, filter, y, scratch, g);
  else if (kind == RSN_CONV_INPUT_GRAD) rsn_conv2d_input_grad(y, filter, x, scratch, g);
  else rsn_conv2d_filter_grad(x, y, filter, scratch, g);
}

static double largest_difference(const float *a, const float *b, long count) {
  double diff = 0, scale = 0;
  for (long i = 0; i < count; i++) {
    diff = fmax(diff, fabs((double)a[i] - b[i]));
    scale = fmax(scale, fabs((double)a[i]));
  }
  return scale > 0 ? diff / scale : diff;
}

int main(void) {
  omp_set_num_threads(1);
  dnnl_engine_create(&engine, dnnl_cpu, 0);
  dnnl_stream_create(&stream, engine, dnnl_stream_default_flags);
  const dnnl_version_t *v = dnnl_version();
  printf("oneDNN %d.%d.%d, ISA code %#x, one thread, batch 60, best CPU time of 9 rounds\n", v->major, v->minor,
         v->patch, (unsigned)dnnl_get_effective_cpu_isa());
  layer layers[] = {
      {"lenet5 conv1 1->6 28x28 same", {60, 28, 28, 1, 5, 5, 6, 28, 28, 2, 2, 0}},
      {"lenet5 conv2 6->16 14x14 valid", {60, 14, 14, 6, 5, 5, 16, 10, 10, 0, 0, 0}},
      {"cnn-madry conv1 1->32 28x28 same", {60, 28, 28, 1, 5, 5, 32, 28, 28, 2, 2, 0}},
      {"cnn-madry conv2 32->64 14x14 same", {60, 14, 14, 32, 5, 5, 64, 14, 14, 2, 2, 0}},
  };
  const char *kinds[] = {"forward", "input grad", "filter grad"};
  printf("%-36s %-12s %12s %12s %8s  %-28s %s\n", "layer", "kind", "addon us", "oneDNN us", "ratio", "oneDNN impl",
         "rel diff");
  for (size_t l = 0; l < sizeof layers / sizeof layers[0]; l++) {
    for (int kind = 0; kind < 3; kind++) {
      rsn_conv_geometry g = layers[l].g;
      const long nx = g.n * g.h * g.w * g.cin, nw = g.kh * g.kw * g.cin * g.cout, ny = g.n * g.oh * g.ow * g.cout;
      float *x = random_floats(nx), *w = random_floats(nw), *y = random_floats(ny);
      float *x2 = malloc(sizeof(float) * nx), *w2 = malloc(sizeof(float) * nw), *y2 = malloc(sizeof(float) * ny);
      memcpy(x2, x, sizeof(float) * nx);
      memcpy(w2, w, sizeof(float) * nw);
      memcpy(y2, y, sizeof(float) * ny);
      const int64_t scratch_floats = rsn_conv_plan(&g, kind);
      float *scratch = malloc(sizeof(float) * (scratch_floats ? scratch_floats : 1));
      prepared p = {0};
      if (!prepare(&p, &g, kind)) {
        printf("%-36s %-12s no primitive\n", layers[l].name, kinds[kind]);
        continue;
      }
      double best_addon = 1e9, best_dnnl = 1e9;
      for (int round = 0; round < 9; round++) {
        double t0 = cpu_seconds();
        run_addon(&g, kind, x, w, y, scratch);
        double t1 = cpu_seconds();
        run_onednn(&p, &g, kind, x2, w2, y2);
        double t2 = cpu_seconds();
        if (t1 - t0 < best_addon) best_addon = t1 - t0;
        if (t2 - t1 < best_dnnl) best_dnnl = t2 - t1;
      }
      const double diff = kind == RSN_CONV_FORWARD      ? largest_difference(y, y2, ny)
                          : kind == RSN_CONV_INPUT_GRAD ? largest_difference(x, x2, nx)
                                                        : largest_difference(w, w2, nw);
      printf("%-36s %-12s %12.1f %12.1f %8.2f  %-28s %.2e%s\n", layers[l].name, kinds[kind], best_addon * 1e6,
             best_dnnl * 1e6, best_dnnl / best_addon, p.impl, diff, p.blocked_weights ? " (weights blocked)" : "");
      free(x), free(w), free(y), free(x2), free(w2), free(y2), free(scratch);
    }
  }

  /* Max pooling 2x2, stride 2 (both models' poolings), forward: the addon's pool.c against oneDNN's primitive. */
  printf("\n%-36s %12s %12s %8s  %-28s %s\n", "pooling 2x2 (forward)", "addon us", "oneDNN us", "ratio", "oneDNN impl", "same bits");
  const long pools[][4] = {{60, 28, 28, 6}, {60, 10, 10, 16}, {60, 28, 28, 32}, {60, 14, 14, 64}};
  for (size_t i = 0; i < sizeof pools / sizeof pools[0]; i++) {
    const long n = pools[i][0], h = pools[i][1], w = pools[i][2], c = pools[i][3], count = n * h * w * c;
    const long out = n * (h / 2) * (w / 2) * c;
    float *x = random_floats(count), *a = malloc(sizeof(float) * out), *b = malloc(sizeof(float) * out);
    dnnl_memory_desc_t src, dst;
    dnnl_dims_t sd = {n, c, h, w}, dd = {n, c, h / 2, w / 2}, two = {2, 2}, none = {0, 0};
    dnnl_memory_desc_init_by_tag(&src, 4, sd, dnnl_f32, dnnl_nhwc);
    dnnl_memory_desc_init_by_tag(&dst, 4, dd, dnnl_f32, dnnl_nhwc);
    dnnl_pooling_v2_desc_t desc;
    dnnl_pooling_v2_forward_desc_init(&desc, dnnl_forward_inference, dnnl_pooling_max, &src, &dst, two, two, none, none, none);
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t pool;
    const char *impl = "none";
    if (dnnl_primitive_desc_create(&pd, &desc, NULL, engine, NULL) != dnnl_success || dnnl_primitive_create(&pool, pd) != dnnl_success) {
      printf("pooling [%ld,%ld,%ld,%ld]: no primitive\n", n, h, w, c);
      continue;
    }
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
    dnnl_memory_t ms, md;
    dnnl_memory_create(&ms, &src, engine, x);
    dnnl_memory_create(&md, &dst, engine, b);
    double best_addon = 1e9, best_dnnl = 1e9;
    for (int round = 0; round < 9; round++) {
      double t0 = cpu_seconds();
      rsn_max_pool(x, a, n, h, w, c, 2);
      double t1 = cpu_seconds();
      dnnl_exec_arg_t args[2] = {{DNNL_ARG_SRC, ms}, {DNNL_ARG_DST, md}};
      dnnl_primitive_execute(pool, stream, 2, args);
      dnnl_stream_wait(stream);
      double t2 = cpu_seconds();
      if (t1 - t0 < best_addon) best_addon = t1 - t0;
      if (t2 - t1 < best_dnnl) best_dnnl = t2 - t1;
    }
    char name[64];
    snprintf(name, sizeof name, "[%ld, %ld, %ld, %ld]", n, h, w, c);
    printf("%-36s %12.1f %12.1f %8.2f  %-28s %s\n", name, best_addon * 1e6, best_dnnl * 1e6, best_dnnl / best_addon,
           impl, memcmp(a, b, sizeof(float) * out) == 0 ? "yes" : "no");
    free(x), free(a), free(b);
  }
  return 0;
}
