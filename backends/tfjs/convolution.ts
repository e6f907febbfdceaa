/**
 * The optional primitives on tfjs-wasm, from its Conv2D (XNNPACK) and a few layout kernels. Every formula is
 * checked against the reference (the conformance suite, test/backends/wasm-convolution.test.ts) and timed
 * against tfjs-wasm's dedicated kernels on LeNet-5's layers (npm run bench:conv; docs/backends-convolution.md):
 *   conv2d            Conv2D.
 *   conv2dInputGrad   Conv2D of dy with the filter reversed in space and its channel axes swapped, padded by
 *                     kh - 1 - top above and kh - 1 - bottom below (likewise left and right): 2-5x less CPU time
 *                     than tfjs-wasm's Conv2DBackpropInput, a plain loop.
 *   conv2dFilterGrad  Conv2D of x as [c_in, h, w, n] with dy as the filter [oh, ow, n, c_out], padded as the
 *                     forward pass is, giving [c_in, kh, kw, c_out]: tfjs-wasm has no Conv2DBackpropFilter, and this
 *                     takes 3-12x less CPU time than its Conv3DBackpropFilterV2 on a depth-1 volume.
 *   maxPool           MaxPool, which loses NaN (a window [1, NaN, 2, 3] gives 3, [NaN, 1, 2, 3] gives -Infinity),
 *                     minus a depthwise convolution of step(x) (0, 1 or NaN) with a filter of zeros, size x size
 *                     with stride size: NaN for a window holding NaN, +0 for any other (AvgPool would not do:
 *                     it too turns NaN into -Infinity), so that such a window gives NaN as the reference's does,
 *                     and y - (+0) keeps every other y's bits.
 * maxPoolGrad is left to the core's host kernel: tfjs-wasm's MaxPoolGrad routes a tie to the LAST maximum and
 * loses the gradient of every channel but the first when there are several.
 * These are kernels every tfjs backend registers, but only the wasm adapter uses them (TfjsAdapterOptions.
 * convolution): tfjs-node could not be installed where they were checked, so the cuda and tfnode adapters leave
 * all five primitives to the host kernels until test/backends/conformance-tfnode.test.ts has run them.
 */
import type { Tensor as TfTensor } from '@tensorflow/tfjs-core';
import type { ConvPadding, OptionalPrimitive } from '../../core/autodiff/primitives.js';
import { convPadding } from '../../core/autodiff/shapes.js';
import type { Kernel } from '../../core/autodiff/backend.js';
import { withTemps } from './kernels.js';
import type { RunKernel } from './types.js';

/** The optional primitives this module gives kernels for. */
export type TfjsConvolutionPrimitive = Exclude<OptionalPrimitive, 'maxPoolGrad'>;
export type TfjsConvolutionKernels = { [P in TfjsConvolutionPrimitive]: Kernel<P, TfTensor> };

type Dims4 = readonly [number, number, number, number];
/** Explicit [before, after] padding of tfjs' Conv2D for the batch, height, width and channel axes. */
type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];

export function tfjsConvolutionKernels(kernel: RunKernel): TfjsConvolutionKernels {
  const conv = (x: TfTensor, filter: TfTensor, pad: ConvPadding | ExplicitPadding): TfTensor =>
    kernel('Conv2D', { x, filter }, { strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [1, 1] });

  return {
    conv2d: ([x, filter], { padding }) => conv(x!.handle, filter!.handle, padding),

    conv2dInputGrad: ([dy, filter], { padding }) => {
      const [kh, kw] = filter!.shape as Dims4;
      const [top, bottom] = convPadding(kh, padding);
      const [left, right] = convPadding(kw, padding);
      return withTemps((temp) => {
        const reversed = temp(kernel('Reverse', { x: filter!.handle }, { dims: [0, 1] }));
        const swapped = temp(kernel('Transpose', { x: reversed }, { perm: [0, 1, 3, 2] }));
        return conv(dy!.handle, swapped, [[0, 0], [kh - 1 - top, kh - 1 - bottom], [kw - 1 - left, kw - 1 - right], [0, 0]]);
      });
    },

    conv2dFilterGrad: ([x, dy], { padding, filterShape }) => {
      const [kh, kw] = filterShape as Dims4;
      return withTemps((temp) => {
        const images = temp(kernel('Transpose', { x: x!.handle }, { perm: [3, 1, 2, 0] }));
        const filter = temp(kernel('Transpose', { x: dy!.handle }, { perm: [1, 2, 0, 3] }));
        const pad: ExplicitPadding = [[0, 0], convPadding(kh, padding), convPadding(kw, padding), [0, 0]];
        const perChannel = temp(conv(images, filter, pad));
        return kernel('Transpose', { x: perChannel }, { perm: [1, 2, 0, 3] });
      });
    },

    maxPool: ([x], { size }) =>
      withTemps((temp) => {
        const strides = [size, size];
        const max = temp(kernel('MaxPool', { x: x!.handle }, { filterSize: strides, strides, pad: 'valid' }));
        const stepped = temp(kernel('Step', { x: x!.handle }, { alpha: 0 }));
        const zeros = temp(kernel('Fill', {}, { shape: [size, size, x!.shape[3]!, 1], value: 0, dtype: 'float32' }));
        const windowNan = temp(kernel('DepthwiseConv2dNative', { x: stepped, filter: zeros }, { strides, pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] }));
        return kernel('Sub', { a: max, b: windowNan });
      }),
  };
}
