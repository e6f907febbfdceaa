/*
 * The optional primitives of convolutional networks (core/autodiff/primitives.ts): stride-1 2-D convolution of
 * NHWC images with HWIO filters and its two gradients (conv.c: im2col and the addon's matrix product), and
 * size x size max pooling with stride size and its gradient (pool.c). Semantics are those of the host kernels
 * (core/autodiff/host-kernels/), the specification; every kernel writes every element of its output.
 */
#ifndef RSN_CONVOLUTION_H
#define RSN_CONVOLUTION_H

#include <node_api.h>
#include <stdint.h>

/*
 * The geometry of one convolution: x [n, h, w, cin], filter [kh, kw, cin, cout], output [n, oh, ow, cout], zero
 * padding top rows above and left columns to the left (core/autodiff/shapes.ts, convPadding). The batch is
 * processed `chunk` images at a time (rsn_conv_plan chooses it), so that scratch memory stays bounded whatever
 * the batch and a chunk's buffers stay in cache.
 */
typedef struct {
  int64_t n, h, w, cin, kh, kw, cout, oh, ow, top, left, chunk;
  int onednn; /* rsn_conv_plan chose oneDNN's primitive (conv_onednn.h) */
} rsn_conv_geometry;

enum { RSN_CONV_FORWARD, RSN_CONV_INPUT_GRAD, RSN_CONV_FILTER_GRAD };

/*
 * Chooses how a convolution of this kind runs (oneDNN's primitive where the addon is built on oneDNN and the rule
 * in conv.c says so; else the direct kernels of conv_direct.c for few output channels, im2col and the matrix
 * product otherwise) and its chunk (sets g->chunk and g->onednn); returns the floats of scratch it needs.
 */
int64_t rsn_conv_plan(rsn_conv_geometry *g, int kind);
/* The kernel the plan chose, by name: "onednn", "direct", "matmul" (a 1x1 filter without padding) or "im2col". */
const char *rsn_conv_kernel(const rsn_conv_geometry *g, int kind);

/*
 * The three convolutions, g as rsn_conv_plan left it. Each returns 0, or oneDNN's status when its primitive failed.
 * y [n, oh, ow, cout] = the patches of x times the filter viewed as [kh kw cin, cout].
 */
int rsn_conv2d(const float *restrict x, const float *restrict filter, float *restrict y, float *restrict scratch,
                const rsn_conv_geometry *g);
/* dx [n, h, w, cin]: dy times the filter transposed gives each patch's gradient; each pixel sums the patches that read it. */
int rsn_conv2d_input_grad(const float *restrict dy, const float *restrict filter, float *restrict dx,
                           float *restrict scratch, const rsn_conv_geometry *g);
/* dfilter [kh, kw, cin, cout] = (patches of x)^T dy, chunk by chunk, the chunks' products summed in order. */
int rsn_conv2d_filter_grad(const float *restrict x, const float *restrict dy, float *restrict dfilter,
                            float *restrict scratch, const rsn_conv_geometry *g);

/*
 * Max pooling of x [n, h, w, c] over size x size windows, stride size: out [n, h / size, w / size, c]. A window's
 * winner is its first element (row-major) that equals its maximum, or its first NaN; out is the winner's value.
 */
void rsn_max_pool(const float *restrict x, float *restrict out, int64_t n, int64_t h, int64_t w, int64_t c,
                  int64_t size);
/* dx of x's shape: each window's dy at its winner, zeros elsewhere (rows and columns past the last window included). */
void rsn_max_pool_grad(const float *restrict x, const float *restrict dy, float *restrict dx, int64_t n, int64_t h,
                       int64_t w, int64_t c, int64_t size);

/* Adds conv2d, conv2dInputGrad, conv2dFilterGrad, maxPool and maxPoolGrad to the addon's exports (bindings_convolution.c). */
int rsn_export_convolution(napi_env env, napi_value exports);

#endif
