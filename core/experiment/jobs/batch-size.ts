import type { Backend } from '../../autodiff/backend.js';
import { asGiven, type ExperimentConfig } from '../config.js';
import { inputSize, modelSpec, type ModelSpec } from '../../nn/model.js';
import { parameterSize } from '../../nn/models/index.js';
import { ConfigError } from '../../errors.js';

/**
 * At most this many networks in one batch by default, whatever the buffer limit allows: WebGPU does not report
 * the device's memory, and 256 stacked networks of the protocol's shapes need a few GB during evaluation.
 */
export const MAX_AUTO_BATCH = 256;

/**
 * The largest tensor one network adds to a stacked step, in bytes: the widest of its evaluation batch, its
 * training batch (clean and adversarial) and its largest weight matrix, in float32.
 */
export function bytesPerNetwork(config: ExperimentConfig): number {
  const spec = modelSpec(config.model);
  return Math.max(4 * config.eval_batch_size * inputSize(spec), trainingBytesPerNetwork(spec, config.batch_size));
}

/** The largest tensor one network adds to a stacked training step: its batch (clean and adversarial) or its widest weights. */
export function trainingBytesPerNetwork(spec: ModelSpec, batchSize: number): number {
  return 4 * Math.max(2 * batchSize * inputSize(spec), ...spec.parameters.map(parameterSize));
}

/**
 * How many trials to train together when --batch_trials is `auto`: one on a backend without a stacking hint
 * (the CPU backends, which run trials in parallel worker processes instead) or for a model that does not stack,
 * else as many as the backend's largest buffer holds, up to MAX_AUTO_BATCH.
 */
export function autoBatchTrials(config: ExperimentConfig, backend: Pick<Backend, 'stacking'>): number {
  if (!backend.stacking || !modelSpec(config.model).stackable) return 1;
  return Math.max(1, Math.min(MAX_AUTO_BATCH, Math.floor(backend.stacking.maxBufferBytes / bytesPerNetwork(config))));
}

/**
 * Parse --batch_trials (and the library's batchTrials): a whole number >= 1 (digits only, as a string), or
 * `auto`; anything else is refused with the value as given.
 */
export function parseBatchTrials(value: unknown): number | 'auto' {
  if (value === 'auto') return 'auto';
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^[0-9]+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new ConfigError(`--batch_trials takes a whole number >= 1 or 'auto'; got ${asGiven(value)}`, 'e.g. --batch_trials 5 trains five trials as one computation');
  }
  return n;
}
