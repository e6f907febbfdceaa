/**
 * lenet5's and cnn-madry's training steps on webgpu (its WGSL convolution and pooling kernels) against the
 * reference. On Mesa's llvmpipe where there is no GPU (RSN_WEBGPU_SOFTWARE=1, set here); skipped with the reason
 * where no adapter exists, a failure then under RSN_REQUIRE_WEBGPU=1.
 */
import { describe, expect, it } from 'vitest';
import { SOFTWARE_ENV } from '../../backends/webgpu/device.js';
import { tryLoad } from './support.js';
import { modelStepConformance } from './model-steps-suite.js';

process.env[SOFTWARE_ENV] ??= '1';
const loaded = await tryLoad('webgpu');

describe('webgpu availability', () => {
  it('loads here, or says why not', () => {
    if (loaded.backend) return;
    console.warn(`model-steps-webgpu: skipping: ${loaded.reason}`);
    if (process.env.RSN_REQUIRE_WEBGPU === '1') expect.fail(`RSN_REQUIRE_WEBGPU=1 but ${loaded.reason}`);
  });
});

describe.skipIf(!loaded.backend)('training steps of the convolutional models on webgpu agree with the reference', () =>
  modelStepConformance(() => loaded.backend!, { madryLeaks: false }));
