/**
 * The per-image worst case an attack keeps: the first point found that is misclassified, else the point of
 * lowest logit margin. RunTracker keeps it on the device over one run's iterates; WorstCase keeps it on the host
 * over runs (restarts, targets), each run attacking only the images not yet fooled.
 */
import type { HostData } from '../../autodiff/backend.js';
import { fromHost, keep, tidy } from '../../autodiff/engine.js';
import * as op from '../../autodiff/ops.js';
import type { Tensor } from '../../autodiff/tensor.js';
import { isWorse, marginsOf } from './margins.js';

/** The outcome of one run over a batch: its worst points (host rows), margins and fooled flags. */
export interface RunOutcome {
  readonly points: HostData;
  readonly margin: Float64Array;
  readonly fooled: Uint8Array;
}

/** Worst case over the iterates of one run, on the device. Dispose it (or take() it) when done. */
export class RunTracker {
  #best: Tensor;
  readonly margin: Float64Array;
  readonly fooled: Uint8Array;

  /** Starts from the run's first point (copied: the caller keeps ownership of `start`). */
  constructor(start: Tensor, logits: HostData, private readonly labels: Int32Array) {
    ({ margin: this.margin, fooled: this.fooled } = marginsOf(logits, labels, logits.length / labels.length));
    this.#best = keep(tidy(() => op.add(start, 0)));
  }

  get allFooled(): boolean {
    return this.fooled.every((f) => f === 1);
  }

  /** Offer an iterate with its host logits; rows where it is worse replace the kept ones. */
  offer(candidate: Tensor, logits: HostData): void {
    const next = marginsOf(logits, this.labels, logits.length / this.labels.length);
    const mask = new Float32Array(this.labels.length);
    let any = false;
    for (let i = 0; i < mask.length; i++) {
      if (!isWorse(next.fooled[i]!, next.margin[i]!, this.fooled[i]!, this.margin[i]!)) continue;
      mask[i] = 1;
      any = true;
      this.margin[i] = next.margin[i]!;
      this.fooled[i] = next.fooled[i]!;
    }
    if (!any) return;
    const previous = this.#best;
    this.#best = keep(tidy(() => op.where(fromHost(mask, [mask.length, 1]), candidate, previous)));
    previous.dispose();
  }

  /** The outcome, with the points read to the host; frees the device copy. */
  take(): RunOutcome {
    const points = this.#best.dataSync();
    this.dispose();
    return { points, margin: this.margin, fooled: this.fooled };
  }

  dispose(): void {
    this.#best.dispose();
  }
}

/** Worst case over runs, on the host; starts from the clean images. */
export class WorstCase {
  readonly points: HostData;
  readonly margin: Float64Array;
  readonly fooled: Uint8Array;

  constructor(clean: HostData, logits: HostData, labels: Int32Array, readonly features: number) {
    this.points = clean.slice();
    ({ margin: this.margin, fooled: this.fooled } = marginsOf(logits, labels, logits.length / labels.length));
  }

  /** Rows not yet fooled: the images a further run attacks. */
  remaining(): Int32Array {
    const rows: number[] = [];
    this.fooled.forEach((f, i) => f === 0 && rows.push(i));
    return Int32Array.from(rows);
  }

  /** Merge a run over the rows `rows` (outcome row k is row rows[k] here). */
  merge(rows: Int32Array, outcome: RunOutcome): void {
    const d = this.features;
    rows.forEach((row, k) => {
      if (!isWorse(outcome.fooled[k]!, outcome.margin[k]!, this.fooled[row]!, this.margin[row]!)) return;
      this.margin[row] = outcome.margin[k]!;
      this.fooled[row] = outcome.fooled[k]!;
      this.points.set(outcome.points.subarray(k * d, (k + 1) * d), row * d);
    });
  }
}

/** The rows `rows` of a host [n, d] array, as a new array of the same type. */
export function rowsOf<T extends HostData>(values: T, d: number, rows: Int32Array): T {
  const out = new (values.constructor as new (n: number) => T)(rows.length * d);
  rows.forEach((row, k) => out.set(values.subarray(row * d, (row + 1) * d), k * d));
  return out;
}

export const labelsOf = (labels: Int32Array, rows: Int32Array): Int32Array => Int32Array.from(rows, (r) => labels[r]!);
