/**
 * The results as tidy tables for pandas, R or a spreadsheet (docs/results.md, "The report's CSV files", documents every column):
 * - results.csv:   one row per trial x round x evaluation x split (train, valid, test), every setting a column
 * - summaries.csv: one row per trial x round, the round's summary.json flattened
 * - rounds.csv:    one row per configuration x round, mean / sd / n over trials at the report's iteration
 * Accuracies are fractions in [0, 1] everywhere here; percent_remaining is a percentage (its name says so).
 */
import { existsSync } from 'node:fs';
import { CONFIG_FIELDS } from '../experiment/config.js';
import { readCsv, type CsvRow } from '../results/csv.js';
import { metricsFile } from '../results/paths.js';
import { modelSpec } from '../nn/models/index.js';
import { EVAL_METRICS } from '../results/records.js';
import { aggregateAt, earlyStoppingStats, roundsOf, wallSeconds, type Stat } from './aggregate.js';
import type { ConfigResult, ResultsSet, RoundResult, TrialResult } from './results-set.js';

/**
 * A setting's column: its config.json key, except where that would repeat a metric's column in results.csv
 * (`loss`, the loss form logits / clipped_probabilities, beside the `loss` metric).
 */
const RENAMED_SETTINGS: Readonly<Partial<Record<string, string>>> = { loss: 'loss_form' };
export const settingColumn = (key: string): string => RENAMED_SETTINGS[key] ?? key;

/** The settings of a configuration, first in every table: where it lies, then every field of config.json. */
export const SETTING_COLUMNS: readonly string[] = ['experiment_id', 'config', ...CONFIG_FIELDS.map((f) => settingColumn(f.key))];

export const RESULTS_COLUMNS: readonly string[] = [
  ...SETTING_COLUMNS, 'backend', 'trial', 'round', 'percent_remaining', 'remaining_weights', 'iteration', 'step', 'split',
  'loss', 'acc', 'adv_acc', 'adv_loss', 'is_early_stopping', 'is_final',
];

const settings = (c: ConfigResult): CsvRow => {
  const row: CsvRow = { experiment_id: c.experimentId, config: c.key };
  for (const field of CONFIG_FIELDS) {
    const value = c.config[field.key];
    row[settingColumn(field.key)] = typeof value === 'boolean' ? (value ? 'True' : 'False') : value;
  }
  return row;
};

const bool = (b: boolean): string => (b ? 'True' : 'False');
/** The unmasked weights of a round: its model's kernels (biases, never pruned, are not counted). */
const total = (c: ConfigResult, r: RoundResult): number =>
  modelSpec(c.config.model).parameters.reduce((n, p, i) => n + (p.kind === 'kernel' ? (r.summary.remaining[i] ?? NaN) : 0), 0);

/** The backend that trained a round: its entry in the manifest, else the trial's first backend ('' without a manifest). */
export const roundBackend = (trial: TrialResult, round: number): string =>
  (Array.isArray(trial.manifest?.rounds) ? trial.manifest.rounds : []).find((r) => r.round === round)?.backend ?? trial.manifest?.backend ?? '';

/** train.csv of a round (absent in results written by hand or truncated: no train rows then); an archive's own rows. */
function trainRows(round: RoundResult): CsvRow[] {
  if (round.train) return round.train as unknown as CsvRow[];
  const file = metricsFile(round.dir, 'train');
  return existsSync(file) ? readCsv(file) : [];
}

function* trialRounds(set: ResultsSet): Generator<{ config: ConfigResult; trial: TrialResult; round: RoundResult }> {
  for (const config of set.configs) for (const trial of config.trials) for (const round of trial.rounds) yield { config, trial, round };
}

/** results.csv's rows. */
export function resultsRows(set: ResultsSet): CsvRow[] {
  const rows: CsvRow[] = [];
  for (const { config, trial, round } of trialRounds(set)) {
    const base: CsvRow = {
      ...settings(config), backend: roundBackend(trial, round.round), trial: trial.trial, round: round.round,
      percent_remaining: round.summary.percent_remaining, remaining_weights: total(config, round),
    };
    const finalIteration = round.summary.final.iteration;
    const esIteration = round.summary.early_stopping.iteration;
    const splits: [string, readonly CsvRow[]][] = [['train', trainRows(round)], ['valid', round.valid as unknown as CsvRow[]], ['test', round.test as unknown as CsvRow[]]];
    for (const [split, list] of splits) {
      for (const row of list) {
        const iteration = row.batch as number;
        rows.push({
          ...base, iteration, step: row.step ?? iteration, split, loss: row.loss ?? NaN, acc: row.acc ?? NaN, adv_acc: row.adv_acc ?? NaN,
          adv_loss: split === 'train' ? '' : (row.adv_loss ?? NaN),
          is_early_stopping: bool(iteration === esIteration), is_final: bool(iteration === finalIteration),
        });
      }
    }
  }
  return rows;
}

const SPLIT_FIELDS = ['loss', 'acc', 'adv_acc', 'adv_loss'] as const;
const ES_FIELDS = ['iteration', 'step', 'valid_loss', 'valid_acc', 'valid_adv_acc', 'test_loss', 'test_acc', 'test_adv_acc'] as const;

/** The parameters of the set's models, in the order they first appear (remaining_<name> columns). */
const parameterNames = (set: ResultsSet): string[] =>
  [...new Set(set.configs.flatMap((c) => modelSpec(c.config.model).parameters.map((p) => p.name)))];

/** summaries.csv's columns: one remaining_<parameter> column per parameter of the set's models. */
export const summaryColumns = (set: ResultsSet): string[] => [
  ...SETTING_COLUMNS, 'backend', 'trial', 'round', 'percent_remaining', 'remaining_weights', ...parameterNames(set).map((p) => `remaining_${p}`),
  'wall_seconds', ...ES_FIELDS.map((f) => `es_${f}`),
  'final_iteration', 'final_step', ...['valid', 'test'].flatMap((s) => SPLIT_FIELDS.map((f) => `final_${s}_${f}`)),
];

/** summaries.csv's rows: each round's summary.json, flattened. */
export function summaryRows(set: ResultsSet): CsvRow[] {
  return [...trialRounds(set)].map(({ config, trial, round }) => {
    const s = round.summary;
    const row: CsvRow = {
      ...settings(config), backend: roundBackend(trial, round.round), trial: trial.trial, round: round.round,
      percent_remaining: s.percent_remaining, remaining_weights: total(config, round), wall_seconds: s.wall_seconds,
      final_iteration: s.final.iteration, final_step: s.final.step ?? s.final.iteration,
    };
    for (const name of parameterNames(set)) row[`remaining_${name}`] = NaN;
    modelSpec(config.config.model).parameters.forEach((p, i) => { row[`remaining_${p.name}`] = s.remaining[i] ?? NaN; });
    // Summaries written before the step was recorded: the step is the iteration (the default schedule's rule).
    for (const f of ES_FIELDS) row[`es_${f}`] = f === 'step' ? (s.early_stopping.step ?? s.early_stopping.iteration) : s.early_stopping[f];
    for (const split of ['valid', 'test'] as const) for (const f of SPLIT_FIELDS) row[`final_${split}_${f}`] = s.final[split][f];
    return row;
  });
}

const statColumns = (name: string): string[] => [`${name}_mean`, `${name}_sd`];

export const ROUND_COLUMNS: readonly string[] = [
  ...SETTING_COLUMNS, 'round', 'percent_remaining', 'n_trials', 'iteration',
  ...['valid', 'test'].flatMap((s) => EVAL_METRICS.flatMap((m) => statColumns(`${s}_${m}`))),
  ...statColumns('es_iteration'), ...statColumns('es_valid_acc'), ...statColumns('es_valid_adv_acc'), ...statColumns('es_test_acc'), ...statColumns('es_test_adv_acc'),
  ...statColumns('wall_seconds'),
];

const putStat = (row: CsvRow, name: string, s: Stat): void => {
  row[`${name}_mean`] = s.mean;
  row[`${name}_sd`] = s.sd;
};

/** rounds.csv's rows: per configuration and round, statistics over trials at the evaluation at or below `iteration`. */
export function roundRows(set: ResultsSet, iteration: number): CsvRow[] {
  const rows: CsvRow[] = [];
  for (const config of set.configs) {
    for (const info of roundsOf(config)) {
      const aggregate = aggregateAt(config, info.round, iteration);
      if (!aggregate) continue;
      const row: CsvRow = { ...settings(config), round: info.round, percent_remaining: aggregate.percent, n_trials: aggregate.n, iteration: aggregate.iterations.join(';') };
      for (const split of ['valid', 'test'] as const) for (const m of EVAL_METRICS) putStat(row, `${split}_${m}`, aggregate[split][m]);
      const es = earlyStoppingStats(config, info.round);
      putStat(row, 'es_iteration', es.iteration);
      putStat(row, 'es_valid_acc', es.valid_acc);
      putStat(row, 'es_valid_adv_acc', es.valid_adv_acc);
      putStat(row, 'es_test_acc', es.test_acc);
      putStat(row, 'es_test_adv_acc', es.test_adv_acc);
      putStat(row, 'wall_seconds', wallSeconds(config, info.round));
      rows.push(row);
    }
  }
  return rows;
}
