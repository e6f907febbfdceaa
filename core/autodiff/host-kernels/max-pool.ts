/** Max pooling over size x size windows with stride size, and its gradient, on NHWC images. */
import { like, type HostKernel } from './types.js';

type Dims4 = [number, number, number, number];

/**
 * For each window and channel, the offset in x of the element that carries the window: the first (row-major
 * within the window) equal to its maximum, or the first NaN. maxPool reads it, maxPoolGrad routes dy to it.
 */
function winners(shape: Dims4, size: number, xs: ArrayLike<number>, visit: (out: number, at: number) => void): void {
  const [n, h, w, c] = shape;
  const [oh, ow] = [Math.floor(h / size), Math.floor(w / size)];
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let ch = 0; ch < c; ch++) {
          let at = -1;
          let best = -Infinity;
          for (let dy = 0; dy < size && !Number.isNaN(best); dy++) {
            for (let dx = 0; dx < size; dx++) {
              const i = ((b * h + oy * size + dy) * w + ox * size + dx) * c + ch;
              const v = xs[i]!;
              if (at < 0 || v > best || Number.isNaN(v)) {
                at = i;
                best = v;
                if (Number.isNaN(v)) break;
              }
            }
          }
          visit(((b * oh + oy) * ow + ox) * c + ch, at);
        }
      }
    }
  }
}

export const maxPool: HostKernel<'maxPool'> = ([x], { size }, outShape) => {
  const out = like(x!.values, outShape.reduce((a, b) => a * b, 1));
  winners(x!.shape as Dims4, size, x!.values, (o, at) => (out[o] = x!.values[at]!));
  return out;
};

export const maxPoolGrad: HostKernel<'maxPoolGrad'> = ([x, dy], { size }) => {
  const dx = like(dy!.values, x!.values.length);
  winners(x!.shape as Dims4, size, x!.values, (o, at) => (dx[at] = dy!.values[o]!));
  return dx;
};
