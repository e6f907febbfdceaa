import { createHash } from 'node:crypto';
import { ATTACKS, type AttackName } from '../attacks/attack.js';
import { DATASET_NAMES, type DatasetName } from '../data/index.js';
import { ConfigError } from '../errors.js';
import { INITIALISERS, type Initialiser } from '../nn/init.js';
import { LOSS_FORMS, type LossForm } from '../nn/loss.js';
import { MODEL_NAMES, modelSpec } from '../nn/models/index.js';
import { pruneRates } from '../pruning/rates.js';
import { EVAL_SCHEDULES, type EvalSchedule } from './schedule.js';

export const STRATEGIES = ['no_pruning', 'reinit_orig', 'reinit_rand', 'reinit_none'] as const;
export type Strategy = (typeof STRATEGIES)[number];
export const RESET_TARGETS = ['init', 'round0_trained'] as const;
export type ResetTarget = (typeof RESET_TARGETS)[number];

/** One experiment configuration. Field names are the original command line's flags (docs/PROTOCOL.md). */
export interface ExperimentConfig {
  readonly dataset: DatasetName;
  readonly model: string;
  readonly experiment: Strategy;
  readonly attack: AttackName;
  readonly adv_train: boolean;
  readonly learning_rate: number;
  readonly l1_reg: number;
  readonly trials: number;
  readonly train_iters: number;
  readonly prune_iters: number;
  readonly prune_rates: string;
  readonly eval_every: number;
  readonly eval_schedule: EvalSchedule;
  readonly batch_size: number;
  readonly valid_size: number;
  readonly test_size: number;
  readonly label_smoothing: number;
  readonly loss: LossForm;
  readonly reset_to: ResetTarget;
  readonly init: Initialiser;
  readonly eps: number;
  readonly pgd_step: number;
  readonly pgd_iters: number;
  readonly seed: number;
  readonly eval_batch_size: number;
}

type Kind = 'int' | 'float' | 'bool' | 'choice' | 'string';

export interface FieldDef {
  readonly key: keyof ExperimentConfig;
  readonly kind: Kind;
  readonly help: string;
  readonly short?: string;
  readonly choices?: readonly string[];
  /** Part of the original directory layout (so not hashed into the experiment id). */
  readonly inPath?: boolean;
  /** Does not change any per-trial result (so not hashed into the experiment id). */
  readonly neutral?: boolean;
  /** Lower bound for numbers. */
  readonly min?: number;
  /** Values must be strictly above `min` (positive learning rate, attack budget). */
  readonly exclusiveMin?: boolean;
  /** Upper bound for numbers (inclusive): beyond it a value is a typo or cannot be honoured exactly. */
  readonly max?: number;
  /** Why `max` is the bound, for the error message. */
  readonly maxWhy?: string;
}

/** Seeds feed a 32-bit generator (core/nn/rng.ts): larger ones would alias smaller ones, so they are refused. */
export const MAX_SEED = 0xffffffff;
/** The training file of either data set holds 60,000 images. */
export const TRAIN_FILE_SIZE = 60000;

export const DEFAULT_CONFIG: ExperimentConfig = Object.freeze({
  dataset: 'digits', model: 'dense-300-100', experiment: 'reinit_orig', attack: 'fgsm', adv_train: false,
  learning_rate: 0.0012, l1_reg: 0, trials: 10, train_iters: 50000, prune_iters: 20, prune_rates: '', eval_every: 500, eval_schedule: 'every',
  batch_size: 60, valid_size: 10000, test_size: 10000, label_smoothing: 0.1, loss: 'logits', reset_to: 'init', init: 'glorot_uniform',
  eps: 0.3, pgd_step: 0.05, pgd_iters: 10, seed: 0, eval_batch_size: 1000,
});

/** The typed fields with their help text: they generate the command line (cli/options.ts). */
export const CONFIG_FIELDS: readonly FieldDef[] = [
  { key: 'dataset', kind: 'choice', choices: DATASET_NAMES, inPath: true, help: 'data set: MNIST digits or Fashion-MNIST' },
  { key: 'model', kind: 'choice', choices: MODEL_NAMES, inPath: true, help: 'network architecture (docs/models.md)' },
  { key: 'experiment', kind: 'choice', choices: STRATEGIES, inPath: true, help: 'pruning strategy: no pruning, lottery-ticket reset (reinit_orig), random reinit, or continued training (reinit_none)' },
  { key: 'attack', kind: 'choice', choices: ATTACKS, inPath: true, help: 'attack used for adversarial training and evaluation' },
  { key: 'adv_train', kind: 'bool', inPath: true, help: 'train on 0.5 clean + 0.5 adversarial loss' },
  { key: 'learning_rate', kind: 'float', short: 'lr', inPath: true, min: 0, exclusiveMin: true, max: 1, maxWhy: 'Adam diverges long before; the protocol uses 0.0012', help: 'Adam learning rate' },
  { key: 'l1_reg', kind: 'float', short: 'l1', inPath: true, min: 0, help: 'L1 penalty on the (masked) weights' },
  { key: 'trials', kind: 'int', neutral: true, min: 1, max: 100, maxWhy: 'trial folders are trial_00..trial_99; the paper used 5', help: 'independent trials' },
  { key: 'train_iters', kind: 'int', min: 1, help: 'training iterations (batches) per pruning round' },
  { key: 'prune_iters', kind: 'int', min: 0, help: 'pruning rounds after the dense round 0' },
  { key: 'prune_rates', kind: 'string', help: "per-parameter pruning rates overriding the model's, as name=rate pairs (e.g. conv_1=0.15,output=0.05); '' keeps the model's (convolutions 0.1, dense 0.2, output 0.1; biases never)" },
  { key: 'eval_every', kind: 'int', min: 1, help: 'evaluate on the validation and test sets every N iterations' },
  { key: 'eval_schedule', kind: 'choice', choices: EVAL_SCHEDULES, help: "when to evaluate: 'every' (at 0, every eval_every iterations and at the end), 'original' (exactly when the original code did: after within-epoch batches 0, eval_every, ..., labelled 0, eval_every, 2 eval_every, ...), or 'paper_row' (only the original's evaluation that the paper's tables read, after step 25,021, and the last step)" },
  { key: 'batch_size', kind: 'int', min: 1, max: TRAIN_FILE_SIZE, maxWhy: 'the training file holds 60,000 images', help: 'training batch size' },
  { key: 'valid_size', kind: 'int', min: 0, help: 'validation images, taken from the start of the training file' },
  { key: 'test_size', kind: 'int', min: 1, help: 'test images evaluated, from the start of the test file (the protocol uses all 10000; smaller values are for quick checks)' },
  { key: 'label_smoothing', kind: 'float', min: 0, help: 'label smoothing of training and validation targets (0 disables it)' },
  { key: 'loss', kind: 'choice', choices: LOSS_FORMS, help: "cross-entropy of the training and evaluation losses: from the 'logits' (default), or Keras' 'clipped_probabilities' (softmax output clipped to [1e-7, 1 - 1e-7]; docs/loss.md); the attacks always use the logits" },
  { key: 'reset_to', kind: 'choice', choices: RESET_TARGETS, help: "reinit_orig resets to theta_0 ('init', the paper) or to round 0's trained weights ('round0_trained', the original code)" },
  { key: 'init', kind: 'choice', choices: INITIALISERS, help: 'weight initialiser' },
  { key: 'eps', kind: 'float', min: 0, exclusiveMin: true, max: 1, maxWhy: 'pixels are in [0, 1]; the protocol uses 0.3', help: 'L-infinity attack budget' },
  { key: 'pgd_step', kind: 'float', min: 0, exclusiveMin: true, max: 1, maxWhy: 'pixels are in [0, 1]; the protocol uses 0.05', help: 'PGD step size' },
  { key: 'pgd_iters', kind: 'int', min: 1, help: 'PGD iterations' },
  { key: 'seed', kind: 'int', min: 0, max: MAX_SEED, maxWhy: 'the generator takes 32-bit seeds; a larger one would repeat a smaller seed\'s draws', help: 'seed of every random draw (initialisation, batches, PGD starts)' },
  { key: 'eval_batch_size', kind: 'int', neutral: true, min: 1, help: 'batch size for evaluation (no effect on results)' },
];

/** Check every field's type and range; returns a frozen copy. */
export function validateConfig(config: ExperimentConfig): ExperimentConfig {
  for (const field of CONFIG_FIELDS) {
    const value = config[field.key] as unknown;
    const flag = `--${field.key}`;
    if (field.kind === 'choice' && !field.choices!.includes(value as string)) {
      throw new ConfigError(`${flag} must be one of ${field.choices!.join(', ')}; got '${String(value)}'`);
    }
    if (field.kind === 'bool' && typeof value !== 'boolean') throw new ConfigError(`${flag} must be true or false; got ${asGiven(value)}`);
    if (field.kind === 'int' || field.kind === 'float') {
      const n = value as number;
      if (typeof n !== 'number' || !Number.isFinite(n) || (field.kind === 'int' && !Number.isInteger(n))) {
        throw new ConfigError(`${flag} must be ${field.kind === 'int' ? 'a whole number' : 'a number'}; got '${String(value)}'`);
      }
      if (field.min !== undefined && (field.exclusiveMin ? n <= field.min : n < field.min)) {
        throw new ConfigError(`${flag} must be ${field.exclusiveMin ? '>' : '>='} ${field.min}; got ${n}`, `the default is ${String(DEFAULT_CONFIG[field.key])}`);
      }
      if (field.max !== undefined && n > field.max) {
        throw new ConfigError(`${flag} must be at most ${field.max} (${field.maxWhy}); got ${n}`, `the default is ${String(DEFAULT_CONFIG[field.key])}`);
      }
    }
  }
  if (typeof config.prune_rates !== 'string') throw new ConfigError(`--prune_rates must be a string of name=rate pairs; got '${String(config.prune_rates)}'`);
  pruneRates(modelSpec(config.model), config.prune_rates);
  if (config.label_smoothing >= 1) throw new ConfigError(`--label_smoothing must be below 1; got ${config.label_smoothing}`);
  if (config.test_size > 10000) throw new ConfigError(`--test_size must be at most 10000 (the test set's size); got ${config.test_size}`);
  if (config.valid_size >= TRAIN_FILE_SIZE) throw new ConfigError(`--valid_size ${config.valid_size} leaves no training images`, 'use at most 59999 (the protocol uses 10000)');
  const trainImages = TRAIN_FILE_SIZE - config.valid_size;
  if (config.batch_size > trainImages) {
    throw new ConfigError(`--batch_size ${config.batch_size} is larger than the ${trainImages} training images left after --valid_size ${config.valid_size}`, 'the protocol uses 60');
  }
  return Object.freeze({ ...config });
}

/**
 * The experiment id: 'default' when every result-changing field outside the directory layout has its default,
 * otherwise a readable prefix of those fields plus a hash of all of them.
 */
export function experimentId(config: ExperimentConfig): string {
  const changed = CONFIG_FIELDS.filter((f) => !f.inPath && !f.neutral && config[f.key] !== DEFAULT_CONFIG[f.key]);
  if (changed.length === 0) return 'default';
  const parts = changed.map((f) => `${f.key}=${String(config[f.key])}`);
  const hash = createHash('sha256').update(parts.join(';')).digest('hex').slice(0, 8);
  // The readable prefix keeps a folder name's characters only (prune_rates holds '=' and ','); the hash keeps the
  // values whole. Values made of those characters give the ids they always had.
  const readable = (value: unknown) => String(value).replace(/[^A-Za-z0-9._-]/g, '-');
  const prefix = changed.slice(0, 3).map((f) => `${f.key.replace(/_/g, '')}${readable(config[f.key])}`).join('_');
  return `${prefix}${changed.length > 3 ? '_etc' : ''}-${hash}`;
}

/**
 * Settings that the chosen strategy never reads: no_pruning trains one dense round (so --prune_iters and
 * --reset_to do nothing), and only reinit_orig resets (so --reset_to does nothing elsewhere).
 */
export function ignoredFields(experiment: Strategy): (keyof ExperimentConfig)[] {
  if (experiment === 'no_pruning') return ['prune_iters', 'prune_rates', 'reset_to'];
  if (experiment === 'reinit_orig') return [];
  return ['reset_to'];
}

/** Refuse settings the chosen strategy never reads when the caller gave them (they would change nothing but the id). */
export function rejectIgnoredSettings(config: ExperimentConfig, givenKeys: ReadonlySet<string>): void {
  for (const key of ignoredFields(config.experiment)) {
    if (!givenKeys.has(key)) continue;
    const why = key === 'prune_iters' ? 'trains one dense round and never prunes' : 'never resets weights (only reinit_orig does)';
    throw new ConfigError(`--${key} has no effect with --experiment ${config.experiment}, which ${why}`, `leave out --${key}`);
  }
}

/** A value as the caller wrote it, for messages: strings quoted as given, others as JSON. */
export function asGiven(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' || typeof value === 'boolean') return `'${String(value)}'`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** The known name closest to `name` by edit distance, when it is a likely typo (at most 2 edits). */
export function closestName(name: string, names: readonly string[]): string | undefined {
  const distance = (a: string, b: string) => {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let previous = row[0]!;
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const current = row[j]!;
        row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
        previous = current;
      }
    }
    return row[b.length]!;
  };
  const scored = names.map((n) => ({ n, d: distance(name.toLowerCase(), n.toLowerCase()) })).sort((a, b) => a.d - b.d);
  return scored[0] && scored[0].d <= 2 ? scored[0].n : undefined;
}

const FIELD_KEYS: readonly string[] = CONFIG_FIELDS.map((f) => f.key);

/**
 * A configuration from settings a caller gave (the library's object; the CLI's parsed flags go through the same
 * checks): it must be an object of known settings (unknown keys, typos included, are refused), each of the type
 * and range of CONFIG_FIELDS, and none that the strategy ignores; fields not given take `defaults`, then
 * DEFAULT_CONFIG. Settings whose value is undefined count as not given.
 */
export function configFromSettings(settings: unknown, defaults: Partial<ExperimentConfig> = {}): ExperimentConfig {
  if (settings === null || typeof settings !== 'object' || Array.isArray(settings)) {
    throw new ConfigError(`the configuration must be an object of settings, e.g. { trials: 2, train_iters: 500 }; got ${asGiven(settings)}`, 'pass {} for every default');
  }
  const entries = Object.entries(settings).filter(([, value]) => value !== undefined);
  for (const [key] of entries) {
    if (FIELD_KEYS.includes(key)) continue;
    const near = closestName(key, FIELD_KEYS);
    throw new ConfigError(`unknown setting '${key}'${near ? ` (did you mean '${near}'?)` : ''}`, `the settings are the flags of rsn train: ${FIELD_KEYS.join(', ')}`);
  }
  const config = validateConfig({ ...DEFAULT_CONFIG, ...defaults, ...Object.fromEntries(entries) } as ExperimentConfig);
  rejectIgnoredSettings(config, new Set(entries.map(([key]) => key)));
  return config;
}
