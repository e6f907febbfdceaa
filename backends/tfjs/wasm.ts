import { BackendError } from '../../core/errors.js';
import { activateTfjs } from './activate.js';
import { createTfjsBackend, type TfjsBackend } from './adapter.js';
import type { WasmCrossover } from './sparse.js';
import type { TfModule } from './types.js';
import { wasmHeap } from './heap.js';

const HINT = 'reinstall the dependencies (npm ci: @tensorflow/tfjs-backend-wasm@4.22.0 is one of them), or use --backend reference';

/** What tfjs-wasm detected on this machine (its SIMD binary is used when `simd` is true; threads never work in Node). */
export interface WasmFeatures {
  readonly simd: boolean;
  readonly threads: boolean;
}

export function wasmFeatures(tf: TfModule): WasmFeatures {
  return { simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'), threads: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') };
}

/**
 * tfjs-core on @tensorflow/tfjs-backend-wasm (SIMD binary), through the shared adapter, with its heap (simd/).
 * `sparse`: where pruned weights switch to sparse products (sparse.ts), or false for dense products only.
 */
export async function loadWasmBackend(options: { sparse?: WasmCrossover | false } = {}): Promise<TfjsBackend> {
  let tf: TfModule;
  try {
    tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-wasm');
  } catch (error) {
    throw new BackendError(`@tensorflow/tfjs-backend-wasm failed to load: ${(error as Error).message}`, HINT);
  }
  const release = await activateTfjs(tf, 'wasm', 'wasm', HINT);
  return createTfjsBackend(tf, { name: 'wasm', tfBackend: 'wasm', copiesHostData: true, heap: wasmHeap(tf), convolution: true, sparse: options.sparse, onClose: release });
}
