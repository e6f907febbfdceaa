import { ConfigError } from '../errors.js';
import type { Rng } from '../nn/rng.js';
import type { Split } from './datasets.js';

/**
 * Epoch-wise minibatch sampler, as in the original code: every epoch draws a fresh permutation of 0..count-1
 * (identity shuffled by Fisher-Yates with the sampler's generator) and cuts it into consecutive batches; the last
 * batch of an epoch is partial when batchSize does not divide count (50000 / 60: 833 batches of 60, one of 20).
 *
 * The sampler owns `rng` and is its only consumer. To resume, build a new sampler with a generator in the same
 * initial state (same seed / same derive path) and `startStep`: it replays the permutations, so the batches
 * that follow are identical to those of an uninterrupted run.
 */
export class BatchSampler {
  readonly batchesPerEpoch: number;
  private readonly permutation: Int32Array;
  private epochIndex = -1;
  private position = 0;
  private steps = 0;

  constructor(
    readonly count: number,
    readonly batchSize: number,
    private readonly rng: Rng,
    startStep = 0,
  ) {
    if (!Number.isInteger(count) || count < 1) throw new ConfigError(`a sampler needs at least one example, got ${count}`);
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new ConfigError(`batch size must be a positive integer, got ${batchSize}`, 'use --batch_size 60 (the protocol default)');
    }
    if (!Number.isInteger(startStep) || startStep < 0) throw new ConfigError(`start step must be a non-negative integer, got ${startStep}`);
    this.batchesPerEpoch = Math.ceil(count / batchSize);
    this.permutation = new Int32Array(count);
    const epochs = Math.floor(startStep / this.batchesPerEpoch);
    for (let e = 0; e < epochs; e++) {
      this.newEpoch();
      this.position = count;
    }
    const rest = startStep - epochs * this.batchesPerEpoch;
    if (rest > 0) {
      this.newEpoch();
      this.position = Math.min(count, rest * batchSize);
    }
    this.steps = startStep;
  }

  /** Batches drawn so far over all epochs (the global step). */
  get step(): number {
    return this.steps;
  }

  /** Zero-based index of the epoch the next batch comes from. */
  get epoch(): number {
    return Math.floor(this.steps / this.batchesPerEpoch);
  }

  /** Indices of the next batch (a fresh array the caller may keep). */
  next(): Int32Array {
    if (this.epochIndex < 0 || this.position >= this.count) this.newEpoch();
    const end = Math.min(this.count, this.position + this.batchSize);
    const batch = this.permutation.slice(this.position, end);
    this.position = end;
    this.steps++;
    return batch;
  }

  private newEpoch(): void {
    for (let i = 0; i < this.count; i++) this.permutation[i] = i;
    this.rng.shuffle(this.permutation);
    this.epochIndex++;
    this.position = 0;
  }
}

/** Copies the examples at `indices` out of a split: images (n * size) and labels (n). */
export function gather(split: Split, indices: ArrayLike<number>): { images: Float32Array; labels: Int32Array } {
  const size = split.count === 0 ? 0 : split.images.length / split.count;
  const images = new Float32Array(indices.length * size);
  const labels = new Int32Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    if (!Number.isInteger(i) || i < 0 || i >= split.count) {
      throw new ConfigError(`batch index ${i} is outside the split (0..${split.count - 1})`);
    }
    images.set(split.images.subarray(i * size, (i + 1) * size), k * size);
    labels[k] = split.labels[i]!;
  }
  return { images, labels };
}
