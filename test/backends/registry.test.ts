import { createRequire } from 'node:module';
import { describe, expect, it, vi } from 'vitest';
import {
  chooseBackend, BACKEND_ENV, backendEntries, DEFAULT_BACKEND, registerBackend, resolveBackendName,
} from '../../backends/registry.js';
import { main } from '../../cli/main.js';
import { BackendError } from '../../core/errors.js';

describe('choosing a backend', () => {
  it('takes the flag, else RSN_BACKEND, else the default (wasm)', () => {
    expect(DEFAULT_BACKEND).toBe('wasm');
    expect(resolveBackendName('reference', { [BACKEND_ENV]: 'cuda' })).toBe('reference');
    expect(resolveBackendName(undefined, { [BACKEND_ENV]: 'cuda' })).toBe('cuda');
    expect(resolveBackendName('', { [BACKEND_ENV]: ' tfnode ' })).toBe('tfnode');
    expect(resolveBackendName(undefined, {})).toBe('wasm');
    expect(resolveBackendName(undefined, { [BACKEND_ENV]: '' })).toBe('wasm');
  });

  registerBackend({
    name: 'test-broken',
    description: 'a backend that never loads (registered by this test)',
    load: async () => {
      throw new BackendError('test-broken cannot load', 'nothing to install');
    },
  });

  it('falls back to reference, with a message, when the default does not load and nobody chose it', async () => {
    const warn = vi.fn();
    const backend = await chooseBackend(undefined, { env: {}, warn, defaultName: 'test-broken' });
    expect(backend.name).toBe('reference');
    expect(warn).toHaveBeenCalledOnce();
    expect(warn.mock.calls[0]![0]).toMatch(/default backend 'test-broken' did not load, using 'reference'/);
  });

  it('does not fall back from a backend chosen by flag or by RSN_BACKEND', async () => {
    const warn = vi.fn();
    await expect(chooseBackend('test-broken', { env: {}, warn })).rejects.toThrow(BackendError);
    await expect(chooseBackend(undefined, { env: { [BACKEND_ENV]: 'test-broken' }, warn })).rejects.toThrow(/test-broken cannot load/);
    await expect(chooseBackend('no-such-backend', { env: {}, warn })).rejects.toThrow(/unknown backend 'no-such-backend'/);
    expect(warn).not.toHaveBeenCalled();
  });

  it('loads the default backend (wasm) on this machine', async () => {
    const backend = await chooseBackend(undefined, { env: {} });
    expect(backend.name).toBe('wasm');
  });
});

describe('rsn backends', () => {
  const installed = (pkg: string) => {
    try {
      createRequire(import.meta.url).resolve(pkg);
      return true;
    } catch {
      return false;
    }
  };

  it('lists every registered backend, whether it loads here, and why not', async () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    let printed = '';
    try {
      expect(await main(['node', 'rsn', 'backends', '--json'])).toBe(0);
      printed = write.mock.calls.map((c) => String(c[0])).join('');
    } finally {
      write.mockRestore();
    }
    const rows = JSON.parse(printed) as { name: string; available: boolean; reason: string }[];
    expect(rows.map((r) => r.name)).toEqual(backendEntries().map((e) => e.name));
    const row = (name: string) => rows.find((r) => r.name === name)!;
    expect(row('reference').available).toBe(true);
    expect(row('wasm').available).toBe(true);
    expect(row('test-broken')).toMatchObject({ available: false, reason: expect.stringMatching(/nothing to install/) });
    if (!installed('@tensorflow/tfjs-node-gpu')) {
      expect(row('cuda')).toMatchObject({ available: false, reason: expect.stringMatching(/npm install @tensorflow\/tfjs-node-gpu@4\.22\.0/) });
    }
    if (!installed('@tensorflow/tfjs-node')) {
      expect(row('tfnode')).toMatchObject({ available: false, reason: expect.stringMatching(/npm install @tensorflow\/tfjs-node@4\.22\.0/) });
    }
  });
});
