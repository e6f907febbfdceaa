/**
 * The convolution and pooling bindings check every size before their kernels run (native/src/bindings_convolution.c):
 * a wrong call throws a RangeError instead of reading or writing out of bounds.
 */
import { describe, expect, it } from 'vitest';
import { CONV_KINDS, convGeometry } from '../../../backends/native/conv.js';
import type { NativeAddon } from '../../../backends/native/addon.js';
import { native, suiteTitle } from './support.js';

const load = async (): Promise<NativeAddon> => (await import('../../../backends/native/addon.js')).loadAddon();

describe.skipIf(!native.backend)(suiteTitle('convolution bindings'), () => {
  const x = new Float32Array(2 * 6 * 6 * 3);
  const out = new Float32Array(2 * 6 * 6 * 4);
  // 4 output channels: the direct kernels; 20: im2col and the matrix product.
  const cases = [4, 20].map((cout) => ({ cout, filter: new Float32Array(3 * 3 * 3 * cout), geometry: convGeometry([2, 6, 6, 3], [3, 3, 3, cout], 'same') }));

  it('run with buffers of the sizes convPlan gives', async () => {
    const addon = await load();
    for (const { cout, filter, geometry } of cases) {
      const y = new Float32Array(2 * 6 * 6 * cout);
      const scratch = (kind: number) => new Float32Array(addon.convPlan(kind, geometry).scratch);
      expect(() => addon.conv2d(x, filter, y, scratch(CONV_KINDS.forward), geometry)).not.toThrow();
      expect(() => addon.conv2dInputGrad(y, filter, x, scratch(CONV_KINDS.inputGrad), geometry)).not.toThrow();
      expect(() => addon.conv2dFilterGrad(x, y, filter, scratch(CONV_KINDS.filterGrad), geometry)).not.toThrow();
    }
  });

  it('reject short inputs, outputs and scratch', async () => {
    const addon = await load();
    for (const { cout, filter, geometry } of cases) {
      const y = new Float32Array(2 * 6 * 6 * cout);
      const scratch = (kind: number, less = 0) => new Float32Array(addon.convPlan(kind, geometry).scratch - less);
      expect(() => addon.conv2d(x.subarray(1), filter, y, scratch(0), geometry)).toThrow(RangeError);
      expect(() => addon.conv2d(x, filter.subarray(1), y, scratch(0), geometry)).toThrow(RangeError);
      expect(() => addon.conv2d(x, filter, y.subarray(1), scratch(0), geometry)).toThrow(RangeError);
      expect(() => addon.conv2d(x, filter, y, scratch(0, 1), geometry)).toThrow(RangeError);
      expect(() => addon.conv2dInputGrad(y, filter, x.subarray(1), scratch(1), geometry)).toThrow(RangeError);
      expect(() => addon.conv2dInputGrad(y, filter, x, scratch(1, 1), geometry)).toThrow(RangeError);
      expect(() => addon.conv2dFilterGrad(x, y.subarray(1), filter, scratch(2), geometry)).toThrow(RangeError);
      expect(() => addon.conv2dFilterGrad(x, y, filter, scratch(2, 1), geometry)).toThrow(RangeError);
    }
  });

  it('reject geometries that are not a \'same\' or \'valid\' convolution', async () => {
    const addon = await load();
    const { filter, geometry } = cases[0]!;
    const scratch = new Float32Array(1 << 16);
    const changed = (index: number, value: number) => geometry.map((v, i) => (i === index ? value : v));
    expect(() => addon.conv2d(x, filter, out, scratch, changed(9, 0))).toThrow(/geometry/); // 'same' padded 0 above
    expect(() => addon.conv2d(x, filter, out, scratch, changed(7, 5))).toThrow(/geometry/); // neither output size
    expect(() => addon.conv2d(x, filter, out, scratch, changed(4, 9))).toThrow(RangeError); // a filter past the image
    expect(() => addon.conv2d(x, filter, out, scratch, geometry.subarray(1))).toThrow(RangeError);
    expect(() => addon.convPlan(3, geometry)).toThrow(/unknown/);
    const huge = Int32Array.of(2 ** 20, 2 ** 10, 2 ** 10, 1, 1, 1, 1, 2 ** 10, 2 ** 10, 0, 0);
    expect(() => addon.convPlan(0, huge)).toThrow(/too large/);
  });

  it('plan batches whose whole patch matrix would be past an int (the products see a chunk of it)', async () => {
    const addon = await load();
    for (const cout of [6, 32]) {
      const geometry = convGeometry([120_000, 28, 28, 1], [5, 5, 1, cout], 'same'); // 2.35e9 patch entries
      for (const kind of [0, 1, 2]) {
        const plan = addon.convPlan(kind, geometry);
        // oneDNN's primitives make no patch matrix and take int64 sizes: they get the whole batch and no scratch.
        if (plan.kernel === 'onednn') expect(plan).toEqual({ kernel: 'onednn', chunk: 120_000, scratch: 0 });
        else expect(plan.chunk).toBeLessThan(120_000);
      }
    }
  });

  it('reject pooling windows larger than the image and short buffers', async () => {
    const addon = await load();
    expect(() => addon.maxPool(x, new Float32Array(100), 2, 6, 6, 3, 7)).toThrow(/window/);
    expect(() => addon.maxPool(x, new Float32Array(2 * 3 * 3 * 3 - 1), 2, 6, 6, 3, 2)).toThrow(RangeError);
    expect(() => addon.maxPoolGrad(x, new Float32Array(2 * 3 * 3 * 3 - 1), new Float32Array(x.length), 2, 6, 6, 3, 2)).toThrow(RangeError);
    expect(() => addon.maxPoolGrad(x, new Float32Array(2 * 3 * 3 * 3), new Float32Array(x.length - 1), 2, 6, 6, 3, 2)).toThrow(RangeError);
  });
});
