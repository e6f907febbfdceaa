/** The backend details a trial manifest records for the wasm backend (a file of its own: tfjs has one engine per process). */
import { describe, expect, it } from 'vitest';
import { backendDetails } from '../../api/provenance.js';
import { loadBackend } from '../../backends/registry.js';

describe('wasm backend details', () => {
  it('name tfjs\' backend, its version, the detected features and the adapter', async () => {
    const backend = await loadBackend('wasm');
    try {
      const details = backendDetails(backend);
      expect(details).toMatchObject({ tfjs_backend: 'wasm', tfjs_core: '4.22.0' });
      expect(typeof details.wasm_simd).toBe('boolean');
      expect(details.adapter).toContain('backends/tfjs/adapter.ts');
    } finally {
      backend.close?.();
    }
  });
});
