import type { HostData } from '../../autodiff/backend.js';
import { fromHost } from '../../autodiff/engine.js';
import type { Tensor } from '../../autodiff/tensor.js';
import { checkBatch, type Classifier } from './attack.js';
import { logitsAt } from './evaluation.js';
import { hostResult } from './scopes.js';
import { labelsOf, rowsOf, WorstCase, type RunOutcome } from './worst-case.js';

/**
 * One run of an attack over the images x [m, d] (the batch's rows not yet fooled) with their labels and clean
 * logits [m, classes] (host); index counts the runs from 0.
 */
export type Run = (x: Tensor, labels: Int32Array, cleanLogits: HostData, index: number) => RunOutcome;

/** Checks the settings that depend on the number of classes (before any run) and returns the run. */
export type PrepareRun = (classes: number) => Run;

/**
 * The worst case over `runs` runs (restarts, targets): it starts from the clean images, and each run attacks only
 * the images that no earlier run has fooled (as AutoAttack's restarts do), so the result is the per-image worst
 * over all runs. The result is a constant tensor in the caller's scope.
 */
export function worstOverRuns(name: string, classifier: Classifier, x: Tensor, labels: Int32Array, runs: number, prepare: PrepareRun): Tensor {
  checkBatch(name, x, labels);
  const d = x.shape[1]!;
  const clean = x.dataSync();
  const logits = logitsAt(classifier, x);
  const classes = logits.length / labels.length;
  const run = prepare(classes);
  const worst = new WorstCase(clean, logits, labels, d);
  for (let r = 0; r < runs; r++) {
    const rows = worst.remaining();
    if (rows.length === 0) break;
    const outcome = hostResult(() =>
      run(fromHost(rowsOf(clean, d, rows), [rows.length, d]), labelsOf(labels, rows), rowsOf(logits, classes, rows), r));
    worst.merge(rows, outcome);
  }
  return fromHost(worst.points, x.shape);
}
