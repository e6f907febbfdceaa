/**
 * Stride-1 2-D convolution (NHWC images, HWIO filters, 'same' / 'valid' padding) and its two gradients, each
 * one invocation per output element that walks its sum in a fixed order (deterministic bits):
 *   conv2d            y[b,oy,ox,co] = sum over ky, kx, ci of x[b, oy+ky-top, ox+kx-left, ci] w[ky,kx,ci,co]
 *   conv2dInputGrad   dx[b,iy,ix,ci] = sum over ky, kx, co of dy[b, iy-ky+top, ix-kx+left, co] w[ky,kx,ci,co]
 *   conv2dFilterGrad  dw[ky,kx,ci,co] = sum over b, oy, ox of x[b, oy+ky-top, ox+kx-left, ci] dy[b,oy,ox,co]
 * Terms outside the image are skipped (zero padding). The filter gradient has few outputs and long sums (150
 * outputs over 47,040 positions for LeNet-5's first layer), so its positions are split into chunks of CHUNK:
 * one pass writes a partial sum per (chunk, output), a second adds each output's partials in chunk order.
 */
import type { ConvPadding, Shape } from '../../../core/autodiff/primitives.js';
import { convPadding, sizeOf } from '../../../core/autodiff/shapes.js';
import { elementGroups, perElement } from '../shaders.js';
import type { Info, KernelContext, WebgpuHandle } from './context.js';

/** Positions of one partial sum of the filter gradient. */
export const FILTER_GRAD_CHUNK = 256;

type Dims4 = readonly [number, number, number, number];

/**
 * The parameter words every convolution program reads: p(0) the invocations, then the geometry.
 * p(1..4) n, h, w, c_in; p(5..7) kh, kw, c_out; p(8..9) oh, ow; p(10..11) top, left.
 */
function geometry(x: Shape, filter: Shape, y: Shape, padding: ConvPadding): number[] {
  const [n, h, w, cIn] = x as Dims4;
  const [kh, kw, , cOut] = filter as Dims4;
  const [, oh, ow] = y as Dims4;
  return [n, h, w, cIn, kh, kw, cOut, oh, ow, convPadding(kh, padding)[0], convPadding(kw, padding)[0]];
}

const GEOMETRY_WGSL = /* wgsl */ `
fn N() -> u32 { return p(1u); }
fn H() -> u32 { return p(2u); }
fn W() -> u32 { return p(3u); }
fn CIN() -> u32 { return p(4u); }
fn KH() -> u32 { return p(5u); }
fn KW() -> u32 { return p(6u); }
fn COUT() -> u32 { return p(7u); }
fn OH() -> u32 { return p(8u); }
fn OW() -> u32 { return p(9u); }
fn TOP() -> i32 { return i32(p(10u)); }
fn LEFT() -> i32 { return i32(p(11u)); }
`;

/** Three bindings (two inputs, one output) named as the formulas above name them. */
const bindings = (a: string, b: string, out: string): string => /* wgsl */ `
@group(0) @binding(1) var<storage, read> ${a}: array<f32>;
@group(0) @binding(2) var<storage, read> ${b}: array<f32>;
@group(0) @binding(3) var<storage, read_write> ${out}: array<f32>;
`;

const FORWARD = bindings('x', 'w', 'y') + perElement(/* wgsl */ `
  let co = i % COUT();
  let pix = i / COUT();
  let ox = pix % OW();
  let oy = (pix / OW()) % OH();
  let b = pix / (OW() * OH());
  var acc = 0.0;
  for (var ky = 0u; ky < KH(); ky++) {
    let iy = i32(oy + ky) - TOP();
    if (iy < 0 || iy >= i32(H())) { continue; }
    for (var kx = 0u; kx < KW(); kx++) {
      let ix = i32(ox + kx) - LEFT();
      if (ix < 0 || ix >= i32(W())) { continue; }
      let xBase = ((b * H() + u32(iy)) * W() + u32(ix)) * CIN();
      let wBase = (ky * KW() + kx) * CIN() * COUT() + co;
      for (var ci = 0u; ci < CIN(); ci++) { acc = acc + x[xBase + ci] * w[wBase + ci * COUT()]; }
    }
  }
  y[i] = acc;`);

const INPUT_GRAD = bindings('dy', 'w', 'dx') + perElement(/* wgsl */ `
  let ci = i % CIN();
  let pix = i / CIN();
  let ix = pix % W();
  let iy = (pix / W()) % H();
  let b = pix / (W() * H());
  var acc = 0.0;
  for (var ky = 0u; ky < KH(); ky++) {
    let oy = i32(iy) - i32(ky) + TOP();
    if (oy < 0 || oy >= i32(OH())) { continue; }
    for (var kx = 0u; kx < KW(); kx++) {
      let ox = i32(ix) - i32(kx) + LEFT();
      if (ox < 0 || ox >= i32(OW())) { continue; }
      let dBase = ((b * OH() + u32(oy)) * OW() + u32(ox)) * COUT();
      let wBase = ((ky * KW() + kx) * CIN() + ci) * COUT();
      for (var co = 0u; co < COUT(); co++) { acc = acc + dy[dBase + co] * w[wBase + co]; }
    }
  }
  dx[i] = acc;`);

/** Partial sums: invocation i is output k = i % K of chunk s = i / K, over positions [s * p(12), (s + 1) * p(12)). */
const FILTER_GRAD_PARTIALS = bindings('x', 'dy', 'partial') + perElement(/* wgsl */ `
  let outputs = KH() * KW() * CIN() * COUT();
  let k = i % outputs;
  let s = i / outputs;
  let co = k % COUT();
  let ci = (k / COUT()) % CIN();
  let kx = (k / (COUT() * CIN())) % KW();
  let ky = k / (COUT() * CIN() * KW());
  let positions = N() * OH() * OW();
  let end = min((s + 1u) * p(12u), positions);
  var acc = 0.0;
  for (var q = s * p(12u); q < end; q++) {
    let ox = q % OW();
    let oy = (q / OW()) % OH();
    let b = q / (OW() * OH());
    let iy = i32(oy + ky) - TOP();
    let ix = i32(ox + kx) - LEFT();
    if (iy < 0 || iy >= i32(H()) || ix < 0 || ix >= i32(W())) { continue; }
    acc = acc + x[((b * H() + u32(iy)) * W() + u32(ix)) * CIN() + ci] * dy[q * COUT() + co];
  }
  partial[i] = acc;`);

/** out[k] = sum over s < p(2) of partial[s * p(1) + k], in chunk order. */
const SUM_PARTIALS = /* wgsl */ `
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
${perElement(`  var acc = 0.0;
  for (var s = 0u; s < p(2u); s++) { acc = acc + partial[s * p(1u) + i]; }
  out[i] = acc;`)}`;

function dispatch(ctx: KernelContext, key: string, body: string, inputs: readonly WebgpuHandle[], out: WebgpuHandle, words: number[], invocations: number): void {
  const program = ctx.programs.get(`conv:${key}`, inputs.length, () => (inputs.length === 2 ? GEOMETRY_WGSL : '') + body);
  ctx.queue.dispatch(program, [...inputs.map((h) => h.buffer), out.buffer], [invocations, ...words], elementGroups(invocations));
}

export function conv2d(ctx: KernelContext, [x, w]: readonly Info[], padding: ConvPadding, outShape: Shape): WebgpuHandle {
  const out = ctx.output(sizeOf(outShape));
  dispatch(ctx, 'forward', FORWARD, [x!.handle, w!.handle], out, geometry(x!.shape, w!.shape, outShape, padding), out.length);
  return out;
}

export function conv2dInputGrad(ctx: KernelContext, [dy, w]: readonly Info[], padding: ConvPadding, inputShape: Shape): WebgpuHandle {
  const out = ctx.output(sizeOf(inputShape));
  dispatch(ctx, 'inputGrad', INPUT_GRAD, [dy!.handle, w!.handle], out, geometry(inputShape, w!.shape, dy!.shape, padding), out.length);
  return out;
}

export function conv2dFilterGrad(ctx: KernelContext, [x, dy]: readonly Info[], padding: ConvPadding, filterShape: Shape): WebgpuHandle {
  const outputs = sizeOf(filterShape);
  const out = ctx.output(outputs);
  const [n, oh, ow] = dy!.shape as Dims4;
  const chunks = Math.max(1, Math.ceil((n * oh * ow) / FILTER_GRAD_CHUNK));
  const words = [...geometry(x!.shape, filterShape, dy!.shape, padding), FILTER_GRAD_CHUNK];
  if (chunks === 1) {
    dispatch(ctx, 'filterGrad', FILTER_GRAD_PARTIALS, [x!.handle, dy!.handle], out, words, outputs);
    return out;
  }
  const partial = ctx.output(chunks * outputs);
  dispatch(ctx, 'filterGrad', FILTER_GRAD_PARTIALS, [x!.handle, dy!.handle], partial, words, chunks * outputs);
  dispatch(ctx, 'sumPartials', SUM_PARTIALS, [partial], out, [outputs, chunks], outputs);
  ctx.release(partial);
  return out;
}
