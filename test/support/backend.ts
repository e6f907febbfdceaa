import { beforeAll } from 'vitest';
import { useBackend } from '../../backends/registry.js';

/** Activate the reference backend for every test in the file. */
export function useReferenceBackend(): void {
  beforeAll(async () => {
    await useBackend('reference');
  });
}
