/**
 * The records of a results directory, one definition each: what the runner computes, the store writes and the
 * report reads. Accuracies are fractions in [0, 1]; losses are the mean over the examples of the set.
 */

/** The columns of train.csv and of valid.csv / test.csv, in file order. */
export const TRAIN_COLUMNS = ['batch', 'loss', 'acc', 'adv_acc'] as const;
export const EVAL_COLUMNS = ['batch', 'loss', 'acc', 'adv_acc', 'adv_loss'] as const;

export const EVAL_METRICS = ['loss', 'acc', 'adv_acc', 'adv_loss'] as const;
export type EvalMetric = (typeof EVAL_METRICS)[number];
/** One row of valid.csv or test.csv: the evaluation after `batch` training iterations. */
export type EvalRow = { readonly batch: number } & { readonly [M in EvalMetric]: number };

/** Natural and adversarial loss and accuracy over one whole set. */
export interface SplitMetrics {
  loss: number;
  acc: number;
  adv_acc: number;
  adv_loss: number;
}

/** The evaluation with the lowest validation loss (round.ts, earlyStopping). */
export interface EarlyStopping {
  iteration: number;
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
  early_stopping: EarlyStopping;
  final: { iteration: number; valid: SplitMetrics; test: SplitMetrics };
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
  rounds: { round: number; wall_seconds: number; backend: string }[];
}

