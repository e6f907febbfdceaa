import { ConfigError } from '../errors.js';
import type { ExperimentConfig } from './config.js';

/**
 * The settings that make up a training step program: networks whose configurations agree on all of them take
 * the same steps and evaluations at the same points, so they can be trained together as one computation. The
 * others (data set, strategy, reset, initialiser, seed, label smoothing, trials, pruning rounds) may differ.
 */
export const STEP_PROGRAM_FIELDS = [
  'model', 'attack', 'adv_train', 'learning_rate', 'l1_reg', 'train_iters', 'eval_every', 'eval_schedule', 'batch_size',
  'valid_size', 'test_size', 'loss', 'eps', 'pgd_step', 'pgd_iters', 'eval_batch_size',
] as const satisfies readonly (keyof ExperimentConfig)[];

/** A key equal for two configurations exactly when their step programs are equal. */
export const stepProgramKey = (config: ExperimentConfig): string =>
  JSON.stringify(STEP_PROGRAM_FIELDS.map((field) => config[field]));

/** Refuse to train networks together whose step programs differ, naming the first setting that differs. */
export function checkOneStepProgram(configs: readonly ExperimentConfig[]): void {
  const first = configs[0];
  if (!first) return;
  for (const other of configs.slice(1)) {
    const field = STEP_PROGRAM_FIELDS.find((f) => other[f] !== first[f]);
    if (field !== undefined) {
      throw new ConfigError(
        `networks trained together must share their step program, but ${field} is ${String(first[field])} for one and ${String(other[field])} for another`,
        'batch only configurations that differ in data set, strategy, reset, seed or pruning rounds',
      );
    }
  }
}
