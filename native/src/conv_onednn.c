/*
 * Convolutions on oneDNN's primitives (conv_onednn.h). Images stay NHWC and filters HWIO, described to oneDNN as
 * they are; the filter is reordered into the layout the primitive asks for (oneDNN's "any") on each call, into
 * memory the cache entry owns, and a filter gradient is reordered back. Primitives are created on a thread's first
 * call with a geometry (creating one generates its code, which takes milliseconds) and kept in a small cache.
 */
#include "conv_onednn.h"

#ifdef RSN_ONEDNN

#include <oneapi/dnnl/dnnl.h>
#include <string.h>

enum { CACHE_ENTRIES = 16, KEY = 12 };

typedef struct {
  int64_t key[KEY];
  uint64_t used;
  int refused;
  dnnl_primitive_t conv, reorder;
  /* x (or dx) and y (or dy) as NHWC, the filter (or its gradient) as HWIO; blocked: the primitive's own layout. */
  dnnl_memory_t x, y, filter, blocked;
} entry;

static _Thread_local dnnl_engine_t engine;
static _Thread_local dnnl_stream_t stream;
static _Thread_local entry cache[CACHE_ENTRIES];
static _Thread_local uint64_t clock_ticks;

static void make_key(const rsn_conv_geometry *g, int kind, int64_t *key) {
  const int64_t values[KEY] = {kind, g->n, g->h, g->w, g->cin, g->kh, g->kw, g->cout, g->oh, g->ow, g->top, g->left};
  memcpy(key, values, sizeof values);
}

static void release(entry *e) {
  if (e->conv) dnnl_primitive_destroy(e->conv);
  if (e->reorder) dnnl_primitive_destroy(e->reorder);
  dnnl_memory_t *memories[] = {&e->x, &e->y, &e->filter, &e->blocked};
  for (size_t i = 0; i < sizeof memories / sizeof memories[0]; i++)
    if (*memories[i]) dnnl_memory_destroy(*memories[i]);
  memset(e, 0, sizeof *e);
}

typedef struct {
  dnnl_memory_desc_t x, y, filter, any;
  dnnl_dims_t strides, pad_l, pad_r;
} descriptors;

/* oneDNN's dimensions are logical (N, C, H, W and O, I, H, W) whatever the layout the tag gives. */
static void describe(const rsn_conv_geometry *g, descriptors *d) {
  dnnl_dims_t x = {g->n, g->cin, g->h, g->w}, y = {g->n, g->cout, g->oh, g->ow}, f = {g->cout, g->cin, g->kh, g->kw};
  dnnl_memory_desc_init_by_tag(&d->x, 4, x, dnnl_f32, dnnl_nhwc);
  dnnl_memory_desc_init_by_tag(&d->y, 4, y, dnnl_f32, dnnl_nhwc);
  dnnl_memory_desc_init_by_tag(&d->filter, 4, f, dnnl_f32, dnnl_hwio);
  dnnl_memory_desc_init_by_tag(&d->any, 4, f, dnnl_f32, dnnl_format_tag_any);
  d->strides[0] = d->strides[1] = 1;
  d->pad_l[0] = g->top;
  d->pad_l[1] = g->left;
  /* What the bottom and right edges need for oh x ow outputs: TensorFlow's 'same' puts the odd row there. */
  d->pad_r[0] = g->oh - 1 + g->kh - g->h - g->top;
  d->pad_r[1] = g->ow - 1 + g->kw - g->w - g->left;
}

static dnnl_primitive_desc_t forward_desc(descriptors *d) {
  dnnl_convolution_desc_t desc;
  dnnl_primitive_desc_t pd = NULL;
  if (dnnl_convolution_forward_desc_init(&desc, dnnl_forward_training, dnnl_convolution_direct, &d->x, &d->any, NULL,
                                         &d->y, d->strides, d->pad_l, d->pad_r) != dnnl_success ||
      dnnl_primitive_desc_create(&pd, &desc, NULL, engine, NULL) != dnnl_success)
    return NULL;
  return pd;
}

static dnnl_primitive_desc_t gradient_desc(descriptors *d, int kind, const_dnnl_primitive_desc_t hint) {
  dnnl_convolution_desc_t desc;
  dnnl_status_t status =
      kind == RSN_CONV_INPUT_GRAD
          ? dnnl_convolution_backward_data_desc_init(&desc, dnnl_convolution_direct, &d->x, &d->any, &d->y, d->strides,
                                                     d->pad_l, d->pad_r)
          : dnnl_convolution_backward_weights_desc_init(&desc, dnnl_convolution_direct, &d->x, &d->any, NULL, &d->y,
                                                        d->strides, d->pad_l, d->pad_r);
  dnnl_primitive_desc_t pd = NULL;
  if (status != dnnl_success || dnnl_primitive_desc_create(&pd, &desc, NULL, engine, hint) != dnnl_success) return NULL;
  return pd;
}

/* The primitive, the memories and, where the primitive's filter layout is not HWIO, the reorder. */
static int build(entry *e, const rsn_conv_geometry *g, int kind) {
  if (!engine && (dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success ||
                  dnnl_stream_create(&stream, engine, dnnl_stream_default_flags) != dnnl_success))
    return 0;
  descriptors d;
  describe(g, &d);
  dnnl_primitive_desc_t forward = forward_desc(&d), pd = forward;
  if (forward && kind != RSN_CONV_FORWARD) pd = gradient_desc(&d, kind, forward);
  int ok = pd != NULL;
  const dnnl_memory_desc_t *chosen =
      ok ? dnnl_primitive_desc_query_md(pd, kind == RSN_CONV_FILTER_GRAD ? dnnl_query_diff_weights_md : dnnl_query_weights_md, 0)
         : NULL;
  ok = ok && dnnl_memory_create(&e->x, &d.x, engine, DNNL_MEMORY_NONE) == dnnl_success &&
       dnnl_memory_create(&e->y, &d.y, engine, DNNL_MEMORY_NONE) == dnnl_success &&
       dnnl_memory_create(&e->filter, &d.filter, engine, DNNL_MEMORY_NONE) == dnnl_success &&
       dnnl_primitive_create(&e->conv, pd) == dnnl_success;
  if (ok && !dnnl_memory_desc_equal(chosen, &d.filter)) {
    dnnl_primitive_desc_t reorder = NULL;
    const dnnl_memory_desc_t *from = kind == RSN_CONV_FILTER_GRAD ? chosen : &d.filter;
    const dnnl_memory_desc_t *to = kind == RSN_CONV_FILTER_GRAD ? &d.filter : chosen;
    ok = dnnl_memory_create(&e->blocked, chosen, engine, DNNL_MEMORY_ALLOCATE) == dnnl_success &&
         dnnl_reorder_primitive_desc_create(&reorder, from, engine, to, engine, NULL) == dnnl_success &&
         dnnl_primitive_create(&e->reorder, reorder) == dnnl_success;
    if (reorder) dnnl_primitive_desc_destroy(reorder);
  }
  if (pd && pd != forward) dnnl_primitive_desc_destroy(pd);
  if (forward) dnnl_primitive_desc_destroy(forward);
  return ok;
}

/* The cache entry of this geometry: found, or built in the least recently used slot. */
static entry *lookup(const rsn_conv_geometry *g, int kind) {
  int64_t key[KEY];
  make_key(g, kind, key);
  entry *oldest = &cache[0];
  for (int i = 0; i < CACHE_ENTRIES; i++) {
    entry *e = &cache[i];
    if (e->used && memcmp(e->key, key, sizeof key) == 0) {
      e->used = ++clock_ticks;
      return e;
    }
    if (e->used < oldest->used) oldest = e;
  }
  release(oldest);
  memcpy(oldest->key, key, sizeof key);
  oldest->used = ++clock_ticks;
  if (!build(oldest, g, kind)) {
    const uint64_t used = oldest->used;
    release(oldest);
    memcpy(oldest->key, key, sizeof key);
    oldest->used = used;
    oldest->refused = 1;
  }
  return oldest;
}

int rsn_conv_onednn_available(void) { return 1; }

int rsn_conv_onednn_run(int kind, const float *first, const float *second, float *out, const rsn_conv_geometry *g) {
  entry *e = lookup(g, kind);
  if (e->refused) return dnnl_unimplemented;
  /* Which of x, y and the filter each argument is, per kind (conv_onednn.h). */
  void *x = kind == RSN_CONV_INPUT_GRAD ? (void *)out : (void *)first;
  void *y = kind == RSN_CONV_FORWARD ? (void *)out : kind == RSN_CONV_INPUT_GRAD ? (void *)first : (void *)second;
  void *filter = kind == RSN_CONV_FILTER_GRAD ? (void *)out : (void *)second;
  dnnl_status_t status;
  if ((status = dnnl_memory_set_data_handle(e->x, x)) != dnnl_success ||
      (status = dnnl_memory_set_data_handle(e->y, y)) != dnnl_success ||
      (status = dnnl_memory_set_data_handle(e->filter, filter)) != dnnl_success)
    return status;
  dnnl_memory_t weights = e->reorder ? e->blocked : e->filter;
  if (e->reorder && kind != RSN_CONV_FILTER_GRAD) {
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, e->filter}, {DNNL_ARG_TO, e->blocked}};
    if ((status = dnnl_primitive_execute(e->reorder, stream, 2, args)) != dnnl_success) return status;
  }
  const int weights_arg = kind == RSN_CONV_FILTER_GRAD ? DNNL_ARG_DIFF_WEIGHTS : DNNL_ARG_WEIGHTS;
  const int x_arg = kind == RSN_CONV_INPUT_GRAD ? DNNL_ARG_DIFF_SRC : DNNL_ARG_SRC;
  const int y_arg = kind == RSN_CONV_FORWARD ? DNNL_ARG_DST : DNNL_ARG_DIFF_DST;
  dnnl_exec_arg_t args[3] = {{x_arg, e->x}, {y_arg, e->y}, {weights_arg, weights}};
  if ((status = dnnl_primitive_execute(e->conv, stream, 3, args)) != dnnl_success) return status;
  if (e->reorder && kind == RSN_CONV_FILTER_GRAD) {
    dnnl_exec_arg_t back[2] = {{DNNL_ARG_FROM, e->blocked}, {DNNL_ARG_TO, e->filter}};
    if ((status = dnnl_primitive_execute(e->reorder, stream, 2, back)) != dnnl_success) return status;
  }
  return dnnl_stream_wait(stream);
}

#else

int rsn_conv_onednn_available(void) { return 0; }

int rsn_conv_onednn_run(int kind, const float *first, const float *second, float *out, const rsn_conv_geometry *g) {
  (void)kind, (void)first, (void)second, (void)out, (void)g;
  return -1;
}

#endif
