import { beforeAll } from 'vitest';
import { loadBackend } from '../../backends/registry.js';
import type { Backend } from '../../core/autodiff/backend.js';
import { setActiveBackend } from '../../core/autodiff/engine.js';

/** Load a registered backend and make it the active one. */
export async function useBackend(name: string): Promise<Backend> {
  const backend = await loadBackend(name);
  setActiveBackend(backend);
  return backend;
}

/** Activate the reference backend for every test in the file. */
export function useReferenceBackend(): void {
  beforeAll(async () => {
    await useBackend('reference');
  });
}
