/*
 * Convolutions on oneDNN's primitives, in builds whose products are on oneDNN (binding.gyp defines RSN_ONEDNN);
 * elsewhere rsn_conv_onednn_available says no and conv.c keeps its own kernels. Which convolutions go to oneDNN is a
 * fixed rule in conv.c (docs/backends-convolution-native.md has the measurements behind it), so a geometry always
 * runs on the same code and, with one thread, the same inputs give the same bits.
 */
#ifndef RSN_CONV_ONEDNN_H
#define RSN_CONV_ONEDNN_H

#include "convolution.h"

/* Whether the addon was built on oneDNN (1) or not (0, and nothing here runs). */
int rsn_conv_onednn_available(void);

/*
 * Runs a convolution on oneDNN, in the addon's layouts (NHWC images, HWIO filters): forward (x, filter) -> y;
 * input gradient (dy, filter) -> dx; filter gradient (x, dy) -> dfilter. Creates the primitive on a thread's
 * first call with a geometry (a small cache per thread). Returns 0, else oneDNN's status (also when it could not
 * create the primitive, which is remembered).
 */
int rsn_conv_onednn_run(int kind, const float *first, const float *second, float *out, const rsn_conv_geometry *g);

#endif
