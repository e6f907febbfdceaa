/**
 * A results archive: the tidy CSVs rsn report writes (results.csv and summaries.csv), kept without the raw runs
 * (reproduction/ holds such archives). Read back into a ResultsSet, they give the same tables, comparison with
 * the paper and curves as the runs they came from; only what needs the raw files (the initial-weights figure,
 * the audit) is left out.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_FIELDS, validateConfig, type ExperimentConfig } from '../experiment/config.js';
import { readCsv, type CsvRow } from '../results/csv.js';
import type { EvalRow, RoundSummary, SplitMetrics, TrialManifest } from '../results/records.js';
import { modelSpec } from '../nn/models/index.js';
import { RsnError } from '../errors.js';
import { settingColumn } from './results-csv.js';
import type { ConfigResult, ResultsSet, RoundResult, TrialResult } from './results-set.js';

export const ARCHIVE_FILES = ['results.csv', 'summaries.csv'] as const;

/** An archive's CSV that is missing a column or holds a value that cannot be what its column says. */
export class ArchiveError extends RsnError {
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`, 'an archive is results.csv and summaries.csv as rsn report writes them; write them again with rsn report <results_dir> from the runs');
  }
}

/** Whether `dir` holds an archive's files. */
export const isArchive = (dir: string): boolean => ARCHIVE_FILES.every((f) => existsSync(join(dir, f)));

const number = (file: string, row: CsvRow, column: string): number => {
  const v = row[column];
  if (typeof v !== 'number') throw new ArchiveError(file, `column ${column} is '${String(v)}', not a number`);
  return v;
};

/** The configuration a row's setting columns describe, typed by each field's kind and validated. */
function configOf(file: string, row: CsvRow): ExperimentConfig {
  const config: Record<string, unknown> = {};
  for (const field of CONFIG_FIELDS) {
    const column = settingColumn(field.key);
    if (!(column in row)) throw new ArchiveError(file, `has no column ${column}`);
    const v = row[column]!;
    if (field.kind === 'bool') config[field.key] = v === 'True';
    else if (field.kind === 'int' || field.kind === 'float') config[field.key] = number(file, row, column);
    else config[field.key] = String(v);
  }
  return validateConfig(config as unknown as ExperimentConfig);
}

const splitMetrics = (file: string, row: CsvRow, prefix: string): SplitMetrics => ({
  loss: number(file, row, `${prefix}_loss`), acc: number(file, row, `${prefix}_acc`),
  adv_acc: number(file, row, `${prefix}_adv_acc`), adv_loss: number(file, row, `${prefix}_adv_loss`),
});

/** A round's summary.json from its summaries.csv row (early_stopping_original is not in the archive: rsn's criterion stands in). */
function summaryOf(file: string, row: CsvRow, config: ExperimentConfig): RoundSummary {
  const early = {
    iteration: number(file, row, 'es_iteration'), step: number(file, row, 'es_step'),
    valid_loss: number(file, row, 'es_valid_loss'), valid_acc: number(file, row, 'es_valid_acc'), valid_adv_acc: number(file, row, 'es_valid_adv_acc'),
    test_loss: number(file, row, 'es_test_loss'), test_acc: number(file, row, 'es_test_acc'), test_adv_acc: number(file, row, 'es_test_adv_acc'),
  };
  return {
    round: number(file, row, 'round'), percent_remaining: number(file, row, 'percent_remaining'),
    remaining: modelSpec(config.model).parameters.map((p) => number(file, row, `remaining_${p.name}`)),
    train_iters: config.train_iters, wall_seconds: number(file, row, 'wall_seconds'),
    early_stopping: early, early_stopping_original: early,
    final: { iteration: number(file, row, 'final_iteration'), step: number(file, row, 'final_step'), valid: splitMetrics(file, row, 'final_valid'), test: splitMetrics(file, row, 'final_test') },
  };
}

const evalRow = (file: string, row: CsvRow): EvalRow => ({
  batch: number(file, row, 'iteration'), step: number(file, row, 'step'),
  loss: number(file, row, 'loss'), acc: number(file, row, 'acc'), adv_acc: number(file, row, 'adv_acc'),
  adv_loss: row.adv_loss === '' ? NaN : number(file, row, 'adv_loss'),
});

/** The train.csv row of a results.csv row, as the report reads it (batch, its metrics, step). */
const trainRow = (file: string, row: CsvRow): Record<string, number> => ({
  batch: number(file, row, 'iteration'), step: number(file, row, 'step'),
  loss: number(file, row, 'loss'), acc: number(file, row, 'acc'), adv_acc: number(file, row, 'adv_acc'),
});

const roundKey = (row: CsvRow): string => `${String(row.config)}\u0000${String(row.trial)}\u0000${String(row.round)}`;

/** Read an archive (results.csv and summaries.csv in `dir`) as the ResultsSet of the runs it was written from. */
export function loadArchive(dir: string): ResultsSet {
  const resultsFile = join(dir, 'results.csv');
  const summariesFile = join(dir, 'summaries.csv');
  const evaluations = new Map<string, CsvRow[]>();
  for (const row of readCsv(resultsFile)) {
    const key = roundKey(row);
    evaluations.set(key, [...(evaluations.get(key) ?? []), row]);
  }
  const byConfig = new Map<string, { experimentId: string; config: ExperimentConfig; trials: Map<number, { rounds: RoundResult[]; backends: { round: number; backend: string; wall_seconds: number }[] }> }>();
  for (const row of readCsv(summariesFile)) {
    const key = String(row.config);
    if (!byConfig.has(key)) byConfig.set(key, { experimentId: String(row.experiment_id), config: configOf(summariesFile, row), trials: new Map() });
    const entry = byConfig.get(key)!;
    const trial = number(summariesFile, row, 'trial');
    if (!entry.trials.has(trial)) entry.trials.set(trial, { rounds: [], backends: [] });
    const rows = evaluations.get(roundKey(row)) ?? [];
    if (rows.length === 0) throw new ArchiveError(resultsFile, `has no rows for ${key} trial ${trial} round ${String(row.round)}, which summaries.csv lists`);
    const summary = summaryOf(summariesFile, row, entry.config);
    const of = (split: string) => rows.filter((r) => r.split === split);
    entry.trials.get(trial)!.rounds.push({
      round: summary.round, dir: '', summary,
      valid: of('valid').map((r) => evalRow(resultsFile, r)), test: of('test').map((r) => evalRow(resultsFile, r)),
      train: of('train').map((r) => trainRow(resultsFile, r)),
    });
    entry.trials.get(trial)!.backends.push({ round: summary.round, backend: String(row.backend), wall_seconds: summary.wall_seconds });
  }
  if (byConfig.size === 0) throw new ArchiveError(summariesFile, 'holds no rounds');
  const configs: ConfigResult[] = [...byConfig].map(([key, entry]) => ({
    dir: join(dir, key), key, experimentId: entry.experimentId, config: entry.config,
    trials: [...entry.trials].sort(([a], [b]) => a - b).map(([trial, t]): TrialResult => ({
      trial, dir: '', rounds: [...t.rounds].sort((a, b) => a.round - b.round),
      // Only what the report reads of a manifest: each round's backend and time.
      manifest: { trial, backend: t.backends[0]!.backend, rounds: t.backends } as unknown as TrialManifest,
    })),
  }));
  return { root: dir, configs, notes: [], archive: true };
}
