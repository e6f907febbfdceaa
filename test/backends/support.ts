import { describe, expect, it } from 'vitest';
import type { Backend, HostData } from '../../core/autodiff/backend.js';
import { backendEntries } from '../../backends/registry.js';
import { useBackend } from '../support/backend.js';

/** The conformance cases' tolerances, comparison and oracle live with the cases (backends/conformance). */
export { on, oracle } from '../../backends/conformance/case.js';
export { compare, TOL, type Tolerance } from '../../backends/conformance/tolerance.js';

export type Loaded = { backend: Backend; reason?: undefined } | { backend?: undefined; reason: string };

/** Load a registered backend, or say why it does not load on this machine (shown in the skipped suite's title). */
export async function tryLoad(name: string): Promise<Loaded> {
  try {
    return { backend: await useBackend(name) };
  } catch (error) {
    return { reason: (error as Error).message.split('\n')[0]! };
  }
}

/**
 * The webgpu test files' first test: it passes where the backend loaded; elsewhere it warns with the reason (the
 * file's other suites are skipped) and fails under RSN_REQUIRE_WEBGPU=1, which CI sets, so a CI machine that lost
 * its adapter fails instead of skipping.
 */
export function requireWebgpuUnderCi(loaded: Loaded, label: string): void {
  describe('webgpu availability', () => {
    it('loads here, or says why not', () => {
      if (loaded.backend) return;
      console.warn(`${label}: skipping: ${loaded.reason}`);
      if (process.env.RSN_REQUIRE_WEBGPU === '1') expect.fail(`RSN_REQUIRE_WEBGPU=1 but ${loaded.reason}`);
    });
  });
}

/** Registered backends other than the oracle, split by whether they may share this process. */
export function backendsUnderTest(): { shared: string[]; ownProcess: string[] } {
  const others = backendEntries().filter((e) => e.name !== 'reference');
  return {
    shared: others.filter((e) => e.family === undefined).map((e) => e.name),
    ownProcess: others.filter((e) => e.family !== undefined).map((e) => e.name),
  };
}

/** Bit-for-bit equality (NaN equals NaN, 0 differs from -0), reporting the first difference. */
export function expectIdentical(actual: HostData, expected: HostData, context = ''): void {
  expect(actual.constructor, `${context} dtype`).toBe(expected.constructor);
  expect(actual.length, `${context} length`).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      expect.fail(`${context} element ${i}: got ${actual[i]}, expected ${expected[i]}`);
    }
  }
}
