/*
 * Stride-1 2-D convolution and its gradients (convolution.h): layers with few output channels on the direct
 * kernels (conv_direct.c), the others as matrix products. There the patches of a chunk of images are laid out as
 * rows (im2col): row (b, oy, ox) holds x[b, oy + ky - top, ox + kx - left, ci] for ky, kx, ci in the order of
 * the filter's first three axes (zero outside the image), so that the filter [kh, kw, cin, cout] is already the
 * [kh kw cin, cout] matrix the rows multiply. The products run on the addon's rsn_matmul, one thread, so the same
 * inputs give the same bits on every run.
 */
#include <string.h>

#include "conv_direct.h"
#include "conv_onednn.h"
#include "convolution.h"
#include "kernels.h"
#include "products.h"

/* A 1x1 filter without padding reads each pixel once: its patches are x itself, with nothing to copy. */
static int patches_are_x(const rsn_conv_geometry *g) {
  return g->kh == 1 && g->kw == 1 && g->top == 0 && g->left == 0 && g->oh == g->h && g->ow == g->w;
}

/*
 * Floats of a chunk's patch matrix (im2col) and of a chunk's buffers (direct kernels): small enough to stay in the
 * core's cache between being written and read, large enough that each product or pass does real work.
 */
enum { PATCH_FLOATS = 1 << 16, DIRECT_FLOATS = 1 << 15 };

/* Whole images within the budget (per_image >= 1 floats), at least one, at most the batch. */
static int64_t images_per_chunk(int64_t budget, int64_t per_image, int64_t n) {
  const int64_t chunk = budget / per_image < n ? budget / per_image : n;
  return chunk < 1 ? 1 : chunk;
}

/*
 * Where oneDNN's primitive beat the addon's kernels on the layers of lenet5 and cnn-madry (one thread, AVX-512;
 * benchmarks/perf/native/onednn-conv-probe.c): every filter gradient, and the forward pass and input gradient of
 * layers with more than 16 output channels (those the addon multiplies as patch matrices), the input gradient
 * only from 8 input channels up (with one input channel oneDNN's kernel took 3-6 times as long). A 1x1 filter
 * without padding is a plain matrix product either way.
 */
static int onednn_wanted(const rsn_conv_geometry *g, int kind) {
  if (g->n == 0 || patches_are_x(g)) return 0;
  if (kind == RSN_CONV_FILTER_GRAD) return 1;
  return !rsn_conv_direct(g, kind) && (kind == RSN_CONV_FORWARD || g->cin >= 8);
}

int64_t rsn_conv_plan(rsn_conv_geometry *g, int kind) {
  g->onednn = rsn_conv_onednn_available() && onednn_wanted(g, kind);
  if (g->onednn) {
    g->chunk = g->n;
    return 0;
  }
  if (rsn_conv_direct(g, kind)) {
    const int64_t image = rsn_conv_direct_image(g, kind);
    g->chunk = images_per_chunk(DIRECT_FLOATS, image, g->n);
    return rsn_conv_direct_fixed(g, kind) + g->chunk * image;
  }
  if (patches_are_x(g)) {
    g->chunk = g->n > 0 ? g->n : 1;
    return 0;
  }
  const int64_t patch = g->kh * g->kw * g->cin, rows = g->oh * g->ow * patch;
  g->chunk = images_per_chunk(PATCH_FLOATS, rows, g->n);
  return g->chunk * rows + (kind == RSN_CONV_FILTER_GRAD ? patch * g->cout : 0);
}

const char *rsn_conv_kernel(const rsn_conv_geometry *g, int kind) {
  if (g->onednn) return "onednn";
  if (rsn_conv_direct(g, kind)) return "direct";
  return patches_are_x(g) ? "matmul" : "im2col";
}

/* The patch rows of images [b0, b0 + count) of x. */
static void im2col(const float *restrict x, float *restrict col, const rsn_conv_geometry *g, int64_t b0,
                   int64_t count) {
  const int64_t h = g->h, w = g->w, cin = g->cin, kh = g->kh, kw = g->kw;
  const int64_t span = kw * cin, patch = kh * span;
  float *row = col;
  for (int64_t b = b0; b < b0 + count; b++) {
    for (int64_t oy = 0; oy < g->oh; oy++) {
      for (int64_t ox = 0; ox < g->ow; ox++, row += patch) {
        /* The filter columns that land inside the image: kx in [kx0, kx1). */
        const int64_t first = ox - g->left;
        const int64_t kx0 = first < 0 ? -first : 0;
        const int64_t kx1 = w - first < kw ? w - first : kw;
        for (int64_t ky = 0; ky < kh; ky++) {
          float *dst = row + ky * span;
          const int64_t iy = oy + ky - g->top;
          if (iy < 0 || iy >= h || kx1 <= kx0) {
            memset(dst, 0, (size_t)span * sizeof(float));
            continue;
          }
          if (kx0 > 0) memset(dst, 0, (size_t)(kx0 * cin) * sizeof(float));
          memcpy(dst + kx0 * cin, x + ((b * h + iy) * w + first + kx0) * cin, (size_t)((kx1 - kx0) * cin) * sizeof(float));
          if (kx1 < kw) memset(dst + kx1 * cin, 0, (size_t)((kw - kx1) * cin) * sizeof(float));
        }
      }
    }
  }
}

/*
 * dx of images [b0, b0 + count) from the gradients of their patches (col2im): zeros, then each patch row added
 * back where im2col read it, span by span; each pixel sums its entries in the order of the patches.
 */
static void col2im(const float *restrict dcol, float *restrict dx, const rsn_conv_geometry *g, int64_t b0,
                   int64_t count) {
  const int64_t h = g->h, w = g->w, cin = g->cin, kh = g->kh, kw = g->kw;
  const int64_t span = kw * cin, patch = kh * span;
  memset(dx + b0 * h * w * cin, 0, (size_t)(count * h * w * cin) * sizeof(float));
  const float *row = dcol;
  for (int64_t b = b0; b < b0 + count; b++) {
    for (int64_t oy = 0; oy < g->oh; oy++) {
      for (int64_t ox = 0; ox < g->ow; ox++, row += patch) {
        const int64_t first = ox - g->left;
        const int64_t kx0 = first < 0 ? -first : 0;
        const int64_t kx1 = w - first < kw ? w - first : kw;
        if (kx1 <= kx0) continue;
        const int64_t from = kx0 * cin, length = (kx1 - kx0) * cin;
        for (int64_t ky = 0; ky < kh; ky++) {
          const int64_t iy = oy + ky - g->top;
          if (iy < 0 || iy >= h) continue;
          float *dst = dx + ((b * h + iy) * w + first + kx0) * cin;
          const float *src = row + ky * span + from;
          for (int64_t i = 0; i < length; i++) dst[i] += src[i];
        }
      }
    }
  }
}

int rsn_conv2d(const float *restrict x, const float *restrict filter, float *restrict y, float *restrict scratch,
               const rsn_conv_geometry *g) {
  if (g->onednn) return rsn_conv_onednn_run(RSN_CONV_FORWARD, x, filter, y, g);
  if (rsn_conv_direct(g, RSN_CONV_FORWARD)) {
    rsn_conv2d_direct(x, filter, y, scratch, g);
    return 0;
  }
  const int64_t patch = g->kh * g->kw * g->cin, pixels = g->oh * g->ow;
  if (patches_are_x(g)) {
    rsn_matmul(x, filter, y, (int)(g->n * pixels), (int)g->cout, (int)patch, 0, 0);
    return 0;
  }
  for (int64_t b0 = 0; b0 < g->n; b0 += g->chunk) {
    const int64_t count = g->n - b0 < g->chunk ? g->n - b0 : g->chunk;
    im2col(x, scratch, g, b0, count);
    rsn_matmul(scratch, filter, y + b0 * pixels * g->cout, (int)(count * pixels), (int)g->cout, (int)patch, 0, 0);
  }
  return 0;
}

int rsn_conv2d_input_grad(const float *restrict dy, const float *restrict filter, float *restrict dx,
                          float *restrict scratch, const rsn_conv_geometry *g) {
  if (g->onednn) return rsn_conv_onednn_run(RSN_CONV_INPUT_GRAD, dy, filter, dx, g);
  if (rsn_conv_direct(g, RSN_CONV_INPUT_GRAD)) {
    rsn_conv2d_input_grad_direct(dy, filter, dx, scratch, g);
    return 0;
  }
  const int64_t patch = g->kh * g->kw * g->cin, pixels = g->oh * g->ow;
  if (patches_are_x(g)) {
    rsn_matmul(dy, filter, dx, (int)(g->n * pixels), (int)g->cin, (int)g->cout, 0, 1);
    return 0;
  }
  for (int64_t b0 = 0; b0 < g->n; b0 += g->chunk) {
    const int64_t count = g->n - b0 < g->chunk ? g->n - b0 : g->chunk;
    rsn_matmul(dy + b0 * pixels * g->cout, filter, scratch, (int)(count * pixels), (int)patch, (int)g->cout, 0, 1);
    col2im(scratch, dx, g, b0, count);
  }
  return 0;
}

int rsn_conv2d_filter_grad(const float *restrict x, const float *restrict dy, float *restrict dfilter,
                           float *restrict scratch, const rsn_conv_geometry *g) {
  if (g->onednn) return rsn_conv_onednn_run(RSN_CONV_FILTER_GRAD, x, dy, dfilter, g);
  if (rsn_conv_direct(g, RSN_CONV_FILTER_GRAD)) {
    rsn_conv2d_filter_grad_direct(x, dy, dfilter, scratch, g);
    return 0;
  }
  const int64_t patch = g->kh * g->kw * g->cin, pixels = g->oh * g->ow, size = patch * g->cout;
  if (patches_are_x(g)) {
    rsn_matmul(x, dy, dfilter, (int)patch, (int)g->cout, (int)(g->n * pixels), 1, 0);
    return 0;
  }
  float *col = scratch, *partial = scratch + g->chunk * pixels * patch;
  for (int64_t b0 = 0; b0 < g->n; b0 += g->chunk) {
    const int64_t count = g->n - b0 < g->chunk ? g->n - b0 : g->chunk;
    im2col(x, col, g, b0, count);
    float *target = b0 == 0 ? dfilter : partial;
    rsn_matmul(col, dy + b0 * pixels * g->cout, target, (int)patch, (int)g->cout, (int)(count * pixels), 1, 0);
    if (b0 > 0)
      for (int64_t i = 0; i < size; i++) dfilter[i] += partial[i];
  }
  if (g->n == 0) memset(dfilter, 0, (size_t)size * sizeof(float));
  return 0;
}
