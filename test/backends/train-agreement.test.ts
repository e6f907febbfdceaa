import { trainAgreement } from './train-agreement-suite.js';

// wasm and native; webgpu runs in a process of its own (train-agreement-webgpu.test.ts).
await trainAgreement(['wasm', 'native']);
