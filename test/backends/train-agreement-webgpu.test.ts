import { SOFTWARE_ENV } from '../../backends/webgpu/device.js';
import { trainAgreement } from './train-agreement-suite.js';

// A whole trial on webgpu (asynchronous reads through the trial runner), on llvmpipe where there is no GPU.
process.env[SOFTWARE_ENV] ??= '1';
await trainAgreement(['webgpu']);
