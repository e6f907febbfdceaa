import { NUM_CLASSES, sliceSplit, splitValidation, type Dataset, type Split } from '../data/index.js';
import { smoothedTargets } from '../nn/loss.js';
import type { ExperimentConfig } from './config.js';
import type { EvalSet } from './evaluate.js';
import type { PreparedData } from './round.js';


const withTargets = (split: Split, smoothing: number): EvalSet => ({
  ...split, targets: smoothedTargets(split.labels, NUM_CLASSES, smoothing),
});

/**
 * The protocol's sets: validation = the first valid_size training images, training = the rest; label
 * smoothing on training and validation targets only, never on test (docs/PROTOCOL.md, Data). test_size < 10000
 * evaluates only the first test images (quick presets; the protocol uses them all).
 */
export function prepareData(dataset: Dataset, config: ExperimentConfig): PreparedData {
  const { train, valid } = splitValidation(dataset.train, config.valid_size);
  return {
    train: withTargets(train, config.label_smoothing),
    valid: valid === null ? undefined : withTargets(valid, config.label_smoothing),
    test: withTargets(sliceSplit(dataset.test, 0, Math.min(config.test_size, dataset.test.count)), 0),
  };
}
