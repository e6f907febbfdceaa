import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { conformanceSuite } from './conformance-suite.js';
import { backendsUnderTest } from './support.js';

/**
 * Conformance of every registered backend that can share this process (the reference is the oracle). A
 * backend with an engine of its own (family 'tfjs': tfjs-core has one global engine per process) runs in a
 * test file of its own, conformance-<name>.test.ts, since vitest gives each file its own process.
 */
const { shared, ownProcess } = backendsUnderTest();

for (const name of shared) await conformanceSuite(name);

describe('backends that need a process of their own', () => {
  it.each(ownProcess)('%s has its own conformance file', (name) => {
    const file = fileURLToPath(new URL(`./conformance-${name}.test.ts`, import.meta.url));
    expect(existsSync(file), `${file} is missing: copy conformance-wasm.test.ts`).toBe(true);
  });
});
