/*
 * Max pooling and its gradient (convolution.h), as the host kernels define them
 * (core/autodiff/host-kernels/max-pool.ts). An element takes over a window when it is greater than the current
 * best, or is NaN while the best is not, so the first maximum (row-major within the window) wins ties and the
 * first NaN wins over everything after it.
 *
 * The channels of a window (contiguous in NHWC) are processed 8 at a time as one vector, with the rule as
 * compares and a blend: data-dependent branches (which the compiler makes of the scalar rule) mispredict on
 * almost every element, and a channel loop of a few iterations does not vectorise. A group of fewer than 8
 * channels reads past its last channel (into the next pixel) and ignores those lanes; only a window so close to
 * the end of x that this would read past it takes the scalar rule.
 */
#include <string.h>

#include "convolution.h"
#include "kernels.h"

typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
/* The helpers below are always inlined: no 32-byte vector crosses a call in the portable (pre-AVX) build. */
#pragma GCC diagnostic ignored "-Wpsabi"

#define INLINE static inline __attribute__((always_inline))

INLINE v8f load8(const float *p) {
  v8f v;
  memcpy(&v, p, sizeof v);
  return v;
}

/* Lanes where v takes over best: all ones, else zeros. */
INLINE v8i takes_over8(v8f v, v8f best) { return (v > best) | ((v != v) & (best == best)); }
INLINE int takes_over(float v, float best) { return (v > best) | ((v != v) & (best == best)); }

INLINE void store8(float *p, v8f v) { memcpy(p, &v, sizeof v); }

/*
 * The winners of one window for channels [c0, c0 + lanes) (lanes <= 8): their values in best, their offsets from
 * the window's corner ((dy w + dx) c) in at. `corner` is the window's first element in x, channel c0; `vector`
 * says whether 8 floats may be read from each of the window's pixels there.
 */
INLINE void window(const float *restrict corner, int64_t w, int64_t c, int64_t size, int64_t lanes, int vector,
                   v8f *restrict best, v8i *restrict at) {
  if (vector) {
    v8f b = load8(corner);
    v8i a = (v8i){0};
    for (int64_t wy = 0; wy < size; wy++)
      for (int64_t wx = wy == 0 ? 1 : 0; wx < size; wx++) {
        const int32_t offset = (int32_t)((wy * w + wx) * c);
        const v8f v = load8(corner + offset);
        const v8i m = takes_over8(v, b);
        b = (v8f)(((v8i)v & m) | ((v8i)b & ~m));
        a = (m & ((v8i){0} + offset)) | (a & ~m);
      }
    *best = b;
    *at = a;
    return;
  }
  for (int64_t k = 0; k < lanes; k++) {
    float b = corner[k];
    int32_t a = 0;
    for (int64_t wy = 0; wy < size; wy++)
      for (int64_t wx = wy == 0 ? 1 : 0; wx < size; wx++) {
        const int32_t offset = (int32_t)((wy * w + wx) * c);
        if (takes_over(corner[offset + k], b)) {
          b = corner[offset + k];
          a = offset;
        }
      }
    (*best)[k] = b;
    (*at)[k] = a;
  }
}

/*
 * Runs visit(o, corner, lanes, best, at) for each window and group of up to 8 channels: o its first index in the
 * pooled output, corner in x, best and at its winners (window()).
 */
#define FOR_EACH_WINDOW(visit)                                                                                     \
  do {                                                                                                             \
    const int64_t oh = h / size, ow = w / size, total = n * h * w * c;                                            \
    for (int64_t b = 0; b < n; b++)                                                                                \
      for (int64_t oy = 0; oy < oh; oy++)                                                                          \
        for (int64_t ox = 0; ox < ow; ox++)                                                                        \
          for (int64_t c0 = 0; c0 < c; c0 += 8) {                                                                  \
            const int64_t lanes = c - c0 < 8 ? c - c0 : 8;                                                         \
            const int64_t corner = ((b * h + oy * size) * w + ox * size) * c + c0;                                 \
            const int vector = corner + ((size - 1) * w + size - 1) * c + 8 <= total;                              \
            v8f best;                                                                                              \
            v8i at;                                                                                                \
            window(x + corner, w, c, size, lanes, vector, &best, &at);                                             \
            visit(((b * oh + oy) * ow + ox) * c + c0, corner, lanes, best, at);                                    \
          }                                                                                                        \
  } while (0)

RSN_HOT void rsn_max_pool(const float *restrict x, float *restrict out, int64_t n, int64_t h, int64_t w, int64_t c,
                          int64_t size) {
#define WRITE(o, corner, lanes, best, at)                                                                          \
  if ((lanes) == 8) store8(out + (o), best);                                                                       \
  else for (int64_t k = 0; k < (lanes); k++) out[(o) + k] = (best)[k]
  FOR_EACH_WINDOW(WRITE);
#undef WRITE
}

/*
 * dx: each window's dy at its winner, zeros elsewhere. A group of 8 channels writes its whole window (dy where
 * the winner is, else zeros); a smaller group writes its winners into zeros laid beforehand, as do the rows and
 * columns past the last whole window.
 */
RSN_HOT void rsn_max_pool_grad(const float *restrict x, const float *restrict dy, float *restrict dx, int64_t n,
                               int64_t h, int64_t w, int64_t c, int64_t size) {
  if (c % 8 != 0 || h % size != 0 || w % size != 0) memset(dx, 0, (size_t)(n * h * w * c) * sizeof(float));
#define ROUTE(o, corner, lanes, best, at)                                                                          \
  if ((lanes) == 8) {                                                                                              \
    const v8f g = load8(dy + (o));                                                                                 \
    for (int64_t wy = 0; wy < size; wy++)                                                                          \
      for (int64_t wx = 0; wx < size; wx++) {                                                                      \
        const int32_t offset = (int32_t)((wy * w + wx) * c);                                                       \
        store8(dx + (corner) + offset, (v8f)((v8i)g & ((at) == offset)));                                          \
      }                                                                                                            \
  } else {                                                                                                         \
    for (int64_t k = 0; k < (lanes); k++) dx[(corner) + (at)[k] + k] = dy[(o) + k];                                \
  }
  FOR_EACH_WINDOW(ROUTE);
#undef ROUTE
}
