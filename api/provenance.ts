/**
 * What trial manifests record about the backend, read from the loaded backend object: the library of the native
 * addon's matrix products (oneDNN or OpenBLAS), its build and threads, tfjs' backend and its detected features,
 * and which adapter runs the kernels.
 */
import type { Backend } from '../core/autodiff/backend.js';
import type { NativeBackend } from '../backends/native/index.js';
import type { TfjsBackend } from '../backends/tfjs/adapter.js';

export type BackendDetails = Record<string, string | number | boolean>;

const isTfjs = (backend: Backend): backend is TfjsBackend => 'tf' in backend && typeof (backend as TfjsBackend).tf?.getBackend === 'function';

const isNative = (backend: Backend): backend is NativeBackend => backend.name === 'native' && typeof (backend as NativeBackend).products === 'function';

export function backendDetails(backend: Backend): BackendDetails {
  if (isNative(backend)) {
    const { library, config, threads } = backend.products();
    return { adapter: 'backends/native (N-API addon, C kernels)', products: library, products_build: config, products_threads: threads };
  }
  if (isTfjs(backend)) {
    const { tf } = backend;
    const details: BackendDetails = { adapter: 'backends/tfjs/adapter.ts (tfjs-core kernels, rsn custom kernels)', tfjs_backend: tf.getBackend(), tfjs_core: tf.version_core };
    if (tf.getBackend() === 'wasm') {
      details.wasm_simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
      details.wasm_threads = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT');
      details.matmul = 'rsn SIMD products in the tfjs-wasm heap (backends/tfjs/simd)';
    }
    return details;
  }
  return { adapter: backend.name === 'reference' ? 'backends/reference (TypeScript on Float32Array)' : backend.name };
}
