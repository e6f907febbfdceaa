/**
 * The conformance cases every backend must pass against the reference backend, and a runner that needs no test
 * framework (the GPU check runs them where only production dependencies are installed). test/backends runs the
 * same cases under vitest, plus a seeded fast-check property over random broadcast shapes (vitest only).
 */
import type { Backend } from '../../core/autodiff/backend.js';
import { oracle, type ConformanceCase } from './case.js';
import { primitiveChecks } from './primitive-checks.js';
import { stepChecks } from './step-checks.js';

export { ConformanceFailure, oracle, on, type CaseContext, type ConformanceCase } from './case.js';
export { primitiveChecks } from './primitive-checks.js';
export { stepChecks } from './step-checks.js';

/** Every case: the primitives (forward, gradients, memory contract), then whole training steps. */
export const conformanceCases = (): ConformanceCase[] => [...primitiveChecks(), ...stepChecks()];

export interface CaseFailure {
  readonly group: string;
  readonly name: string;
  /** The first line of the failure's message. */
  readonly reason: string;
}

export interface ConformanceResult {
  readonly passed: number;
  readonly failed: readonly CaseFailure[];
  readonly seconds: number;
}

/**
 * Run `cases` on `backend`, one after the other, against a fresh reference backend. A failing case (a
 * ConformanceFailure, or any other error it throws) is recorded and the next one runs.
 */
export async function runConformance(
  backend: Backend, cases: readonly ConformanceCase[] = conformanceCases(), onCase?: (c: ConformanceCase, error?: Error) => void,
): Promise<ConformanceResult> {
  const reference = oracle();
  const started = performance.now();
  let passed = 0;
  const failed: CaseFailure[] = [];
  for (const c of cases) {
    try {
      await c.run({ backend, reference });
      passed++;
      onCase?.(c);
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      failed.push({ group: c.group, name: c.name, reason: e.message.split('\n')[0]! });
      onCase?.(c, e);
    }
  }
  return { passed, failed, seconds: (performance.now() - started) / 1000 };
}
