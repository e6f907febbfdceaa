/** Stride-1 2-D convolution (cross-correlation) and its two gradients on the host, NHWC images and HWIO filters. */
import { convPadding } from '../shapes.js';
import { like, type HostKernel } from './types.js';

type Dims4 = [number, number, number, number];

/** y[n, oy, ox, co] = sum over ky, kx, ci of x[n, oy + ky - top, ox + kx - left, ci] * w[ky, kx, ci, co]. */
export const conv2d: HostKernel<'conv2d'> = ([x, w], { padding }, outShape) => {
  const [n, h, wd, cIn] = x!.shape as Dims4;
  const [kh, kw, , cOut] = w!.shape as Dims4;
  const [, oh, ow] = outShape as Dims4;
  const [top] = convPadding(kh, padding);
  const [left] = convPadding(kw, padding);
  const xs = x!.values;
  const ws = w!.values;
  const out = like(xs, n * oh * ow * cOut);
  const acc = new Float64Array(cOut);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        acc.fill(0);
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy + ky - top;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox + kx - left;
            if (ix < 0 || ix >= wd) continue;
            const xBase = ((b * h + iy) * wd + ix) * cIn;
            const wBase = (ky * kw + kx) * cIn * cOut;
            for (let ci = 0; ci < cIn; ci++) {
              const v = xs[xBase + ci]!;
              const row = wBase + ci * cOut;
              for (let co = 0; co < cOut; co++) acc[co]! += v * ws[row + co]!;
            }
          }
        }
        out.set(acc, ((b * oh + oy) * ow + ox) * cOut);
      }
    }
  }
  return out;
};

/** dx[n, iy, ix, ci] = sum over the outputs that read x[n, iy, ix, ci] of dy * the filter weight that read it. */
export const conv2dInputGrad: HostKernel<'conv2dInputGrad'> = ([dy, w], { padding, inputShape }) => {
  const [n, h, wd, cIn] = inputShape as Dims4;
  const [kh, kw, , cOut] = w!.shape as Dims4;
  const [, oh, ow] = dy!.shape as Dims4;
  const [top] = convPadding(kh, padding);
  const [left] = convPadding(kw, padding);
  const ds = dy!.values;
  const ws = w!.values;
  const out = like(ds, n * h * wd * cIn);
  const acc = new Float64Array(cIn);
  for (let b = 0; b < n; b++) {
    for (let iy = 0; iy < h; iy++) {
      for (let ix = 0; ix < wd; ix++) {
        acc.fill(0);
        for (let ky = 0; ky < kh; ky++) {
          const oy = iy - ky + top;
          if (oy < 0 || oy >= oh) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ox = ix - kx + left;
            if (ox < 0 || ox >= ow) continue;
            const dBase = ((b * oh + oy) * ow + ox) * cOut;
            const wBase = (ky * kw + kx) * cIn * cOut;
            for (let ci = 0; ci < cIn; ci++) {
              const row = wBase + ci * cOut;
              let s = 0;
              for (let co = 0; co < cOut; co++) s += ds[dBase + co]! * ws[row + co]!;
              acc[ci]! += s;
            }
          }
        }
        out.set(acc, ((b * h + iy) * wd + ix) * cIn);
      }
    }
  }
  return out;
};

/** dw[ky, kx, ci, co] = sum over n, oy, ox of x[n, oy + ky - top, ox + kx - left, ci] * dy[n, oy, ox, co]. */
export const conv2dFilterGrad: HostKernel<'conv2dFilterGrad'> = ([x, dy], { padding, filterShape }) => {
  const [n, h, wd, cIn] = x!.shape as Dims4;
  const [kh, kw, , cOut] = filterShape as Dims4;
  const [, oh, ow] = dy!.shape as Dims4;
  const [top] = convPadding(kh, padding);
  const [left] = convPadding(kw, padding);
  const xs = x!.values;
  const ds = dy!.values;
  const acc = new Float64Array(kh * kw * cIn * cOut);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const dBase = ((b * oh + oy) * ow + ox) * cOut;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy + ky - top;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox + kx - left;
            if (ix < 0 || ix >= wd) continue;
            const xBase = ((b * h + iy) * wd + ix) * cIn;
            const wBase = (ky * kw + kx) * cIn * cOut;
            for (let ci = 0; ci < cIn; ci++) {
              const v = xs[xBase + ci]!;
              const row = wBase + ci * cOut;
              for (let co = 0; co < cOut; co++) acc[row + co]! += v * ds[dBase + co]!;
            }
          }
        }
      }
    }
  }
  const out = like(xs, acc.length);
  out.set(acc);
  return out;
};
