/**
 * lenet5's and cnn-madry's training steps on webgpu (its WGSL convolution and pooling kernels) against the
 * reference. On Mesa's llvmpipe where there is no GPU (RSN_WEBGPU_SOFTWARE=1, set here); skipped with the reason
 * where no adapter exists, a failure then under RSN_REQUIRE_WEBGPU=1.
 */
import { describe } from 'vitest';
import { SOFTWARE_ENV } from '../../backends/webgpu/device.js';
import { requireWebgpuUnderCi, tryLoad } from './support.js';
import { modelStepConformance } from './model-steps-suite.js';

process.env[SOFTWARE_ENV] ??= '1';
const loaded = await tryLoad('webgpu');

requireWebgpuUnderCi(loaded, 'model-steps-webgpu');

describe.skipIf(!loaded.backend)('training steps of the convolutional models on webgpu agree with the reference', () =>
  modelStepConformance(() => loaded.backend!, { madryLeaks: false }));
