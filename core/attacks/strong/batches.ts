import type { HostData } from '../../autodiff/backend.js';
import { fromHost } from '../../autodiff/engine.js';
import { ConfigError } from '../../errors.js';
import type { Rng } from '../../nn/rng.js';
import type { Attack, Classifier } from './attack.js';
import { logitsAt } from './evaluation.js';
import { marginsOf } from './margins.js';
import { hostResult } from './scopes.js';
import { labelsOf, rowsOf } from './worst-case.js';

/** Images [count, d] as host rows, with integer labels. */
export interface LabelledImages {
  readonly images: HostData;
  readonly labels: Int32Array;
}

/** Per image: 1 where the classifier still predicts the label on the attack's example. */
export interface AttackOutcome {
  readonly correct: Uint8Array;
  readonly accuracy: number;
  readonly seconds: number;
}

export interface BatchOptions {
  /** Images per batch (1000): memory grows with it, the per-call overhead shrinks. */
  readonly batchSize?: number;
  /** Batch b draws from rng.derive(b): results do not depend on what ran before. */
  readonly rng: Rng;
  /** Attack only the rows marked 1 (the clean-correct ones); the others count as not correct. */
  readonly only?: Uint8Array;
}

export const DEFAULT_BATCH = 1000;

export function checkImages(data: LabelledImages): number {
  const count = data.labels.length;
  if (count === 0 || data.images.length % count !== 0) {
    throw new ConfigError(`images and labels disagree: ${data.images.length} values for ${count} labels`, 'pass one row of d values per label');
  }
  return data.images.length / count;
}

function batchSizeOf(options: Omit<BatchOptions, 'rng'>): number {
  const size = options.batchSize ?? DEFAULT_BATCH;
  if (!(Number.isInteger(size) && size >= 1)) throw new ConfigError(`batch size must be a whole number >= 1, got ${size}`, `for example ${DEFAULT_BATCH}`);
  return size;
}

/** Rows 0..count-1 (those marked in `only`) in batches: fn gets each batch's row indices and its index. */
function inBatches(count: number, options: Omit<BatchOptions, 'rng'>, fn: (rows: Int32Array, batch: number) => void): void {
  const size = batchSizeOf(options);
  const selected: number[] = [];
  for (let i = 0; i < count; i++) if (!options.only || options.only[i] === 1) selected.push(i);
  for (let start = 0, b = 0; start < selected.length; start += size, b++) fn(Int32Array.from(selected.slice(start, start + size)), b);
}

const fractionOf = (flags: Uint8Array): number => flags.reduce((a, f) => a + f, 0) / flags.length;

/** Which images the classifier gets right, clean. */
export function cleanOutcome(classifier: Classifier, data: LabelledImages, options: Omit<BatchOptions, 'rng'> = {}): AttackOutcome {
  const d = checkImages(data);
  const begin = performance.now();
  const correct = new Uint8Array(data.labels.length);
  inBatches(data.labels.length, options, (rows) => {
    const labels = labelsOf(data.labels, rows);
    const logits = hostResult(() => logitsAt(classifier, fromHost(rowsOf(data.images, d, rows), [rows.length, d])));
    const { fooled } = marginsOf(logits, labels, logits.length / rows.length);
    rows.forEach((row, k) => (correct[row] = 1 - fooled[k]!));
  });
  return { correct, accuracy: fractionOf(correct), seconds: (performance.now() - begin) / 1000 };
}

/** Attack every image (or those in options.only), batch by batch, and say which the classifier still gets right. */
export function attackOutcome(attack: Attack, classifier: Classifier, data: LabelledImages, options: BatchOptions): AttackOutcome {
  const d = checkImages(data);
  const begin = performance.now();
  const correct = new Uint8Array(data.labels.length);
  inBatches(data.labels.length, options, (rows, b) => {
    const labels = labelsOf(data.labels, rows);
    const logits = hostResult(() => {
      const adversarial = attack.craft(classifier, fromHost(rowsOf(data.images, d, rows), [rows.length, d]), labels, options.rng.derive(b));
      return logitsAt(classifier, adversarial);
    });
    const { fooled } = marginsOf(logits, labels, logits.length / rows.length);
    rows.forEach((row, k) => (correct[row] = 1 - fooled[k]!));
  });
  return { correct, accuracy: fractionOf(correct), seconds: (performance.now() - begin) / 1000 };
}
