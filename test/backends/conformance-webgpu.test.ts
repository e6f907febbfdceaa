import { describe } from 'vitest';
import type { Backend } from '../../core/autodiff/backend.js';
import { SOFTWARE_ENV } from '../../backends/webgpu/device.js';
import { requireWebgpuUnderCi, tryLoad } from './support.js';
import { primitiveConformance } from './primitive-suite.js';
import { stepConformance } from './step-suite.js';

/**
 * The conformance suite on 'webgpu' (a process of its own: family 'webgpu'). Without a GPU it runs on Mesa's
 * llvmpipe, which the backend uses only when RSN_WEBGPU_SOFTWARE=1: this file sets it. Where no adapter at all
 * exists (no GPU, no Mesa EGL/GLES packages) the suite is skipped with the reason; with RSN_REQUIRE_WEBGPU=1
 * (.ci/run, which installs Mesa) that is a failure.
 */
process.env[SOFTWARE_ENV] ??= '1';
const loaded = await tryLoad('webgpu');
const get = (): Backend => loaded.backend!;

requireWebgpuUnderCi(loaded, 'conformance');

describe.skipIf(!loaded.backend)(loaded.backend ? "backend 'webgpu' conforms to the reference" : `backend 'webgpu' (skipped: ${loaded.reason})`, () => {
  describe('primitives', () => primitiveConformance(get));
  describe('training steps', () => stepConformance(get));
});
