/*
 * The direct convolution kernels (conv_direct.c) behind conv.c's dispatch: for layers with few output channels,
 * they read patches in place instead of through im2col's patch matrix. Scratch is laid out by the kernels; its
 * size is a fixed part plus a part per image of a chunk (conv.c, rsn_conv_plan).
 */
#ifndef RSN_CONV_DIRECT_H
#define RSN_CONV_DIRECT_H

#include <stdint.h>

#include "convolution.h"

/* Whether a convolution of this geometry runs on the direct kernels. */
int rsn_conv_direct(const rsn_conv_geometry *g, int kind);
/* Floats of scratch: a fixed part, and a part per image of a chunk. */
int64_t rsn_conv_direct_fixed(const rsn_conv_geometry *g, int kind);
int64_t rsn_conv_direct_image(const rsn_conv_geometry *g, int kind);

void rsn_conv2d_direct(const float *restrict x, const float *restrict filter, float *restrict y,
                       float *restrict scratch, const rsn_conv_geometry *g);
void rsn_conv2d_input_grad_direct(const float *restrict dy, const float *restrict filter, float *restrict dx,
                                  float *restrict scratch, const rsn_conv_geometry *g);
void rsn_conv2d_filter_grad_direct(const float *restrict x, const float *restrict dy, float *restrict dfilter,
                                   float *restrict scratch, const rsn_conv_geometry *g);

#endif
