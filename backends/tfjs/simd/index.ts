/**
 * rsn's WebAssembly SIMD code generator, a module of its own: a binary encoder (binary.ts), an assembler of
 * one-pass elementwise kernels (assembler.ts, kernels.ts), a generator of matrix products per shape
 * (gemm.ts) and sparse products on the lane layout (sparse.ts). It knows nothing of tfjs: the generated modules import a WebAssembly.Memory and take byte offsets
 * into it. The tfjs adapter reaches it only through its heap (../heap.ts), which supplies tfjs-wasm's memory.
 */
export { gemmKernels, type Gemm, type GemmShape } from './gemm.js';
export { simdKernels, type SimdKernels } from './kernels.js';
export { sparseKernels, type SparseKernels } from './sparse.js';
