import { BackendError } from '../core/errors.js';
import type { Backend } from '../core/autodiff/backend.js';
import { createReferenceBackend } from './reference/index.js';

export interface BackendEntry {
  readonly name: string;
  readonly description: string;
  /** Create the backend; throws BackendError with an install hint when it cannot run on this machine. */
  readonly load: () => Promise<Backend>;
  /**
   * Backends of one family share a process-wide engine and only one of them can be active in a process
   * ('tfjs': tfjs-core has one global engine). Tests give each such backend a process (a test file) of its own.
   */
  readonly family?: string;
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
  name: 'wasm',
  family: 'tfjs',
  description: 'tfjs-core on @tensorflow/tfjs-backend-wasm (SIMD binary, one thread) with rsn\'s own SIMD matrix products; the default for CPU runs',
  load: async () => (await import('./tfjs/wasm.js')).loadWasmBackend(),
});

registerBackend({
  name: 'cuda',
  family: 'tfjs',
  description: 'tfjs-core on @tensorflow/tfjs-node-gpu (libtensorflow 2.9.1, CUDA 11.2, cuDNN 8.1); optional, installed separately',
  load: async () => (await import('./tfjs/node.js')).loadTfjsNodeBackend('cuda'),
});

registerBackend({
  name: 'tfnode',
  family: 'tfjs',
  description: 'tfjs-core on @tensorflow/tfjs-node (libtensorflow 2.9.1 on the CPU); optional, installed separately',
  load: async () => (await import('./tfjs/node.js')).loadTfjsNodeBackend('tfnode'),
});

{
  // The library of its matrix products, known once it has loaded, joins the description (rsn backends).
  let products = '';
  const base = 'C kernels through an N-API addon, matrix products on oneDNN or OpenBLAS (optional; built at install when a C toolchain and one of them exist)';
  registerBackend({
    name: 'native',
    get description() {
      return products ? `${base}; built on ${products}` : base;
    },
    load: async () => {
      const backend = (await import('./native/index.js')).createNativeBackend();
      products = backend.products().config;
      return backend;
    },
  });
}

{
  // The adapter found at the last successful load joins the description (rsn backends prints it after loading).
  let adapter = '';
  const base = "rsn's WGSL kernels on WebGPU through the `webgpu` package (Dawn); optional; a hardware adapter, or Mesa's llvmpipe with RSN_WEBGPU_SOFTWARE=1";
  registerBackend({
    name: 'webgpu',
    family: 'webgpu',
    get description() {
      return adapter ? `${base}; adapter: ${adapter}` : base;
    },
    load: async () => {
      const backend = await (await import('./webgpu/index.js')).loadWebgpuBackend();
      adapter = backend.adapter;
      return backend;
    },
  });
}

/** The backend CPU runs use when neither --backend nor RSN_BACKEND names one. */
export const DEFAULT_BACKEND = 'wasm';
/** The environment variable that chooses the backend when no flag does. */
export const BACKEND_ENV = 'RSN_BACKEND';

/**
 * Check, without loading anything, that the backend the flag or RSN_BACKEND names is registered; returns the
 * name. An unknown name is refused naming where it came from (the flag, or the environment variable).
 */
export function checkBackendChoice(flag?: string, env: NodeJS.ProcessEnv = process.env, flagName = '--backend'): string {
  const name = resolveBackendName(flag, env);
  if (entries.has(name)) return name;
  const fromEnv = !flag?.trim();
  throw new BackendError(
    fromEnv ? `unknown backend '${name}' in the environment variable ${BACKEND_ENV} (${BACKEND_ENV}=${env[BACKEND_ENV]})` : `unknown backend '${name}' (${flagName})`,
    `choose one of: ${backendNames().join(', ')} (rsn backends lists them)${fromEnv ? `, or unset ${BACKEND_ENV}` : ''}`,
  );
}

/** The backend to use: the flag, else $RSN_BACKEND, else DEFAULT_BACKEND. */
export function resolveBackendName(flag?: string, env: NodeJS.ProcessEnv = process.env, fallback = DEFAULT_BACKEND): string {
  return flag?.trim() || env[BACKEND_ENV]?.trim() || fallback;
}

export const backendNames = (): string[] => [...entries.keys()];
export const backendEntries = (): BackendEntry[] => [...entries.values()];

const loaded = new Map<string, Backend>();

/**
 * The backend of this name, loaded once per process. It is not activated: the caller passes it to
 * setActiveBackend (core/autodiff/engine.ts), so that the core never learns where backends come from.
 */
export async function loadBackend(name: string): Promise<Backend> {
  const entry = entries.get(name);
  if (!entry) {
    throw new BackendError(`unknown backend '${name}'`, `choose one of: ${backendNames().join(', ')} (rsn backends lists them)`);
  }
  let backend = loaded.get(name);
  if (!backend) {
    backend = await entry.load();
    loaded.set(name, backend);
  }
  return backend;
}

export interface ChooseOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Where the fallback notice goes (default: stderr). */
  readonly warn?: (message: string) => void;
  /** The backend used when nobody chose one (default DEFAULT_BACKEND). */
  readonly defaultName?: string;
}

/**
 * Load the backend chosen by resolveBackendName(flag). When nobody chose (no flag, no RSN_BACKEND) and the
 * default fails to load, say so through `warn` and fall back to 'reference'; a backend that was asked for by
 * name must load, or this throws its BackendError.
 */
export async function chooseBackend(flag?: string, options: ChooseOptions = {}): Promise<Backend> {
  const { env = process.env, warn = (m: string) => process.stderr.write(`${m}\n`), defaultName = DEFAULT_BACKEND } = options;
  const name = resolveBackendName(flag, env, defaultName);
  const chosen = Boolean(flag?.trim() || env[BACKEND_ENV]?.trim());
  try {
    return await loadBackend(name);
  } catch (error) {
    if (error instanceof BackendError && !flag?.trim() && env[BACKEND_ENV]?.trim()) {
      // Chosen by the environment: say so, since no flag on the command line names it.
      throw new BackendError(`${BACKEND_ENV}=${env[BACKEND_ENV]}: ${error.message}`);
    }
    if (chosen || name === 'reference' || !(error instanceof BackendError)) throw error;
    warn(`rsn: the default backend '${name}' did not load, using 'reference' (slower) instead:\n  ${error.message.replace(/\n/g, '\n  ')}`);
    return loadBackend('reference');
  }
}
