/**
 * The lottery-ticket reset the paper describes (theta_0, `--reset_to init`) beside the one its code ran (round 0's
 * trained weights, `--reset_to round0_trained`): for configurations that differ only in reset_to, per round, the test
 * accuracy and adversarial test accuracy at one evaluation (the paper's, by default) and the early-stopping iteration
 * (the iteration of minimum validation loss: the lottery-ticket signature), as a table and a figure.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ResetTarget } from '../experiment/config.js';
import { aggregateAt, earlyStoppingStats, roundsOf, type Stat } from './aggregate.js';
import { percentTicks, type Figure } from './figures.js';
import { ATTACK_LABEL, DATASET_LABEL } from './groups.js';
import type { ConfigResult, ResultsSet } from './results-set.js';

export const RESET_LABEL: Readonly<Record<ResetTarget, string>> = {
  round0_trained: "round 0's trained weights (the code)",
  init: 'theta_0 (the paper)',
};
const RESETS: readonly ResetTarget[] = ['round0_trained', 'init'];

export interface ResetPair {
  readonly label: string;
  readonly slug: string;
  readonly configs: Readonly<Record<ResetTarget, ConfigResult>>;
}

/** Configurations with results under both resets and equal in every other setting (the trial range aside). */
export function resetPairs(set: ResultsSet): ResetPair[] {
  const byKey = new Map<string, Partial<Record<ResetTarget, ConfigResult>>>();
  for (const c of set.configs) {
    if (c.config.experiment !== 'reinit_orig' || c.trials.length === 0) continue;
    const key = JSON.stringify({ ...c.config, reset_to: undefined, trials: undefined });
    const entry = byKey.get(key) ?? {};
    entry[c.config.reset_to] ??= c;
    byKey.set(key, entry);
  }
  return [...byKey.values()].flatMap((entry) => {
    if (!entry.init || !entry.round0_trained) return [];
    const { dataset, attack, adv_train } = entry.init.config;
    const label = `${DATASET_LABEL[dataset] ?? dataset}, ${adv_train ? `${ATTACK_LABEL[attack] ?? attack} adversarial` : 'natural'} training, ${ATTACK_LABEL[attack] ?? attack} evaluation`;
    const slug = [dataset, attack, adv_train ? 'advtrain' : 'natural', 'reset-comparison'].join('-');
    return [{ label, slug, configs: entry as Record<ResetTarget, ConfigResult> }];
  }).sort((a, b) => a.slug.localeCompare(b.slug));
}

export interface ResetRow {
  readonly reset: ResetTarget;
  readonly round: number;
  readonly percent: number;
  /** Fractions at the chosen evaluation. */
  readonly acc: Stat;
  readonly advAcc: Stat;
  readonly esIteration: Stat;
}

/** Every round of both configurations of a pair, at the evaluation at or below `iteration`. */
export function resetRows(pair: ResetPair, iteration: number): ResetRow[] {
  return RESETS.flatMap((reset) => {
    const config = pair.configs[reset];
    return roundsOf(config).flatMap(({ round }) => {
      const at = aggregateAt(config, round, iteration);
      if (!at) return [];
      return [{ reset, round, percent: at.percent, acc: at.test.acc, advAcc: at.test.adv_acc, esIteration: earlyStoppingStats(config, round).iteration }];
    });
  });
}

const cell = (s: Stat | undefined, scale: number, digits: number): string => {
  if (!s || s.n === 0) return '–';
  const value = (scale * s.mean).toFixed(digits);
  return s.n >= 2 ? `${value}±${(scale * s.sd).toFixed(digits)}, n=${s.n}` : value;
};

/** The comparison of one pair as a Markdown table: a row per round, the two resets side by side. */
export function resetComparisonTable(pair: ResetPair, iteration: number): string {
  const rows = resetRows(pair, iteration);
  const rounds = [...new Set(rows.map((r) => r.round))].sort((a, b) => a - b);
  const of = (reset: ResetTarget, round: number) => rows.find((r) => r.reset === reset && r.round === round);
  const attack = ATTACK_LABEL[pair.configs.init.config.attack] ?? pair.configs.init.config.attack;
  const lines = [
    `**${pair.label}** (test set at step ${iteration} or the evaluation below it; R0 = ${RESET_LABEL.round0_trained}, θ0 = ${RESET_LABEL.init})`,
    '',
    `| round | % remaining | accuracy R0 | accuracy θ0 | ${attack} accuracy R0 | ${attack} accuracy θ0 | early stop R0 | early stop θ0 |`,
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const round of rounds) {
    const [r0, init] = [of('round0_trained', round), of('init', round)];
    const percent = (r0 ?? init)!.percent;
    lines.push(`| ${round} | ${percent.toFixed(1)} | ${cell(r0?.acc, 100, 2)} | ${cell(init?.acc, 100, 2)} | ${cell(r0?.advAcc, 100, 2)} | ${cell(init?.advAcc, 100, 2)} | ${cell(r0?.esIteration, 1, 0)} | ${cell(init?.esIteration, 1, 0)} |`);
  }
  return lines.join('\n');
}

/** Every pair's table, one after another ('' when no configuration was run under both resets). */
export const resetComparisonTables = (set: ResultsSet, iteration: number): string =>
  resetPairs(set).map((pair) => resetComparisonTable(pair, iteration)).join('\n\n');

const PANELS = [
  { key: 'acc', title: 'test accuracy', axis: 'accuracy (%)', scale: 100 },
  { key: 'advAcc', title: 'adversarial test accuracy', axis: 'accuracy (%)', scale: 100 },
  { key: 'esIteration', title: 'early-stopping iteration', axis: 'iteration', scale: 1 },
] as const;

/** The comparison of each pair as a figure: three panels against % of weights remaining, a line per reset. */
export function resetComparisonFigures(set: ResultsSet, iteration: number): Figure[] {
  return resetPairs(set).map((pair) => {
    const rows = resetRows(pair, iteration);
    const attack = ATTACK_LABEL[pair.configs.init.config.attack] ?? pair.configs.init.config.attack;
    const points = PANELS.flatMap((panel) => rows.map((r) => {
      const s = r[panel.key];
      const sd = Number.isFinite(s.sd) ? s.sd : 0;
      return { panel: panel.title, reset: RESET_LABEL[r.reset], percent: r.percent, mean: panel.scale * s.mean, lo: panel.scale * (s.mean - sd), hi: panel.scale * (s.mean + sd), n: s.n };
    })).filter((p) => Number.isFinite(p.mean));
    const percents = points.map((p) => p.percent);
    const [lo, hi] = [Math.min(...percents), Math.max(...percents)];
    const x = {
      field: 'percent', type: 'quantitative', title: '% of weights remaining (log scale)',
      scale: { type: 'log', reverse: true, nice: false, domain: [lo / 1.05, hi * 1.05] },
      axis: { values: percentTicks(lo, hi), labelOverlap: false, format: '~g' },
    } as const;
    const domain = RESETS.map((r) => RESET_LABEL[r]);
    const color = { field: 'reset', type: 'nominal', title: 'reset to', scale: { domain }, legend: { symbolType: 'stroke', symbolSize: 300, labelLimit: 260 } } as const;
    const dash = { field: 'reset', type: 'nominal', title: 'reset to', scale: { domain, range: [[1, 0], [6, 3]] } } as const;
    const spread = points.some((p) => p.n >= 2);
    const spec = {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: { text: "Reset to theta_0 vs round 0's trained weights", subtitle: [pair.label, `test set at step ${iteration}${spread ? '; bars ± one sd over trials' : ''}`] },
      hconcat: PANELS.map((panel) => {
        const y = { field: 'mean', type: 'quantitative', title: panel.key === 'advAcc' ? `${attack} ${panel.axis}` : panel.axis, scale: { zero: false } } as const;
        return {
          title: panel.title, width: 230, height: 190, data: { values: points.filter((p) => p.panel === panel.title) },
          layer: [
            ...(spread ? [{ mark: { type: 'rule', opacity: 0.6 }, transform: [{ filter: 'datum.n >= 2' }], encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color } }] : []),
            { mark: { type: 'line' }, encoding: { x, y, color, strokeDash: dash } },
            { mark: { type: 'point', filled: true, size: 30 }, encoding: { x, y, color } },
          ],
        };
      }),
      resolve: { scale: { color: 'shared', strokeDash: 'shared' } },
    } as unknown as TopLevelSpec;
    return {
      name: pair.slug, title: `Reset to theta_0 vs round 0's trained weights: ${pair.label}`, spec, series: 2 * PANELS.length, notes: [],
      caption: `Per round: test accuracy and ${attack} adversarial test accuracy at step ${iteration} (or the evaluation below it), and the iteration of minimum ` +
        `validation loss, after resetting the surviving weights to theta_0 (the paper's text) or to round 0's trained weights (the paper's code).`,
    };
  });
}
