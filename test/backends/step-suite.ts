import { it } from 'vitest';
import type { Backend } from '../../core/autodiff/backend.js';
import { oracle } from '../../backends/conformance/case.js';
import { stepChecks } from '../../backends/conformance/step-checks.js';

/**
 * Whole training steps of dense-300-100 at batch 60 against the reference backend, and determinism and leak
 * checks: the runner-agnostic cases of backends/conformance/step-checks.ts (which the GPU check runs too), one
 * test each.
 */
export function stepConformance(getBackend: () => Backend): void {
  const reference = oracle();
  for (const c of stepChecks()) it(c.name, () => c.run({ backend: getBackend(), reference }));
}
