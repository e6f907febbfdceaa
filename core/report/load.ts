/**
 * Reading a results directory (the layout of core/results/paths.ts) into typed structures. The reader finds
 * configuration directories (those holding config.json) at any depth, keeps every complete round (one with a
 * summary.json), and says in `notes` what it skipped: incomplete rounds, trials without a manifest.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { RsnError } from '../errors.js';
import { DEFAULT_CONFIG, type ExperimentConfig } from '../experiment/config.js';
import * as paths from '../results/paths.js';
import { parseCsv } from '../results/csv.js';
import { roundDamage } from '../results/verify.js';
import { isArchive, loadArchive } from './archive.js';
import { modelSpec, type ModelSpec } from '../nn/model.js';
import { EVAL_COLUMNS, STEP_COLUMN, type EvalRow, type RoundSummary, type TrialManifest } from '../results/records.js';
import type { ConfigResult, ResultsSet, RoundResult, TrialResult } from './results-set.js';

/** There is nothing to report on: no directory, no configuration, or no completed round. */
export class NoResultsError extends RsnError {
  constructor(message: string) {
    super(message, 'run rsn train or rsn bench first, and point rsn report at its --base_dir');
  }
}

/** What to do about a damaged results file, by what it is. */
function repairHint(file: string): string {
  if (basename(file) === 'config.json') {
    return `delete it (rm '${file}') and run the rsn train or rsn bench command that made these results again: it writes config.json anew and keeps the trials' rounds; or move ${dirname(file)} out of the results`;
  }
  if (basename(file) === 'manifest.json') {
    return `delete it (rm '${file}'): the report then takes timings from the round summaries, and the next rsn train run of this trial writes a new one`;
  }
  return 'delete the round directory holding it (it is recomputed by rerunning the same command) or move it away';
}

/** A results file that cannot be read as what it should be; the message names the file and what to do. */
export class CorruptResultsError extends RsnError {
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`, repairHint(file));
  }
}

export type { ConfigResult, ResultsSet, RoundResult, TrialResult } from './results-set.js';

const TRIAL_DIR = /^trial_(\d+)$/;
const ROUND_DIR = /^prune_iter_(\d+)$/;
const SKIP_WHEN_SCANNING = /^(trial_\d+|prune_iter_\d+|init_kernels|masks|post_kernels|node_modules|\..*)$/;

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CorruptResultsError(file, `cannot be read (${(error as Error).message})`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CorruptResultsError(file, `is not valid JSON (${(error as Error).message})`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Check that `keys` hold numbers; with `nullIsNaN`, null (how JSON writes NaN) is accepted and read as NaN. */
function requireNumbers(file: string, object: unknown, keys: readonly string[], where: string, nullIsNaN = false): void {
  if (!isObject(object)) throw new CorruptResultsError(file, `${where || 'the file'} is not a JSON object`);
  for (const key of keys) {
    if (nullIsNaN && object[key] === null) object[key] = NaN;
    if (typeof object[key] !== 'number') throw new CorruptResultsError(file, `${where ? `${where}.` : ''}${key} is missing or not a number`);
  }
}

function readSummary(file: string): RoundSummary {
  const raw = readJson(file);
  requireNumbers(file, raw, ['round', 'percent_remaining', 'train_iters', 'wall_seconds'], '');
  const summary = raw as Record<string, unknown>;
  requireNumbers(file, summary.early_stopping, ['iteration'], 'early_stopping');
  // Without a validation set (valid_size 0) or after divergence the values are NaN, which JSON writes as null.
  requireNumbers(file, summary.early_stopping, ['valid_loss', 'valid_acc', 'valid_adv_acc', 'test_loss', 'test_acc', 'test_adv_acc'], 'early_stopping', true);
  if (!Array.isArray(summary.remaining)) throw new CorruptResultsError(file, 'remaining is missing or not a list');
  return raw as RoundSummary;
}

/** An evaluation CSV (valid.csv / test.csv): the columns of EVAL_COLUMNS (and maybe step), numbers or 'nan'. */
export function readEvalCsv(file: string): EvalRow[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CorruptResultsError(file, `cannot be read (${(error as Error).message})`);
  }
  const header = (text.split('\n', 1)[0] ?? '').trim().split(',');
  const missing = EVAL_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length > 0) throw new CorruptResultsError(file, `lacks the column(s) ${missing.join(', ')} (header: '${header.join(',')}')`);
  const rows = parseCsv(text);
  rows.forEach((row, i) => {
    for (const column of EVAL_COLUMNS) {
      if (typeof row[column] !== 'number') throw new CorruptResultsError(file, `line ${i + 2}: ${column} is '${String(row[column])}', not a number`);
    }
    if (header.includes(STEP_COLUMN) && typeof row[STEP_COLUMN] !== 'number') {
      throw new CorruptResultsError(file, `line ${i + 2}: ${STEP_COLUMN} is '${String(row[STEP_COLUMN])}', not a number`);
    }
  });
  return rows.map((row) => ({ ...row, step: header.includes(STEP_COLUMN) ? row[STEP_COLUMN] : row.batch })) as unknown as EvalRow[];
}

function readConfig(file: string): { experimentId: string; config: ExperimentConfig; defaulted: string[] } {
  const raw = readJson(file);
  if (!isObject(raw) || !isObject(raw.config)) throw new CorruptResultsError(file, "has no 'config' object");
  const given = raw.config;
  for (const key of ['dataset', 'experiment', 'attack'] as const) {
    if (typeof given[key] !== 'string') throw new CorruptResultsError(file, `config.${key} is missing or not a string`);
  }
  if (typeof given.adv_train !== 'boolean') throw new CorruptResultsError(file, 'config.adv_train is missing or not true/false');
  const defaulted = Object.keys(DEFAULT_CONFIG).filter((k) => !(k in given));
  const experimentId = typeof raw.experiment_id === 'string' ? raw.experiment_id : 'unknown';
  return { experimentId, config: { ...DEFAULT_CONFIG, ...given } as ExperimentConfig, defaulted };
}

const numbered = (dir: string, pattern: RegExp): { n: number; name: string }[] =>
  readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && pattern.test(e.name))
    .map((e) => ({ n: Number(pattern.exec(e.name)![1]), name: e.name }))
    .sort((a, b) => a.n - b.n);

function loadTrial(dir: string, trial: number, label: string, spec: ModelSpec, notes: string[]): TrialResult {
  const manifestFile = paths.trialManifest(dir);
  let manifest: TrialManifest | undefined;
  if (existsSync(manifestFile)) manifest = readJson(manifestFile) as TrialManifest;
  else notes.push(`${label}: no manifest.json (timings are taken from the round summaries)`);
  const rounds: RoundResult[] = [];
  const incomplete: number[] = [];
  for (const { n, name } of numbered(dir, ROUND_DIR)) {
    const roundDir = join(dir, name);
    const summaryFile = paths.roundSummary(roundDir);
    if (!existsSync(summaryFile)) {
      incomplete.push(n);
      continue;
    }
    const summary = readSummary(summaryFile);
    if (summary.round !== n) throw new CorruptResultsError(summaryFile, `says round ${summary.round} but lies in ${name}`);
    const valid = readEvalCsv(paths.metricsFile(roundDir, 'valid'));
    const test = readEvalCsv(paths.metricsFile(roundDir, 'test'));
    // Every other file a complete round holds, headers and sizes (results/verify.ts), as rsn train checks what it
    // keeps; weights of any shape are read, so long as the files of one parameter agree.
    const damage = roundDamage(roundDir, spec, { modelShapes: false });
    if (damage) throw new CorruptResultsError(damage.file, damage.problem);
    rounds.push({ round: n, dir: roundDir, summary, valid, test });
  }
  if (incomplete.length > 0) notes.push(`${label}: round(s) ${incomplete.join(', ')} incomplete (no summary.json), ignored`);
  return { trial, dir, manifest, rounds };
}

function loadConfig(root: string, dir: string, notes: string[]): ConfigResult {
  const key = relative(root, dir).split(sep).join('/') || '.';
  const { experimentId, config, defaulted } = readConfig(paths.configFile(dir));
  if (defaulted.length > 0) notes.push(`${key}: config.json lacks ${defaulted.join(', ')}; the defaults are assumed`);
  let spec: ModelSpec;
  try {
    spec = modelSpec(config.model);
  } catch (error) {
    throw new CorruptResultsError(paths.configFile(dir), `config.model: ${(error as Error).message.split('\n')[0]}`);
  }
  const trials = numbered(dir, TRIAL_DIR).map(({ n, name }) => loadTrial(join(dir, name), n, `${key}/${name}`, spec, notes));
  const empty = trials.filter((t) => t.rounds.length === 0);
  if (trials.length === 0) notes.push(`${key}: no trial directories yet`);
  else if (empty.length > 0) notes.push(`${key}: trial(s) ${empty.map((t) => t.trial).join(', ')} have no complete round, ignored`);
  return { dir, key, experimentId, config, trials: trials.filter((t) => t.rounds.length > 0) };
}

/** Every directory under `dir` (itself included) that holds config.json; trial directories are not entered. */
export function findConfigDirs(dir: string): string[] {
  if (existsSync(paths.configFile(dir))) return [dir];
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && !SKIP_WHEN_SCANNING.test(entry.name)) found.push(...findConfigDirs(join(dir, entry.name)));
  }
  return found.sort();
}

/** Load every configuration under `root`. Throws NoResultsError when there is no completed round at all. */
export function loadResults(root: string): ResultsSet {
  if (!existsSync(root)) throw new NoResultsError(`results directory '${root}' does not exist`);
  if (!statSync(root).isDirectory()) throw new NoResultsError(`'${root}' is not a directory`);
  const configDirs = findConfigDirs(root);
  if (configDirs.length === 0 && isArchive(root)) return loadArchive(root);
  if (configDirs.length === 0) throw new NoResultsError(`no results under '${root}' (no config.json at any depth, nor an archive's results.csv and summaries.csv)`);
  const notes: string[] = [];
  const configs = configDirs.map((dir) => loadConfig(root, dir, notes));
  if (configs.every((c) => c.trials.length === 0)) {
    throw new NoResultsError(`'${root}' holds ${configs.length} configuration(s) but no completed pruning round yet`);
  }
  return { root, configs, notes };
}
