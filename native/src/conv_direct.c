/*
 * Direct convolution kernels for layers with few output channels (cout <= 16, LeNet-5's and the first layers of
 * most MNIST networks), where im2col's matrix product is too narrow to run at speed and writing and reading the
 * patch matrix costs more than its arithmetic. The patches are read in place from a zero-padded copy of a chunk of
 * images, the output channels (padded to whole vectors of 8 lanes) are the vector lanes, and a tile of pixels
 * accumulates in registers. Sums run in a fixed order: the same inputs give the same bits on every run.
 *
 * forward      y[p, :] = sum over ky, then (kx, ci) of x[p + (ky, kx), ci] * f[ky, kx, ci, :], a tile of pixels
 * filter grad  df[ky, kx, ci, :] = sum over images and groups of rows (about 64 pixels) of (the group's sum,
 *              in float, of x[p + (ky, kx), ci] * dy[p, :]), in double
 * input grad   dx[q, ci] = lanes summed of (sum over ky, kx of dy[q - (ky, kx), :] * f[ky, kx, ci, :]), for
 *              layers with few input channels too (cin <= 4: the image a network reads, for the attacks)
 */
#include <stdint.h>
#include <string.h>

#include "conv_direct.h"
#include "kernels.h"

typedef float v8 __attribute__((vector_size(32)));
/*
 * The helpers below are always inlined, so no 32-byte vector crosses a call in the portable (pre-AVX) build. A
 * scalar enters vector arithmetic as `vector * scalar`, which each target clone broadcasts its own way (a helper
 * that builds the vector is lowered before it is inlined, for the portable target).
 */
#pragma GCC diagnostic ignored "-Wpsabi"
enum { LANES = 8, MAX_TILE = 12, MAX_VECTORS = 2 };

#define INLINE static inline __attribute__((always_inline))

INLINE v8 load8(const float *p) {
  v8 v;
  memcpy(&v, p, sizeof v);
  return v;
}
INLINE void store8(float *p, v8 v) { memcpy(p, &v, sizeof v); }

/* Vectors of 8 lanes that hold cout (or cin) channels. */
static int64_t vectors_for(int64_t channels) { return (channels + LANES - 1) / LANES; }

int rsn_conv_direct(const rsn_conv_geometry *g, int kind) {
  if (g->cout > MAX_VECTORS * LANES) return 0;
  return kind != RSN_CONV_INPUT_GRAD || g->cin <= 4;
}

/* Floats of one chunk image in each buffer of a direct kernel. */
static int64_t padded_image(const rsn_conv_geometry *g) { return (g->oh + g->kh - 1) * (g->ow + g->kw - 1) * g->cin; }
static int64_t lane_image(const rsn_conv_geometry *g) { return g->oh * g->ow * vectors_for(g->cout) * LANES; }
static int64_t spread_image(const rsn_conv_geometry *g) {
  return (g->h + g->kh - 1) * (g->w + g->kw - 1) * vectors_for(g->cout) * LANES;
}

/* Floats the filter gradient's tiles may read past a chunk's padded images (entries they drop). */
static int64_t filter_slack(const rsn_conv_geometry *g) { return MAX_TILE * ((g->ow + g->kw - 1) * g->cin + 1); }

int64_t rsn_conv_direct_image(const rsn_conv_geometry *g, int kind) {
  if (kind == RSN_CONV_FORWARD) return padded_image(g);
  if (kind == RSN_CONV_FILTER_GRAD) return padded_image(g) + lane_image(g);
  return spread_image(g);
}

int64_t rsn_conv_direct_fixed(const rsn_conv_geometry *g, int kind) {
  const int64_t k = g->kh * g->kw * g->cin, lanes = vectors_for(g->cout) * LANES;
  /* A packed filter; the filter gradient's double accumulators (aligned up to 8 bytes) and read-ahead slack. */
  if (kind == RSN_CONV_FILTER_GRAD) return 2 * k * lanes + 2 + filter_slack(g);
  return k * lanes;
}

/* Images [b0, b0 + count) of x [n, h, w, c] into xp [count, h + top + bottom, w + left + right, c]: zeros around. */
static void pad_images(const float *restrict x, float *restrict xp, const rsn_conv_geometry *g, int64_t b0,
                       int64_t count) {
  const int64_t hp = g->oh + g->kh - 1, wp = g->ow + g->kw - 1, c = g->cin;
  memset(xp, 0, (size_t)(count * hp * wp * c) * sizeof(float));
  for (int64_t b = 0; b < count; b++)
    for (int64_t iy = 0; iy < g->h; iy++)
      memcpy(xp + ((b * hp + iy + g->top) * wp + g->left) * c, x + (((b0 + b) * g->h + iy) * g->w) * c,
             (size_t)(g->w * c) * sizeof(float));
}

/* Rows [k, cout] (a filter, or dy's pixels) as [k, lanes], zeros in the lanes past cout. */
static void to_lanes(const float *restrict f, float *restrict fp, int64_t k, int64_t cout, int64_t lanes) {
  for (int64_t i = 0; i < k; i++) {
    for (int64_t c = 0; c < cout; c++) fp[i * lanes + c] = f[i * cout + c];
    for (int64_t c = cout; c < lanes; c++) fp[i * lanes + c] = 0.0f;
  }
}

/* ---- forward ---------------------------------------------------------------------------------------------- */

/*
 * One tile of `tile` pixels of an output row: px is the padded image at the tile's first patch (row oy, column
 * ox, channel 0), y the output at its first pixel. The patch of pixel p at filter row ky is the span of kw cin
 * floats starting at px + ky row_stride + p cin, in the filter's own (kx, ci) order.
 */
INLINE void forward_tile(const float *restrict px, const float *restrict fp, const rsn_conv_geometry *g,
                         int64_t row_stride, float *restrict y, const int tile, const int vectors) {
  const int64_t span = g->kw * g->cin, cin = g->cin, cout = g->cout;
  v8 acc[MAX_TILE][MAX_VECTORS];
  for (int p = 0; p < tile; p++)
    for (int v = 0; v < vectors; v++) acc[p][v] = (v8){0};
  for (int64_t ky = 0; ky < g->kh; ky++) {
    const float *r = px + ky * row_stride;
    const float *f = fp + ky * span * vectors * LANES;
    for (int64_t j = 0; j < span; j++) {
      v8 fv[MAX_VECTORS];
      for (int v = 0; v < vectors; v++) fv[v] = load8(f + (j * vectors + v) * LANES);
      for (int p = 0; p < tile; p++)
        for (int v = 0; v < vectors; v++) acc[p][v] += fv[v] * r[p * cin + j];
    }
  }
  for (int p = 0; p < tile; p++)
    for (int v = 0; v < vectors; v++) {
      float *out = y + p * cout + v * LANES;
      if ((v + 1) * LANES <= cout) {
        store8(out, acc[p][v]);
      } else {
        float lanes[LANES];
        store8(lanes, acc[p][v]);
        for (int64_t c = 0; c < cout - v * LANES; c++) out[c] = lanes[c];
      }
    }
}

RSN_HOT static void forward_rows(const float *restrict xp, const float *restrict fp, float *restrict y,
                                 const rsn_conv_geometry *g, int64_t count) {
  const int64_t wp = g->ow + g->kw - 1, hp = g->oh + g->kh - 1, row_stride = wp * g->cin;
  const int64_t vectors = vectors_for(g->cout);
  for (int64_t b = 0; b < count; b++)
    for (int64_t oy = 0; oy < g->oh; oy++) {
      const float *row = xp + (b * hp + oy) * row_stride;
      float *out = y + ((b * g->oh + oy) * g->ow) * g->cout;
      int64_t ox = 0;
      if (vectors == 1) {
        for (; ox + 8 <= g->ow; ox += 8) forward_tile(row + ox * g->cin, fp, g, row_stride, out + ox * g->cout, 8, 1);
        for (; ox + 4 <= g->ow; ox += 4) forward_tile(row + ox * g->cin, fp, g, row_stride, out + ox * g->cout, 4, 1);
        for (; ox < g->ow; ox++) forward_tile(row + ox * g->cin, fp, g, row_stride, out + ox * g->cout, 1, 1);
      } else {
        for (; ox + 6 <= g->ow; ox += 6) forward_tile(row + ox * g->cin, fp, g, row_stride, out + ox * g->cout, 6, 2);
        for (; ox + 3 <= g->ow; ox += 3) forward_tile(row + ox * g->cin, fp, g, row_stride, out + ox * g->cout, 3, 2);
        for (; ox < g->ow; ox++) forward_tile(row + ox * g->cin, fp, g, row_stride, out + ox * g->cout, 1, 2);
      }
    }
}

void rsn_conv2d_direct(const float *restrict x, const float *restrict filter, float *restrict y,
                       float *restrict scratch, const rsn_conv_geometry *g) {
  const int64_t k = g->kh * g->kw * g->cin, lanes = vectors_for(g->cout) * LANES;
  float *fp = scratch, *xp = scratch + k * lanes;
  to_lanes(filter, fp, k, g->cout, lanes);
  for (int64_t b0 = 0; b0 < g->n; b0 += g->chunk) {
    const int64_t count = g->n - b0 < g->chunk ? g->n - b0 : g->chunk;
    pad_images(x, xp, g, b0, count);
    forward_rows(xp, fp, y + b0 * g->oh * g->ow * g->cout, g, count);
  }
}

/* ---- filter gradient ---------------------------------------------------------------------------------------- */

/*
 * The contribution of `rows` output rows to a tile of the filter's entries: `tall` filter rows from ky0 and
 * `wide` consecutive entries (kx, ci) of each from j0. r is the padded image at the first row's patches (row
 * oy + ky0, entry j0 of pixel 0's span), d the lane-padded dy of that output row. The rows' sums run in float,
 * then join the double accumulators acc (at entry (ky0, j0); one row of lanes per entry, span entries per filter
 * row). Only the first `used_rows` filter rows and `used` entries of each are kept: the others read into the next
 * pixel, row or image, or the buffer's slack, and are dropped.
 */
INLINE void filter_tile(const float *restrict r, const float *restrict d, const rsn_conv_geometry *g, int64_t rows,
                        double *restrict acc, int64_t used_rows, int64_t used, const int wide, const int tall,
                        const int vectors) {
  const int64_t row_stride = (g->ow + g->kw - 1) * g->cin, span = g->kw * g->cin;
  v8 sum[MAX_TILE][MAX_VECTORS];
  for (int e = 0; e < tall * wide; e++)
    for (int v = 0; v < vectors; v++) sum[e][v] = (v8){0};
  for (int64_t oy = 0; oy < rows; oy++, r += row_stride, d += g->ow * vectors * LANES)
    for (int64_t ox = 0; ox < g->ow; ox++) {
      v8 dv[MAX_VECTORS];
      for (int v = 0; v < vectors; v++) dv[v] = load8(d + (ox * vectors + v) * LANES);
      for (int t = 0; t < tall; t++)
        for (int j = 0; j < wide; j++)
          for (int v = 0; v < vectors; v++) sum[t * wide + j][v] += dv[v] * r[t * row_stride + ox * g->cin + j];
    }
  for (int64_t t = 0; t < used_rows; t++)
    for (int64_t j = 0; j < used; j++)
      for (int v = 0; v < vectors; v++) {
        float lanes[LANES];
        store8(lanes, sum[t * wide + j][v]);
        double *a = acc + ((t * span + j) * vectors + v) * LANES;
        for (int l = 0; l < LANES; l++) a[l] += lanes[l];
      }
}

/* Output rows whose float sums join the double accumulators at once: about 64 pixels. */
static int64_t rows_per_sum(const rsn_conv_geometry *g) { return g->ow >= 64 ? 1 : (64 + g->ow - 1) / g->ow; }

/* One tile position (filter rows from ky, entries from j0) over every output row of the chunk. */
INLINE void filter_block(const float *restrict xp, const float *restrict dyp, const rsn_conv_geometry *g,
                         int64_t count, int64_t ky, int64_t j0, double *restrict acc, const int wide, const int tall,
                         const int vectors) {
  const int64_t hp = g->oh + g->kh - 1, row_stride = (g->ow + g->kw - 1) * g->cin, span = g->kw * g->cin;
  const int64_t group = rows_per_sum(g), lanes = vectors * LANES;
  const int64_t used_rows = g->kh - ky < tall ? g->kh - ky : tall, used = span - j0 < wide ? span - j0 : wide;
  double *a = acc + (ky * span + j0) * lanes;
  for (int64_t b = 0; b < count; b++)
    for (int64_t oy = 0; oy < g->oh; oy += group) {
      const int64_t rows = g->oh - oy < group ? g->oh - oy : group;
      filter_tile(xp + (b * hp + oy + ky) * row_stride + j0, dyp + ((b * g->oh + oy) * g->ow) * lanes, g, rows, a,
                  used_rows, used, wide, tall, vectors);
    }
}

/*
 * filter_block compiled for each tile shape: `wide` entries of each of `tall` filter rows, as many as the 16 vector
 * registers leave accumulators for (12 vectors of one lane group, 6 of two). A span shorter than a tile is covered
 * whole, several filter rows at once; a longer one in tiles of one row.
 */
#define FILTER_BLOCK(W, V)                                                                                         \
  RSN_HOT static void filter_block_##W##_##V(const float *restrict xp, const float *restrict dyp,                 \
                                             const rsn_conv_geometry *g, int64_t count, int64_t ky, int64_t j0,    \
                                             double *restrict acc) {                                               \
    filter_block(xp, dyp, g, count, ky, j0, acc, W, (V == 1 ? 12 : 6) / W, V);                                     \
  }
FILTER_BLOCK(1, 1) FILTER_BLOCK(2, 1) FILTER_BLOCK(3, 1) FILTER_BLOCK(4, 1) FILTER_BLOCK(5, 1) FILTER_BLOCK(6, 1)
FILTER_BLOCK(7, 1) FILTER_BLOCK(8, 1) FILTER_BLOCK(9, 1) FILTER_BLOCK(10, 1) FILTER_BLOCK(11, 1) FILTER_BLOCK(12, 1)
FILTER_BLOCK(1, 2) FILTER_BLOCK(2, 2) FILTER_BLOCK(3, 2) FILTER_BLOCK(4, 2) FILTER_BLOCK(5, 2) FILTER_BLOCK(6, 2)
#undef FILTER_BLOCK

typedef void (*filter_block_fn)(const float *restrict, const float *restrict, const rsn_conv_geometry *, int64_t,
                                int64_t, int64_t, double *restrict);
static const filter_block_fn FILTER_BLOCKS[2][12] = {
    {filter_block_1_1, filter_block_2_1, filter_block_3_1, filter_block_4_1, filter_block_5_1, filter_block_6_1,
     filter_block_7_1, filter_block_8_1, filter_block_9_1, filter_block_10_1, filter_block_11_1, filter_block_12_1},
    {filter_block_1_2, filter_block_2_2, filter_block_3_2, filter_block_4_2, filter_block_5_2, filter_block_6_2},
};

static void filter_rows(const float *restrict xp, const float *restrict dyp, double *restrict acc,
                        const rsn_conv_geometry *g, int64_t count) {
  const int64_t span = g->kw * g->cin, vectors = vectors_for(g->cout), entries = vectors == 1 ? 12 : 6;
  const int64_t wide = span < entries ? span : entries, tall = entries / wide;
  const filter_block_fn block = FILTER_BLOCKS[vectors - 1][wide - 1];
  for (int64_t ky = 0; ky < g->kh; ky += tall)
    for (int64_t j0 = 0; j0 < span; j0 += wide) block(xp, dyp, g, count, ky, j0, acc);
}

void rsn_conv2d_filter_grad_direct(const float *restrict x, const float *restrict dy, float *restrict dfilter,
                                   float *restrict scratch, const rsn_conv_geometry *g) {
  const int64_t k = g->kh * g->kw * g->cin, lanes = vectors_for(g->cout) * LANES, pixels = g->oh * g->ow;
  double *acc = (double *)(((uintptr_t)scratch + 7) & ~(uintptr_t)7);
  float *xp = scratch + 2 * k * lanes + 2;
  float *dyp = xp + g->chunk * padded_image(g) + filter_slack(g);
  for (int64_t i = 0; i < k * lanes; i++) acc[i] = 0.0;
  for (int64_t b0 = 0; b0 < g->n; b0 += g->chunk) {
    const int64_t count = g->n - b0 < g->chunk ? g->n - b0 : g->chunk;
    pad_images(x, xp, g, b0, count);
    memset(xp + count * padded_image(g), 0, (size_t)filter_slack(g) * sizeof(float));
    to_lanes(dy + b0 * pixels * g->cout, dyp, count * pixels, g->cout, lanes);
    filter_rows(xp, dyp, acc, g, count);
  }
  for (int64_t i = 0; i < k; i++)
    for (int64_t co = 0; co < g->cout; co++) dfilter[i * g->cout + co] = (float)acc[i * lanes + co];
}

/* ---- input gradient ----------------------------------------------------------------------------------------- */

/*
 * A tile of `tile` pixels of dx's row iy for channel ci: dr is the spread dy (zeros around, lanes padded) at the
 * tile's first pixel, row iy; fr the filter rotated half a turn with lanes padded, [kh, kw, cin, lanes].
 */
INLINE void input_tile(const float *restrict dr, const float *restrict fr, const rsn_conv_geometry *g,
                       int64_t row_stride, int64_t ci, float *restrict dx, const int tile, const int vectors) {
  v8 acc[MAX_TILE][MAX_VECTORS];
  for (int q = 0; q < tile; q++)
    for (int v = 0; v < vectors; v++) acc[q][v] = (v8){0};
  for (int64_t ky = 0; ky < g->kh; ky++)
    for (int64_t kx = 0; kx < g->kw; kx++) {
      const float *d = dr + ky * row_stride + kx * vectors * LANES;
      const float *f = fr + ((ky * g->kw + kx) * g->cin + ci) * vectors * LANES;
      v8 fv[MAX_VECTORS];
      for (int v = 0; v < vectors; v++) fv[v] = load8(f + v * LANES);
      for (int q = 0; q < tile; q++)
        for (int v = 0; v < vectors; v++) acc[q][v] += load8(d + (q * vectors + v) * LANES) * fv[v];
    }
  for (int q = 0; q < tile; q++) {
    float lanes[LANES];
    v8 total = acc[q][0];
    for (int v = 1; v < vectors; v++) total += acc[q][v];
    store8(lanes, total);
    dx[q * g->cin + ci] = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
  }
}

RSN_HOT static void input_rows(const float *restrict dyp, const float *restrict fr, float *restrict dx,
                               const rsn_conv_geometry *g, int64_t count) {
  const int64_t vectors = vectors_for(g->cout), lanes = vectors * LANES;
  const int64_t hs = g->h + g->kh - 1, ws = g->w + g->kw - 1, row_stride = ws * lanes;
  for (int64_t b = 0; b < count; b++)
    for (int64_t iy = 0; iy < g->h; iy++) {
      const float *row = dyp + (b * hs + iy) * row_stride;
      float *out = dx + ((b * g->h + iy) * g->w) * g->cin;
      for (int64_t ci = 0; ci < g->cin; ci++) {
        int64_t ix = 0;
        if (vectors == 1) {
          for (; ix + 8 <= g->w; ix += 8) input_tile(row + ix * lanes, fr, g, row_stride, ci, out + ix * g->cin, 8, 1);
          for (; ix + 4 <= g->w; ix += 4) input_tile(row + ix * lanes, fr, g, row_stride, ci, out + ix * g->cin, 4, 1);
          for (; ix < g->w; ix++) input_tile(row + ix * lanes, fr, g, row_stride, ci, out + ix * g->cin, 1, 1);
        } else {
          for (; ix + 6 <= g->w; ix += 6) input_tile(row + ix * lanes, fr, g, row_stride, ci, out + ix * g->cin, 6, 2);
          for (; ix + 3 <= g->w; ix += 3) input_tile(row + ix * lanes, fr, g, row_stride, ci, out + ix * g->cin, 3, 2);
          for (; ix < g->w; ix++) input_tile(row + ix * lanes, fr, g, row_stride, ci, out + ix * g->cin, 1, 2);
        }
      }
    }
}

void rsn_conv2d_input_grad_direct(const float *restrict dy, const float *restrict filter, float *restrict dx,
                                  float *restrict scratch, const rsn_conv_geometry *g) {
  const int64_t lanes = vectors_for(g->cout) * LANES, cout = g->cout;
  const int64_t hs = g->h + g->kh - 1, ws = g->w + g->kw - 1;
  /* dx[iy, ix] = sum over ky, kx of dy[iy + top - ky, ix + left - kx] f[ky, kx]: with dy spread out so that its
   * (oy, ox) sits at (oy + kh - 1 - top, ox + kw - 1 - left), that is the spread dy at (iy + ky', ix + kx') times
   * the filter at (kh - 1 - ky', kw - 1 - kx'). */
  float *fr = scratch, *dyp = scratch + g->kh * g->kw * g->cin * lanes;
  for (int64_t ky = 0; ky < g->kh; ky++)
    for (int64_t kx = 0; kx < g->kw; kx++)
      to_lanes(filter + ((g->kh - 1 - ky) * g->kw + (g->kw - 1 - kx)) * g->cin * cout,
               fr + (ky * g->kw + kx) * g->cin * lanes, g->cin, cout, lanes);
  for (int64_t b0 = 0; b0 < g->n; b0 += g->chunk) {
    const int64_t count = g->n - b0 < g->chunk ? g->n - b0 : g->chunk;
    memset(dyp, 0, (size_t)(count * hs * ws * lanes) * sizeof(float));
    for (int64_t b = 0; b < count; b++)
      for (int64_t oy = 0; oy < g->oh; oy++)
        to_lanes(dy + (((b0 + b) * g->oh + oy) * g->ow) * cout,
                 dyp + ((b * hs + oy + g->kh - 1 - g->top) * ws + g->kw - 1 - g->left) * lanes, g->ow, cout, lanes);
    input_rows(dyp, fr, dx + b0 * g->h * g->w * g->cin, g, count);
  }
}
