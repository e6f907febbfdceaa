/**
 * The records of a results directory, one definition each: what the runner computes, the store writes and the
 * report reads. Accuracies are fractions in [0, 1]; losses are the mean over the examples of the set.
 */

/** The columns of train.csv and of valid.csv / test.csv, in file order. */
export const TRAIN_COLUMNS = ['batch', 'loss', 'acc', 'adv_acc'] as const;
export const EVAL_COLUMNS = ['batch', 'loss', 'acc', 'adv_acc', 'adv_loss'] as const;

/**
 * The last column of all three under the evaluation schedules 'original' and 'paper_row': training steps before
 * the evaluation, where `batch` holds the original's counter (experiment/schedule.ts).
 */
export const STEP_COLUMN = 'step';

export const EVAL_METRICS = ['loss', 'acc', 'adv_acc', 'adv_loss'] as const;
export type EvalMetric = (typeof EVAL_METRICS)[number];
/**
 * One row of valid.csv or test.csv as the report reads it: the evaluation labelled `batch`, after `step`
 * training steps (the step column, or the batch column in files without one).
 */
export type EvalRow = { readonly batch: number; readonly step: number } & { readonly [M in EvalMetric]: number };

/** Natural and adversarial loss and accuracy over one whole set. */
export interface SplitMetrics {
  loss: number;
  acc: number;
  adv_acc: number;
  adv_loss: number;
}

/** The evaluation with the lowest validation loss (experiment/round.ts, earlyStopping). */
export interface EarlyStopping {
  /** The evaluation's label in the CSVs' batch column. */
  iteration: number;
  /** Training steps before that evaluation (the same as `iteration` under the default schedule). */
  step: number;
  valid_loss: number;
  valid_acc: number;
  valid_adv_acc: number;
  test_loss: number;
  test_acc: number;
  test_adv_acc: number;
}

/** prune_iter_YY/summary.json, written last: its presence marks the round complete. */
export interface RoundSummary {
  round: number;
  percent_remaining: number;
  remaining: number[];
  train_iters: number;
  wall_seconds: number;
  /** rsn's criterion: the lowest natural validation loss. */
  early_stopping: EarlyStopping;
  /** The original's criterion: the lowest validation objective (0.5 natural + 0.5 adversarial loss when adv_train). */
  early_stopping_original: EarlyStopping;
  /** The last evaluation of the round. */
  final: { iteration: number; step: number; valid: SplitMetrics; test: SplitMetrics };
}

/** trial_XX/manifest.json. */
export interface TrialManifest {
  trial: number;
  seed: number;
  backend: string;
  /** rsn, node, and each installed package rsn runs on (tfjs-core, tfjs-backend-wasm, rsn-native, ...). */
  versions: Record<string, string>;
  /** rsn's git commit, when rsn ran from a git checkout of itself; commit_dirty: tracked files had changes. */
  commit?: string;
  commit_dirty?: boolean;
  /** What the caller knows of the backend: BLAS build, threads, tfjs backend and its features, the adapter. */
  backend_details?: Record<string, string | number | boolean>;
  machine: Record<string, string | number>;
  /**
   * Per round: networks, how many networks were trained together as one computation (absent: 1); commit and
   * rsn, the code that trained it (a trial resumed by a newer version holds rounds of both).
   */
  rounds: { round: number; wall_seconds: number; backend: string; networks?: number; commit?: string; rsn?: string }[];
}

