/** lenet5's and cnn-madry's training steps on wasm (tfjs-wasm's convolutions where rsn uses them) against the reference. */
import { beforeAll, describe } from 'vitest';
import type { Backend } from '../../core/autodiff/backend.js';
import { useBackend } from '../support/backend.js';
import { modelStepConformance } from './model-steps-suite.js';

let wasm: Backend;
beforeAll(async () => {
  wasm = await useBackend('wasm');
});

describe('training steps of the convolutional models on wasm agree with the reference', () => modelStepConformance(() => wasm));
