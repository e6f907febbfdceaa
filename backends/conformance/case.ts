/**
 * A conformance case: one named check of a backend against the reference backend, as plain data and a function,
 * so that any runner can run it (vitest's `it` in test/backends, the GPU check's own loop in benchmarks/perf/gpu,
 * where vitest is not installed). A case passes when `run` resolves and fails when it rejects, with a
 * ConformanceFailure that says what differed.
 */
import type { Backend, HostData } from '../../core/autodiff/backend.js';
import { setActiveBackend } from '../../core/autodiff/engine.js';
import { RsnError } from '../../core/errors.js';
import { createReferenceBackend } from '../reference/index.js';
import { compare, type Tolerance } from './tolerance.js';

/** The backend under test and the oracle it is compared with. */
export interface CaseContext {
  readonly backend: Backend;
  readonly reference: Backend;
}

export interface ConformanceCase {
  /** Which suite it belongs to ('primitives', 'training steps'). */
  readonly group: string;
  readonly name: string;
  readonly run: (ctx: CaseContext) => Promise<void>;
}

/** A backend's result differs from the reference backend's (or breaks a rule every backend keeps). */
export class ConformanceFailure extends RsnError {
  constructor(message: string) {
    super(message, 'the same case runs under vitest: npx vitest run test/backends/conformance*.test.ts -t "<case name>"');
  }
}

/** Throw a ConformanceFailure with `message` unless `ok`. */
export function check(ok: boolean, message: string): void {
  if (!ok) throw new ConformanceFailure(message);
}

/** allclose of two host arrays (tolerance.ts), with the worst element in the message. */
export function checkClose(what: string, actual: HostData, expected: HostData, tol: Tolerance): void {
  const { ratio, detail } = compare(actual, expected, tol);
  check(ratio <= 1, `${what} differs (${detail}; rtol ${tol.rtol}, atol ${tol.atol})`);
}

/** Element-wise equality by Object.is (NaN equals NaN, 0 differs from -0), with the first difference in the message. */
export function checkSame(what: string, actual: ArrayLike<unknown>, expected: ArrayLike<unknown>): void {
  check(actual.length === expected.length, `${what}: length ${actual.length}, expected ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    check(Object.is(actual[i], expected[i]), `${what}: element ${i} is ${String(actual[i])}, expected ${String(expected[i])}`);
  }
}

/** A fresh float32 reference backend: the oracle every other backend is compared with. */
export const oracle = (): Backend => createReferenceBackend('float32');

/** Run fn with `backend` active; every tensor it creates lives there. */
export function on<T>(backend: Backend, fn: () => T): T {
  setActiveBackend(backend);
  return fn();
}
