/**
 * Statistics over trials: mean ± sample standard deviation per (configuration, round), at a chosen iteration
 * (the nearest evaluation at or below it), and per-iteration curves for the figures.
 */
import type { EarlyStopping, EvalMetric, EvalRow } from '../results/records.js';
import type { ConfigResult, RoundResult } from './results-set.js';

/** The sparsities (% of weights remaining) of the paper's tables and "original" panels. */
export const PAPER_SPARSITIES = [100, 51.3, 16.9, 8.7, 3.6, 1.8] as const;

/**
 * A round stands for a target sparsity when its % remaining is within 10% (relative) of the target. The
 * schedule (20% / 20% / 10% per round) moves the total by a factor of about 1.25 per round, so at most one
 * round qualifies, and a run that stopped early is not passed off as a sparser one.
 */
export const SPARSITY_MATCH = 0.1;

export interface Stat {
  readonly mean: number;
  /** Sample standard deviation (n - 1 denominator). */
  readonly sd: number;
  /** Population standard deviation (n denominator, numpy's np.std default; 0 for one value). */
  readonly sdPopulation: number;
  readonly n: number;
  readonly min: number;
  readonly max: number;
}

/** Mean, sample sd (NaN below two values), population sd, min and max of the finite values given. */
export function stat(values: readonly number[]): Stat {
  const xs = values.filter((v) => Number.isFinite(v));
  const n = xs.length;
  if (n === 0) return { mean: NaN, sd: NaN, sdPopulation: NaN, n: 0, min: NaN, max: NaN };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const squares = xs.reduce((a, x) => a + (x - mean) ** 2, 0);
  const sd = n < 2 ? NaN : Math.sqrt(squares / (n - 1));
  return { mean, sd, sdPopulation: Math.sqrt(squares / n), n, min: Math.min(...xs), max: Math.max(...xs) };
}

/** A statistic of fractions in percent. */
export const percentOf = (s: Stat): Stat =>
  ({ mean: 100 * s.mean, sd: 100 * s.sd, sdPopulation: 100 * s.sdPopulation, n: s.n, min: 100 * s.min, max: 100 * s.max });

/** The evaluation row with the largest training step that is <= `step` (undefined when there is none). */
export function rowAtOrBelow(rows: readonly EvalRow[], step: number): EvalRow | undefined {
  let best: EvalRow | undefined;
  for (const row of rows) if (row.step <= step && (!best || row.step > best.step)) best = row;
  return best;
}

/** The trials' results for one round (trials that lack the round are left out). */
export const roundResults = (config: ConfigResult, round: number): RoundResult[] =>
  config.trials.flatMap((t) => t.rounds.filter((r) => r.round === round));

export interface RoundInfo {
  readonly round: number;
  /** Mean over trials of percent_remaining. */
  readonly percent: number;
  readonly trials: number;
}

/** Every round with at least one complete trial, in order. */
export function roundsOf(config: ConfigResult): RoundInfo[] {
  const numbers = [...new Set(config.trials.flatMap((t) => t.rounds.map((r) => r.round)))].sort((a, b) => a - b);
  return numbers.map((round) => {
    const results = roundResults(config, round);
    return { round, percent: stat(results.map((r) => r.summary.percent_remaining)).mean, trials: results.length };
  });
}

/** The round whose % remaining is nearest to `percent`, if within SPARSITY_MATCH of it. */
export function roundNear(config: ConfigResult, percent: number): RoundInfo | undefined {
  let best: RoundInfo | undefined;
  for (const info of roundsOf(config)) {
    if (!best || Math.abs(info.percent - percent) < Math.abs(best.percent - percent)) best = info;
  }
  return best && Math.abs(best.percent - percent) <= SPARSITY_MATCH * percent ? best : undefined;
}

export type Split = 'valid' | 'test';

export interface RoundAggregate {
  readonly round: number;
  readonly percent: number;
  /** The evaluation iterations actually used (one per trial; distinct values, ascending). */
  readonly iterations: readonly number[];
  readonly n: number;
  readonly valid: Readonly<Record<EvalMetric, Stat>>;
  readonly test: Readonly<Record<EvalMetric, Stat>>;
}

const METRICS: readonly EvalMetric[] = ['loss', 'acc', 'adv_acc', 'adv_loss'];

function metricStats(rows: readonly EvalRow[]): Record<EvalMetric, Stat> {
  return Object.fromEntries(METRICS.map((m) => [m, stat(rows.map((r) => r[m]))])) as Record<EvalMetric, Stat>;
}

/** Mean ± sd over trials of every metric of one round at the evaluation at or below `iteration`. */
export function aggregateAt(config: ConfigResult, round: number, iteration: number): RoundAggregate | undefined {
  const results = roundResults(config, round);
  const picked = results.map((r) => ({ valid: rowAtOrBelow(r.valid, iteration), test: rowAtOrBelow(r.test, iteration), r }));
  const usable = picked.filter((p) => p.test !== undefined);
  if (usable.length === 0) return undefined;
  return {
    round,
    percent: stat(usable.map((p) => p.r.summary.percent_remaining)).mean,
    iterations: [...new Set(usable.map((p) => p.test!.step))].sort((a, b) => a - b),
    n: usable.length,
    valid: metricStats(usable.flatMap((p) => (p.valid ? [p.valid] : []))),
    test: metricStats(usable.map((p) => p.test!)),
  };
}

export interface CurvePoint {
  readonly iteration: number;
  readonly stat: Stat;
}

/** Per evaluation iteration, the statistic over trials of one metric of one split. */
export function curve(config: ConfigResult, round: number, split: Split, metric: EvalMetric): CurvePoint[] {
  const byIteration = new Map<number, number[]>();
  for (const r of roundResults(config, round)) {
    for (const row of r[split]) byIteration.set(row.step, [...(byIteration.get(row.step) ?? []), row[metric]]);
  }
  return [...byIteration.entries()].sort((a, b) => a[0] - b[0]).map(([iteration, values]) => ({ iteration, stat: stat(values) }));
}

/** Statistics over trials of the early-stopping record (iteration of minimum validation loss and values there). */
export function earlyStoppingStats(config: ConfigResult, round: number): Record<keyof EarlyStopping, Stat> {
  const records = roundResults(config, round).map((r) => r.summary.early_stopping);
  const keys: (keyof EarlyStopping)[] = ['iteration', 'valid_loss', 'valid_acc', 'valid_adv_acc', 'test_loss', 'test_acc', 'test_adv_acc'];
  return Object.fromEntries(keys.map((k) => [k, stat(records.map((e) => e[k]))])) as Record<keyof EarlyStopping, Stat>;
}

/** Wall-clock seconds of one round over trials (from the round summaries). */
export const wallSeconds = (config: ConfigResult, round: number): Stat =>
  stat(roundResults(config, round).map((r) => r.summary.wall_seconds));
