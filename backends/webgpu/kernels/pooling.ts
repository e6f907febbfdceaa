/**
 * Max pooling over size x size windows with stride size (NHWC), and its gradient, on the bits of the values
 * (shaders.ts: IEEE comparisons through integer keys), so both are exact. A window is carried by its first
 * element (row-major within the window) equal to its maximum, or by its first NaN: maxPool returns that
 * element, and maxPoolGrad gives it the window's gradient. maxPoolGrad runs one invocation per element of x,
 * which finds its window's carrier and takes dy when that is itself (a gather: no two invocations write one
 * element, so no atomics and no order to fix); elements past the last whole window get 0.
 */
import type { Shape } from '../../../core/autodiff/primitives.js';
import { sizeOf } from '../../../core/autodiff/shapes.js';
import { FLOAT_BITS_WGSL, elementGroups, perElement } from '../shaders.js';
import type { Info, KernelContext, WebgpuHandle } from './context.js';

/** p(1..4) n, h, w, c; p(5) size; p(6..7) oh, ow. carrier() gives the x offset that carries window (b, oy, ox, ch). */
const CARRIER_WGSL = /* wgsl */ `
fn carrier(b: u32, oy: u32, ox: u32, ch: u32) -> u32 {
  let w = p(3u);
  let c = p(4u);
  let size = p(5u);
  let base = ((b * p(2u) + oy * size) * w + ox * size) * c + ch;
  var at = base;
  var best = x[base];
  for (var wy = 0u; wy < size; wy++) {
    for (var wx = 0u; wx < size; wx++) {
      let i = base + (wy * w + wx) * c;
      let v = x[i];
      if (!is_nan(best) && (gt(v, best) || is_nan(v))) {
        at = i;
        best = v;
      }
    }
  }
  return at;
}
`;

const MAX_POOL = /* wgsl */ `
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<u32>;
${CARRIER_WGSL}
${perElement(`  let ch = i % p(4u);
  let pix = i / p(4u);
  let ox = pix % p(7u);
  let oy = (pix / p(7u)) % p(6u);
  let b = pix / (p(7u) * p(6u));
  y[i] = x[carrier(b, oy, ox, ch)];`)}`;

const MAX_POOL_GRAD = /* wgsl */ `
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read> dy: array<u32>;
@group(0) @binding(3) var<storage, read_write> dx: array<u32>;
${CARRIER_WGSL}
${perElement(`  let ch = i % p(4u);
  let pix = i / p(4u);
  let ix = pix % p(3u);
  let iy = (pix / p(3u)) % p(2u);
  let b = pix / (p(3u) * p(2u));
  let oy = iy / p(5u);
  let ox = ix / p(5u);
  var g = 0u;
  if (oy < p(6u) && ox < p(7u) && carrier(b, oy, ox, ch) == i) { g = dy[((b * p(6u) + oy) * p(7u) + ox) * p(4u) + ch]; }
  dx[i] = g;`)}`;

function words(x: Shape, size: number, invocations: number): number[] {
  const [n, h, w, c] = x as [number, number, number, number];
  return [invocations, n, h, w, c, size, Math.floor(h / size), Math.floor(w / size)];
}

export function maxPool(ctx: KernelContext, x: Info, size: number, outShape: Shape): WebgpuHandle {
  const out = ctx.output(sizeOf(outShape));
  const program = ctx.programs.get('pool:max', 1, () => FLOAT_BITS_WGSL + MAX_POOL);
  ctx.queue.dispatch(program, [x.handle.buffer, out.buffer], words(x.shape, size, out.length), elementGroups(out.length));
  return out;
}

export function maxPoolGrad(ctx: KernelContext, [x, dy]: readonly Info[], size: number): WebgpuHandle {
  const out = ctx.output(x!.handle.length);
  const program = ctx.programs.get('pool:maxGrad', 2, () => FLOAT_BITS_WGSL + MAX_POOL_GRAD);
  ctx.queue.dispatch(program, [x!.handle.buffer, dy!.handle.buffer, out.buffer], words(x!.shape, size, out.length), elementGroups(out.length));
  return out;
}
