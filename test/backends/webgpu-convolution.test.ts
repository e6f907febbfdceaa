/**
 * The webgpu backend's convolution and pooling kernels beyond the conformance suite's small cases: LeNet-5's
 * layer shapes (long sums, and the filter gradient's two-pass chunked sum with whole and partial chunks)
 * against the reference within float32's worst-case summation error, pooling on NaN, signed zeros and
 * infinities bit for bit, repeatable bits, and the engine's BackendError when the kernels are taken away.
 * On Mesa's llvmpipe where there is no GPU (RSN_WEBGPU_SOFTWARE=1, set here); skipped with the reason where no
 * adapter exists, a failure then under RSN_REQUIRE_WEBGPU=1.
 */
import { describe, expect, it } from 'vitest';
import { withoutOptionalPrimitives } from '../../core/autodiff/backend.js';
import { fromHost, setActiveBackend } from '../../core/autodiff/engine.js';
import * as op from '../../core/autodiff/ops.js';
import type { ConvPadding, Shape } from '../../core/autodiff/primitives.js';
import { sizeOf } from '../../core/autodiff/shapes.js';
import type { Tensor } from '../../core/autodiff/tensor.js';
import { BackendError } from '../../core/errors.js';
import { Rng } from '../../core/nn/rng.js';
import { SOFTWARE_ENV } from '../../backends/webgpu/device.js';
import { FILTER_GRAD_CHUNK } from '../../backends/webgpu/kernels/convolution.js';
import { expectWithinSummationError, runOn, specialImage, type HostInput } from './convolution-checks.js';
import { expectIdentical, oracle, requireWebgpuUnderCi, tryLoad } from './support.js';

process.env[SOFTWARE_ENV] ??= '1';
const loaded = await tryLoad('webgpu');

requireWebgpuUnderCi(loaded, 'webgpu-convolution');

describe.skipIf(!loaded.backend)('webgpu convolution and pooling kernels', () => {
  const gpu = loaded.backend!;
  const reference = oracle();
  const rng = new Rng(2718);
  const random = (shape: Shape): HostInput => ({ values: rng.uniformArray(sizeOf(shape), -2, 2), shape });

  const within = (inputs: readonly HostInput[], terms: number, fn: (...xs: Tensor[]) => Tensor) =>
    expectWithinSummationError(gpu, reference, inputs, terms, fn);

  const lenetLayers: [string, Shape, Shape, ConvPadding][] = [
    ["LeNet-5's first layer, batch 4", [4, 28, 28, 1], [5, 5, 1, 6], 'same'],
    ["LeNet-5's second layer, batch 4", [4, 14, 14, 6], [5, 5, 6, 16], 'valid'],
    ['positions a whole number of chunks', [2, 16, 16, 3], [3, 3, 3, 2], 'same'],
  ];

  describe.each(lenetLayers)('%s', (_, xs, ws, padding) => {
    const [n, h, w, cIn] = xs as [number, number, number, number];
    const [kh, kw, , cOut] = ws as [number, number, number, number];
    const [oh, ow] = padding === 'same' ? [h, w] : [h - kh + 1, w - kw + 1];
    const ys = [n, oh, ow, cOut];
    const [x, filter, dy] = [random(xs), random(ws), random(ys)];

    it('conv2d', () => within([x, filter], kh * kw * cIn, (a, b) => op.conv2d(a!, b!, padding)));
    it('conv2dInputGrad', () => within([dy, filter], kh * kw * cOut, (g, b) => op.conv2dInputGrad(g!, b!, padding, xs)));
    it(`conv2dFilterGrad (${Math.ceil((n * oh * ow) / FILTER_GRAD_CHUNK)} chunks of ${FILTER_GRAD_CHUNK} positions)`, () =>
      within([x, dy], n * oh * ow, (a, g) => op.conv2dFilterGrad(a!, g!, padding, ws)));
  });

  it('the chunked filter gradient gives the same bits twice', async () => {
    const [x, dy] = [random([3, 20, 20, 2]), random([3, 20, 20, 4])];
    const run = () => runOn(gpu, [x, dy], (a, g) => op.conv2dFilterGrad(a!, g!, 'same', [5, 5, 2, 4]));
    expectIdentical(await run(), await run(), 'second run');
  });

  it.each([2, 3])('maxPool and its gradient of size %i agree bit for bit on NaN, signed zeros and infinities', async (size) => {
    const x = specialImage(rng, [3, 7, 8, 3]);
    const dy = random([3, Math.floor(7 / size), Math.floor(8 / size), 3]);
    expectIdentical(await runOn(gpu, [x], (t) => op.maxPool(t!, size)), await runOn(reference, [x], (t) => op.maxPool(t!, size)), 'maxPool');
    const routed = (t: Tensor, g: Tensor) => op.maxPoolGrad(t, g, size);
    expectIdentical(await runOn(gpu, [x, dy], routed), await runOn(reference, [x, dy], routed), 'maxPoolGrad');
  });

  it('without its kernels, stops at the first convolution with the engine\'s BackendError (its reads are asynchronous)', () => {
    setActiveBackend(withoutOptionalPrimitives(gpu));
    const x = fromHost(new Float32Array(16), [1, 4, 4, 1]);
    try {
      expect(() => op.maxPool(x, 2)).toThrow(BackendError);
      expect(() => op.maxPool(x, 2)).toThrow(/no kernel of the optional primitive 'maxPool'/);
    } finally {
      x.dispose();
    }
  });
});
