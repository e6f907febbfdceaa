import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { useBackend } from '../support/backend.js';
import { activateTfjs } from '../../backends/tfjs/activate.js';
import { installHint, loadTfjsNodeBackend, TFJS_NODE_PACKAGES, type TfjsNodeKind } from '../../backends/tfjs/node.js';
import * as op from '../../core/autodiff/ops.js';
import { BackendError } from '../../core/errors.js';

/**
 * The cuda and tfnode loaders (the native packages cannot be installed on this machine). This file never loads
 * tfjs-wasm: it stands in for libtensorflow with fake tfjs backends registered under tfjs' name 'tensorflow'.
 */
const installed = (pkg: string): boolean => {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
};

class FakeNative extends tf.KernelBackend {
  constructor(readonly isGPUPackage: boolean, readonly isUsingGpuDevice: boolean) {
    super();
  }

  override dispose(): void {}
}
/** An importer standing for the native package: registering 'tensorflow' is what importing it does. */
const fakePackage = (gpuPackage: boolean, gpuDevice: boolean) => async () => {
  if (tf.findBackendFactory('tensorflow')) tf.removeBackend('tensorflow');
  tf.registerBackend('tensorflow', () => new FakeNative(gpuPackage, gpuDevice), 3);
};
const open: { close?: () => void }[] = [];
afterEach(() => open.splice(0).forEach((b) => b.close?.()));

const MESSAGES: Record<TfjsNodeKind, RegExp[]> = {
  cuda: [/npm install @tensorflow\/tfjs-node-gpu@4\.22\.0/, /libtensorflow 2\.9\.1/, /CUDA 11\.2/, /cuDNN 8\.1/],
  tfnode: [/npm install @tensorflow\/tfjs-node@4\.22\.0/, /libtensorflow 2\.9\.1/],
};

describe.each(['cuda', 'tfnode'] as const)('backend %s', (kind) => {
  const pkg = TFJS_NODE_PACKAGES[kind];

  it.skipIf(installed(pkg))(`says what to install when ${pkg} is missing (the case on this machine)`, async () => {
    const error = await useBackend(kind).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    for (const pattern of MESSAGES[kind]) expect((error as Error).message).toMatch(pattern);
    expect((error as Error).message).toContain(`needs ${pkg}`);
  });

  it('turns any import failure into a BackendError with the install hint', async () => {
    const error = await loadTfjsNodeBackend(kind, async () => {
      throw new Error('libtensorflow.so.2: cannot open shared object file');
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect((error as Error).message).toContain('libtensorflow.so.2');
    expect((error as Error).message).toContain(installHint(kind));
  });

  it('leaves the rest working after a failed load', async () => {
    await loadTfjsNodeBackend(kind, async () => Promise.reject(new Error('missing'))).catch(() => undefined);
    await useBackend('reference');
    expect(op.add(op.tensor([1, 2]), 1).toArray()).toEqual([2, 3]);
  });
});

describe('cuda on a machine without a GPU', () => {
  it('refuses when libtensorflow finds no CUDA device', async () => {
    const error = await loadTfjsNodeBackend('cuda', fakePackage(true, false)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect((error as Error).message).toMatch(/found no CUDA device/);
    for (const pattern of MESSAGES.cuda) expect((error as Error).message).toMatch(pattern);
  });

  it('refuses the CPU package in place of the GPU one', async () => {
    const error = await loadTfjsNodeBackend('cuda', fakePackage(false, false)).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/CPU only/);
  });

  it('loads when a GPU is in use, and tfjs then runs on its tensorflow backend', async () => {
    const backend = await loadTfjsNodeBackend('cuda', fakePackage(true, true));
    open.push(backend);
    expect(backend.name).toBe('cuda');
    expect(tf.getBackend()).toBe('tensorflow');
  });
});

describe('one tfjs backend per process', () => {
  it('refuses a second tfjs backend while one is open, and allows it once that one is closed', async () => {
    tf.registerBackend('other', () => new FakeNative(false, false), 1);
    const first = await loadTfjsNodeBackend('tfnode', fakePackage(false, false));
    const refused = await activateTfjs(tf, 'other', 'other', 'hint').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BackendError);
    expect((refused as Error).message).toMatch(/one backend per process/);
    first.close();
    const release = await activateTfjs(tf, 'other', 'other', 'hint');
    expect(tf.getBackend()).toBe('other');
    release();
  });

  it('checks that tfjs really switched: a backend that fails to initialise is an error, not a silent fallback', async () => {
    tf.registerBackend('broken', () => {
      throw new Error('no binary');
    }, 0);
    const warn = console.warn;
    console.warn = () => undefined; // tfjs logs the failed initialisation
    const error = await activateTfjs(tf, 'broken', 'broken', 'install it').catch((e: unknown) => e).finally(() => (console.warn = warn));
    expect(error).toBeInstanceOf(BackendError);
    expect((error as Error).message).toMatch(/instead of 'broken'/);
    expect((error as Error).message).toContain('install it');
  });
});
