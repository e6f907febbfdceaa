import { setActiveBackend } from '../core/autodiff/engine.js';
import { BackendError } from '../core/errors.js';
import type { Backend } from './backend.js';
import { createReferenceBackend } from './reference/index.js';

export interface BackendEntry {
  readonly name: string;
  readonly description: string;
  /** Create the backend; throws BackendError with an install hint when it cannot run on this machine. */
  readonly load: () => Promise<Backend>;
}

const entries = new Map<string, BackendEntry>();

export function registerBackend(entry: BackendEntry): void {
  entries.set(entry.name, entry);
}

registerBackend({
  name: 'reference',
  description: 'plain TypeScript on Float32Array; the specification every other backend is tested against',
  load: async () => createReferenceBackend('float32'),
});

registerBackend({
  name: 'native',
  description: 'C kernels and OpenBLAS sgemm through an N-API addon (optional; built at install when a C toolchain and OpenBLAS exist)',
  load: async () => (await import('./native/index.js')).createNativeBackend(),
});

export const backendNames = (): string[] => [...entries.keys()];
export const backendEntries = (): BackendEntry[] => [...entries.values()];

const loaded = new Map<string, Backend>();

/** Load (once per process) and activate a backend by name. */
export async function useBackend(name: string): Promise<Backend> {
  const entry = entries.get(name);
  if (!entry) {
    throw new BackendError(`unknown backend '${name}'`, `choose one of: ${backendNames().join(', ')} (rsn backends lists them)`);
  }
  let backend = loaded.get(name);
  if (!backend) {
    backend = await entry.load();
    loaded.set(name, backend);
  }
  setActiveBackend(backend);
  return backend;
}
