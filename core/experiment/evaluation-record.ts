/**
 * One evaluation of a running trial as a flat record: what `rsn train --log_jsonl` writes (one JSON object per
 * line) and what the API's onEvaluation callback receives. Accuracies are fractions in [0, 1]; NaN (no
 * validation set, no adversarial training) is written as null in JSON.
 */
import type { ExperimentConfig } from './config.js';
import type { CsvRow } from '../results/csv.js';

export interface EvaluationRecord {
  /** ISO 8601 time of the evaluation. */
  readonly time: string;
  readonly experiment_id: string;
  /** The configuration's results directory. */
  readonly config_dir: string;
  readonly dataset: string;
  readonly model: string;
  readonly experiment: string;
  readonly attack: string;
  readonly adv_train: boolean;
  readonly seed: number;
  readonly trial: number;
  readonly round: number;
  /** % of weights remaining in this round (100 at round 0). */
  readonly percent_remaining: number;
  /** Training iterations done in this round when evaluated (0 .. train_iters). */
  readonly iteration: number;
  readonly train_iters: number;
  /** train.csv's row: mean training objective since the previous evaluation; accuracies of the last batch. */
  readonly train_loss: number;
  readonly train_acc: number;
  readonly train_adv_acc: number;
  /** valid.csv's and test.csv's rows: whole-set natural and adversarial loss and accuracy. */
  readonly valid_loss: number;
  readonly valid_acc: number;
  readonly valid_adv_acc: number;
  readonly valid_adv_loss: number;
  readonly test_loss: number;
  readonly test_acc: number;
  readonly test_adv_acc: number;
  readonly test_adv_loss: number;
}

export interface EvaluationContext {
  readonly config: ExperimentConfig;
  readonly experimentId: string;
  readonly configDir: string;
  readonly trial: number;
  readonly round: number;
  readonly percentRemaining: number;
}

const num = (row: CsvRow, key: string): number => (typeof row[key] === 'number' ? (row[key] as number) : NaN);

export function evaluationRecord(context: EvaluationContext, iteration: number, rows: { train: CsvRow; valid: CsvRow; test: CsvRow }, now = new Date()): EvaluationRecord {
  const { config } = context;
  return {
    time: now.toISOString(), experiment_id: context.experimentId, config_dir: context.configDir,
    dataset: config.dataset, model: config.model, experiment: config.experiment, attack: config.attack, adv_train: config.adv_train,
    seed: config.seed, trial: context.trial, round: context.round, percent_remaining: context.percentRemaining,
    iteration, train_iters: config.train_iters,
    train_loss: num(rows.train, 'loss'), train_acc: num(rows.train, 'acc'), train_adv_acc: num(rows.train, 'adv_acc'),
    valid_loss: num(rows.valid, 'loss'), valid_acc: num(rows.valid, 'acc'), valid_adv_acc: num(rows.valid, 'adv_acc'), valid_adv_loss: num(rows.valid, 'adv_loss'),
    test_loss: num(rows.test, 'loss'), test_acc: num(rows.test, 'acc'), test_adv_acc: num(rows.test, 'adv_acc'), test_adv_loss: num(rows.test, 'adv_loss'),
  };
}
