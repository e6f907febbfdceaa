import { BackendError } from '../../core/errors.js';
import { activateTfjs } from './activate.js';
import { createTfjsBackend, type TfjsBackend } from './adapter.js';
import type { TfModule } from './types.js';

export type TfjsNodeKind = 'cuda' | 'tfnode';

/** The optional peer packages (package.json peerDependenciesMeta), pinned to the tfjs-core version. */
export const TFJS_NODE_PACKAGES: Readonly<Record<TfjsNodeKind, string>> = {
  cuda: '@tensorflow/tfjs-node-gpu',
  tfnode: '@tensorflow/tfjs-node',
};
const VERSION = '4.22.0';

/** What to install for each kind, said in the error users see. */
export function installHint(kind: TfjsNodeKind): string {
  return kind === 'cuda'
    ? `npm install ${TFJS_NODE_PACKAGES.cuda}@${VERSION} (its install downloads libtensorflow 2.9.1, whose GPU build ` +
        'needs CUDA 11.2 and cuDNN 8.1 on the library path and an NVIDIA GPU); or use --backend wasm on the CPU'
    : `npm install ${TFJS_NODE_PACKAGES.tfnode}@${VERSION} (its install downloads the CPU build of libtensorflow 2.9.1); ` +
        'or use --backend wasm';
}

/** Imports a package by name; tests replace it to simulate a package that is missing or finds no GPU. */
export type Importer = (specifier: string) => Promise<unknown>;
const importPackage: Importer = (specifier) => import(specifier);

/**
 * `cuda` (@tensorflow/tfjs-node-gpu) or `tfnode` (@tensorflow/tfjs-node) through the shared tfjs adapter. Both
 * register tfjs' 'tensorflow' backend (libtensorflow through N-API). The package is imported only here, on
 * demand: when it is missing, or (cuda) when libtensorflow finds no CUDA device, a BackendError says what
 * to install, and nothing else is affected.
 */
export async function loadTfjsNodeBackend(kind: TfjsNodeKind, importer: Importer = importPackage): Promise<TfjsBackend> {
  const pkg = TFJS_NODE_PACKAGES[kind];
  const hint = installHint(kind);
  try {
    await importer(pkg);
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0];
    throw new BackendError(`backend '${kind}' needs ${pkg}, which is not installed or failed to load (${reason})`, hint);
  }
  const tf: TfModule = await import('@tensorflow/tfjs-core');
  const release = await activateTfjs(tf, 'tensorflow', kind, hint);
  if (kind === 'cuda') {
    const native = tf.backend() as { isUsingGpuDevice?: boolean; isGPUPackage?: boolean };
    if (native.isGPUPackage === false) {
      release();
      throw new BackendError(`tfjs' 'tensorflow' backend comes from ${TFJS_NODE_PACKAGES.tfnode} (CPU only), not ${pkg}`, hint);
    }
    if (native.isUsingGpuDevice !== true) {
      release();
      throw new BackendError(`${pkg} loaded but libtensorflow found no CUDA device`, hint);
    }
  }
  return createTfjsBackend(tf, { name: kind, tfBackend: 'tensorflow', copiesHostData: false, onClose: release });
}
