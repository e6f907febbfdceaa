import fc from 'fast-check';
import { it } from 'vitest';
import type { Backend } from '../../core/autodiff/backend.js';
import { broadcastShapes, sizeOf } from '../../core/autodiff/shapes.js';
import { Rng } from '../../core/nn/rng.js';
import { oracle } from '../../backends/conformance/case.js';
import { BINARY_OPS, type Input, type PrimitiveCase } from '../../backends/conformance/primitive-cases.js';
import { conformPrimitive, lossWeights, primitiveChecks } from '../../backends/conformance/primitive-checks.js';

/**
 * Every primitive of one backend against the reference: the runner-agnostic cases of
 * backends/conformance/primitive-checks.ts (which the GPU check runs too), one test each, plus a seeded
 * fast-check property over random broadcast shapes (fast-check is a devDependency, so this one runs here only).
 */
export function primitiveConformance(getBackend: () => Backend): void {
  const reference = oracle();
  const weights = lossWeights();

  for (const c of primitiveChecks()) it(c.name, () => c.run({ backend: getBackend(), reference }));

  it('binary ops on random broadcast shapes (fast-check, seeded)', async () => {
    const dim = fc.integer({ min: 1, max: 4 });
    const shapePair = fc.array(fc.tuple(dim, fc.boolean(), fc.boolean()), { minLength: 0, maxLength: 3 }).map((dims) => [
      dims.map(([d, keepA]) => (keepA ? d : 1)),
      dims.map(([d, , keepB]) => (keepB ? d : 1)).slice(dims.length > 1 ? 1 : 0),
    ] as const);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...BINARY_OPS), shapePair, fc.integer({ min: 0, max: 2 ** 31 - 1 }), async ([primitive, apply, tol], [sa, sb], seed) => {
        broadcastShapes(sa, sb);
        const r = new Rng(seed);
        const input = (shape: readonly number[]): Input => ({
          values: Float32Array.from({ length: sizeOf(shape) }, () => (primitive === 'div' ? r.uniform(0.5, 2) : r.int(5) - 2)),
          shape, dtype: 'float32',
        });
        const c: PrimitiveCase = { primitive, name: `${primitive} [${sa}] [${sb}]`, inputs: [input(sa), input(sb)], apply, tol, differentiable: true };
        await conformPrimitive(getBackend(), reference, c, weights);
      }),
      { seed: 1234, numRuns: 60 },
    );
  });
}
