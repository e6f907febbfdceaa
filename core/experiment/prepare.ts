import { splitValidation, type Dataset, type Split } from '../data/index.js';
import { smoothedTargets } from '../nn/loss.js';
import type { ExperimentConfig } from './config.js';
import type { EvalSet } from './evaluate.js';
import type { PreparedData } from './round.js';

const CLASSES = 10;

const withTargets = (split: Split, smoothing: number): EvalSet => ({
  ...split, targets: smoothedTargets(split.labels, CLASSES, smoothing),
});

/**
 * The protocol's sets: validation = the first valid_size training images, training = the rest; label
 * smoothing on training and validation targets only, never on test (PROTOCOL.md, Data).
 */
export function prepareData(dataset: Dataset, config: ExperimentConfig): PreparedData {
  const { train, valid } = splitValidation(dataset.train, config.valid_size);
  return {
    train: withTargets(train, config.label_smoothing),
    valid: valid === null ? undefined : withTargets(valid, config.label_smoothing),
    test: withTargets(dataset.test, 0),
  };
}
