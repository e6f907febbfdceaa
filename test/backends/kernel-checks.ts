/**
 * What the webgpu custom-kernel tests share: reading a computation's outputs on a backend, comparing float32 bits,
 * and checking that a backend's custom kernels really ran (a call that declined would let the composition pass
 * for the kernel).
 */
import { expect, vi, type MockInstance } from 'vitest';
import type { Backend } from '../../core/autodiff/backend.js';
import { disposeAll, tidy } from '../../core/autodiff/engine.js';
import type { Tensor } from '../../core/autodiff/tensor.js';
import { on } from './support.js';

/** fn's outputs computed on `backend`, read back and disposed. */
export async function readOutputs(backend: Backend, fn: () => Tensor[]): Promise<Float32Array[]> {
  const outputs = on(backend, () => tidy(() => fn()));
  try {
    return await Promise.all(outputs.map(async (t) => (await t.data()) as Float32Array));
  } finally {
    disposeAll(outputs);
  }
}

/** Identical float32 bits (NaN payloads and -0 included), reporting the first difference. */
export function expectSameBits(actual: Float32Array, expected: Float32Array, context: string): void {
  expect(actual.length, `${context} length`).toBe(expected.length);
  const [a, e] = [new Uint32Array(actual.buffer, actual.byteOffset, actual.length), new Uint32Array(expected.buffer, expected.byteOffset, expected.length)];
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== e[i]) expect.fail(`${context} element ${i}: got ${actual[i]} (0x${a[i]!.toString(16)}), expected ${expected[i]} (0x${e[i]!.toString(16)})`);
  }
}

export type KernelSpy = MockInstance<(...args: never[]) => unknown>;

/** A spy on the backend's custom kernel `name`. */
export const spyOnKernel = (backend: Backend, name: string): KernelSpy =>
  vi.spyOn(backend.custom as Record<string, (...args: never[]) => unknown>, name);

/** The kernel was called `calls` times (at least once when undefined) and never declined. */
export function expectKernelRan(spy: KernelSpy, name: string, calls?: number): void {
  if (calls === undefined) expect(spy.mock.calls.length, `${name} calls`).toBeGreaterThan(0);
  else expect(spy, name).toHaveBeenCalledTimes(calls);
  for (const result of spy.mock.results) expect(result.value, `${name} declined`).toBeDefined();
}

/** fn's outputs on `backend` with its kernels, each named kernel checked to have run `calls[name]` times. */
export async function readWithKernels(backend: Backend, calls: Readonly<Record<string, number>>, fn: () => Tensor[]): Promise<Float32Array[]> {
  const spies = Object.keys(calls).map((name) => [name, spyOnKernel(backend, name)] as const);
  const results = await readOutputs(backend, fn);
  for (const [name, spy] of spies) {
    expectKernelRan(spy, name, calls[name]);
    spy.mockRestore();
  }
  return results;
}

/** The backend without the named custom kernels (their compositions run), sharing the original's memory and spies. */
export const withoutKernels = (backend: Backend, names: readonly string[]): Backend =>
  ({ ...backend, custom: { ...backend.custom, ...Object.fromEntries(names.map((name) => [name, undefined])) } });
