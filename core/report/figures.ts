/**
 * The paper's analysis figures as vega-lite specifications (data inline; rendering is render.ts's job):
 * - per family and metric (test accuracy, adversarial test accuracy, test loss) versus iteration, three panels:
 *   "original" in every round the runs made; original vs random reinit and original vs continued training in up
 *   to three pruned rounds (comparisonRounds). Lines are means over trials; bands span min..max over trials,
 *   drawn only where there are two trials or more.
 * - per family, the early-stopping iteration and the validation accuracies there versus % weights remaining,
 *   with ± one sd over trials where there are two trials or more.
 * - per family, distributions of the surviving initial weights per layer (weights.ts).
 * A panel without data is left out and `notes` says so; a figure with no panel is not made. Each figure's caption
 * says what it shows: the rounds, the number of trials, and what lines, bands, colours and dashes stand for.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { Strategy } from '../experiment/config.js';
import { curve, earlyStoppingStats, roundsOf, type RoundInfo } from './aggregate.js';
import { ATTACK_LABEL, STRATEGY_LABEL, type Family } from './groups.js';
import type { EvalMetric } from '../results/records.js';
import type { ConfigResult } from './results-set.js';

export interface Figure {
  /** File name without extension. */
  readonly name: string;
  readonly title: string;
  readonly caption: string;
  readonly spec: TopLevelSpec;
  /** Line series drawn (one line each; bands add one area per series in the curve figures). */
  readonly series: number;
  readonly notes: readonly string[];
}

/** Sparsities of the two comparison panels (a subset, so that two strategies stay readable). */
export const COMPARE_SPARSITIES = [51.3, 16.9, 3.6] as const;

/**
 * The rounds of a comparison panel: every pruned round when a run made at most three, else the pruned rounds
 * nearest to COMPARE_SPARSITIES (the paper's choice at the full budget; a shorter run gets its nearest ones).
 */
export function comparisonRounds(config: ConfigResult): RoundInfo[] {
  const pruned = roundsOf(config).filter((r) => r.round > 0);
  if (pruned.length <= COMPARE_SPARSITIES.length) return pruned;
  const nearest = COMPARE_SPARSITIES.map((target) => pruned.reduce((a, b) => (Math.abs(b.percent - target) < Math.abs(a.percent - target) ? b : a)));
  return [...new Set(nearest)].sort((a, b) => a.round - b.round);
}

const PANEL_WIDTH = 250;
/** A figure of one panel gets a wider one, so that its legend does not take half the canvas. */
const panelWidth = (panels: number): number => (panels === 1 ? 360 : PANEL_WIDTH);
/** Per strategy, in STRATEGY_ORDER: dash pattern, line width and opacity, so that coinciding lines all show. */
const DASHES: readonly number[][] = [[1, 0], [6, 3], [2, 2], [8, 2, 2, 2]];
const WIDTHS: readonly number[] = [3.5, 1.8, 1.5, 1.5];
const OPACITIES: readonly number[] = [0.55, 1, 1, 1];
/**
 * Ticks of the log % remaining axis, every one labelled (100 included): the values of one of these lists inside
 * the data's range, the list chosen by how many decades the range spans, so that labels never collide.
 */
const PERCENT_TICKS: readonly { maxDecades: number; values: readonly number[] }[] = [
  { maxDecades: 0.3, values: [100, 95, 90, 85, 80, 75, 70, 65, 60, 55, 50] },
  { maxDecades: 1, values: [100, 80, 60, 50, 40, 30, 20, 15, 10] },
  { maxDecades: Infinity, values: [100, 50, 20, 10, 5, 2, 1] },
];

/** The labelled ticks for a % remaining axis spanning lo..hi. */
export function percentTicks(lo: number, hi: number): number[] {
  const decades = Math.log10(hi / lo);
  const { values } = PERCENT_TICKS.find((t) => decades <= t.maxDecades)!;
  return values.filter((v) => v >= lo * 0.999 && v <= hi * 1.001);
}
const PANEL_HEIGHT = 190;
const STRATEGY_ORDER: readonly Strategy[] = ['reinit_orig', 'reinit_rand', 'reinit_none', 'no_pruning'];
export const sparsityLabel = (p: number): string => `${p.toFixed(1)}%`;

const CURVE_METRICS: readonly { metric: EvalMetric; name: string; axis: (attack: string) => string; short: string; scale: number }[] = [
  { metric: 'acc', name: 'test-acc', axis: () => 'test accuracy (%)', short: 'accuracy (%)', scale: 100 },
  { metric: 'adv_acc', name: 'test-adv-acc', axis: (a) => `${ATTACK_LABEL[a] ?? a} adversarial test accuracy (%)`, short: 'adversarial accuracy (%)', scale: 100 },
  { metric: 'loss', name: 'test-loss', axis: () => 'test loss', short: 'loss', scale: 1 },
];

interface CurveRow { panel: string; sparsity: string; strategy: string; series: string; iteration: number; mean: number; lo: number; hi: number; n: number }

/** A panel is drawn when `requires` has data in one of its rounds. */
const PANELS: readonly { title: string; strategies: readonly Strategy[]; requires: Strategy; rounds: 'all' | 'compare' }[] = [
  { title: 'original', strategies: ['reinit_orig'], requires: 'reinit_orig', rounds: 'all' },
  { title: 'original vs random reinit', strategies: ['reinit_orig', 'reinit_rand'], requires: 'reinit_rand', rounds: 'compare' },
  { title: 'original vs continued training', strategies: ['reinit_orig', 'reinit_none'], requires: 'reinit_none', rounds: 'compare' },
];

const sparsityDomain = (rows: readonly { sparsity: string }[]): string[] =>
  [...new Set(rows.map((r) => r.sparsity))].sort((a, b) => parseFloat(b) - parseFloat(a));
const strategyDomain = (rows: readonly { strategy: string }[]): string[] =>
  STRATEGY_ORDER.map((s) => STRATEGY_LABEL[s]).filter((s) => rows.some((r) => r.strategy === s));

/** A legend whose line symbols sit beside their labels, never under them; `columns` for long ones. */
const lineLegend = (entries: number) => ({ symbolType: 'stroke', symbolSize: 300, symbolStrokeWidth: 2.5, symbolOpacity: 1, labelOffset: 6, rowPadding: 1, columns: Math.ceil(entries / 7) });

/** '1 trial' / '3 trials' / '2-5 trials': the trial counts behind a figure's values. */
export function trialsPhrase(counts: readonly number[]): string {
  const lo = Math.min(...counts);
  const hi = Math.max(...counts);
  return lo === hi ? `${lo} trial${lo === 1 ? '' : 's'}` : `${lo}-${hi} trials`;
}

/** The rounds of a panel's strategy: in the comparison panels those of the comparison's own strategy. */
function panelRounds(config: ConfigResult, rounds: 'all' | 'compare', partner: ConfigResult | undefined): RoundInfo[] {
  if (rounds === 'all') return roundsOf(config);
  const chosen = comparisonRounds(partner ?? config).map((r) => r.round);
  return roundsOf(config).filter((r) => chosen.includes(r.round));
}

export function curveFigures(family: Family): Figure[] {
  const attack = family.strategies.reinit_orig?.config.attack ?? Object.values(family.strategies)[0]!.config.attack;
  return CURVE_METRICS.flatMap(({ metric, name, axis, short, scale }) => {
    const notes: string[] = [];
    const panels: { title: string; rows: CurveRow[] }[] = [];
    for (const panel of PANELS) {
      const rows: CurveRow[] = [];
      const partner = family.strategies[panel.requires];
      for (const strategy of panel.strategies) {
        const config = family.strategies[strategy];
        if (!config) continue;
        for (const info of panelRounds(config, panel.rounds, partner)) {
          const sparsity = sparsityLabel(info.percent);
          for (const { iteration, stat } of curve(config, info.round, 'test', metric)) {
            if (stat.n === 0) continue;
            rows.push({ panel: panel.title, sparsity, strategy: STRATEGY_LABEL[strategy], series: `${sparsity} ${STRATEGY_LABEL[strategy]}`,
              iteration, mean: scale * stat.mean, lo: scale * stat.min, hi: scale * stat.max, n: stat.n });
          }
        }
      }
      const required = STRATEGY_LABEL[panel.requires];
      if (!rows.some((r) => r.strategy === required)) notes.push(`panel '${panel.title}' omitted: no ${panel.requires} results`);
      else panels.push({ title: panel.title, rows });
    }
    if (panels.length === 0) return [];
    const all = panels.flatMap((p) => p.rows);
    const sparsities = sparsityDomain(all);
    const strategies = strategyDomain(all);
    const banded = all.some((r) => r.n >= 2);
    const trials = trialsPhrase(all.map((r) => r.n));
    const color = { field: 'sparsity', type: 'nominal', title: '% remaining', scale: { domain: sparsities, scheme: 'viridis' }, legend: lineLegend(sparsities.length) } as const;
    // One strategy needs no strategy legend; several differ in dash, width and opacity (one legend), so that where
    // two strategies' lines coincide (round 1 of reset and continued training) the first's wide, pale line stays
    // visible around the others' narrow dashed ones.
    const legend = strategies.length > 1 ? lineLegend(strategies.length) : null;
    const dash = { field: 'strategy', type: 'nominal', title: 'strategy', scale: { domain: strategies, range: DASHES.slice(0, strategies.length) }, legend } as const;
    const strokeWidth = { field: 'strategy', type: 'ordinal', sort: strategies, scale: { domain: strategies, range: WIDTHS.slice(0, strategies.length) }, title: 'strategy', legend } as const;
    const opacity = { field: 'strategy', type: 'ordinal', sort: strategies, scale: { domain: strategies, range: OPACITIES.slice(0, strategies.length) }, title: 'strategy', legend } as const;
    const x = { field: 'iteration', type: 'quantitative', title: 'training iteration' } as const;
    const y = { field: 'mean', type: 'quantitative', title: short, scale: { zero: false } } as const;
    const band = { mark: { type: 'area', opacity: 0.15 }, transform: [{ filter: 'datum.n >= 2' }], encoding: { x, y: { field: 'lo', type: 'quantitative', title: short, scale: { zero: false } }, y2: { field: 'hi' }, color, detail: { field: 'series' } } };
    const line = { mark: { type: 'line' }, encoding: { x, y, color, strokeDash: dash, strokeWidth, opacity, detail: { field: 'series' } } };
    const spec = {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: { text: `${axis(attack)} vs iteration`, subtitle: [family.label, banded ? `lines: mean over ${trials}, bands: min..max` : `lines: ${trials}, so no band`] },
      hconcat: panels.map((p) => ({ title: p.title, width: panelWidth(panels.length), height: PANEL_HEIGHT, data: { values: p.rows }, layer: banded ? [band, line] : [line] })),
      resolve: { scale: { color: 'shared', strokeDash: 'shared', strokeWidth: 'shared', opacity: 'shared' } },
    } as unknown as TopLevelSpec;
    const series = panels.reduce((n, p) => n + new Set(p.rows.map((r) => r.series)).size, 0);
    const rounds = panels.map((p) => `${p.title}: ${sparsityDomain(p.rows).join(', ')}`).join('; ');
    return [{ name: `${family.slug}-${name}`, title: `${axis(attack)} vs iteration: ${family.label}`, spec, series, notes,
      caption: `The ${axis(attack)} during each round's training (${trials}): ${banded ? 'lines are means over trials, bands span min..max over trials' : 'one line per round, no band (a band needs two trials)'}; ` +
        `colour: % of weights remaining${strategies.length > 1 ? ', dash: strategy' : ''}. Rounds shown (% remaining), ${rounds}.` }];
  });
}

interface EsRow { panel: string; strategy: string; percent: number; mean: number; lo: number; hi: number; n: number }

const ES_PANELS = [
  { key: 'iteration', title: 'early-stopping iteration', axis: 'iteration', scale: 1 },
  { key: 'valid_adv_acc', title: 'adversarial validation accuracy', axis: 'accuracy (%)', scale: 100 },
  { key: 'valid_acc', title: 'validation accuracy', axis: 'accuracy (%)', scale: 100 },
] as const;

export function earlyStoppingFigure(family: Family): Figure[] {
  const notes: string[] = [];
  const panels = ES_PANELS.map((panel) => {
    const rows: EsRow[] = [];
    for (const strategy of STRATEGY_ORDER) {
      const config = family.strategies[strategy];
      if (!config) continue;
      for (const info of roundsOf(config)) {
        const s = earlyStoppingStats(config, info.round)[panel.key];
        if (s.n === 0) continue;
        const sd = Number.isFinite(s.sd) ? s.sd : 0;
        rows.push({ panel: panel.title, strategy: STRATEGY_LABEL[strategy], percent: info.percent,
          mean: panel.scale * s.mean, lo: panel.scale * (s.mean - sd), hi: panel.scale * (s.mean + sd), n: s.n });
      }
    }
    if (rows.length === 0) notes.push(`panel '${panel.title}' omitted: no early-stopping records with this value`);
    return { ...panel, rows };
  }).filter((p) => p.rows.length > 0);
  if (panels.length === 0) return [];
  const all = panels.flatMap((p) => p.rows);
  const strategies = strategyDomain(all);
  const spread = all.some((r) => r.n >= 2);
  const trials = trialsPhrase(all.map((r) => r.n));
  // One legend for the strategy: colour, dash and point shape (vega-lite merges legends of one field and title).
  const legend = strategies.length > 1 ? { ...lineLegend(strategies.length), symbolType: undefined, symbolSize: 80 } : null;
  const color = { field: 'strategy', type: 'nominal', title: 'strategy', scale: { domain: strategies }, legend } as const;
  const dash = { field: 'strategy', type: 'nominal', title: 'strategy', scale: { domain: strategies, range: DASHES.slice(0, strategies.length) }, legend } as const;
  const strokeWidth = { field: 'strategy', type: 'ordinal', sort: strategies, scale: { domain: strategies, range: WIDTHS.slice(0, strategies.length) }, title: 'strategy', legend } as const;
  const shape = { field: 'strategy', type: 'nominal', title: 'strategy', scale: { domain: strategies, range: ['circle', 'square', 'triangle-up', 'diamond'].slice(0, strategies.length) }, legend } as const;
  const percents = all.map((r) => r.percent);
  const [lo, hi] = [Math.min(...percents), Math.max(...percents)];
  const values = percentTicks(lo, hi);
  const x = {
    field: 'percent', type: 'quantitative', title: '% of weights remaining (log scale)',
    scale: { type: 'log', reverse: true, nice: false, domain: [lo / 1.05, hi * 1.05] },
    axis: { values, labelOverlap: false, format: '~g' },
  } as const;
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Early stopping vs % of weights remaining', subtitle: [family.label, `minimum validation loss; ${spread ? `mean ± sd over ${trials}` : `${trials}, so no error bar`}`] },
    hconcat: panels.map((p) => {
      const y = { field: 'mean', type: 'quantitative', title: p.axis, scale: { zero: false }, axis: { format: p.key === 'iteration' ? ',d' : '' } } as const;
      const bars = { mark: { type: 'rule', opacity: 0.6 }, transform: [{ filter: 'datum.n >= 2' }], encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color } };
      return {
        title: p.title, width: panelWidth(panels.length), height: PANEL_HEIGHT, data: { values: p.rows },
        layer: [
          ...(spread ? [bars] : []),
          { mark: { type: 'line' }, encoding: { x, y, color, strokeDash: dash, strokeWidth } },
          { mark: { type: 'point', filled: true, size: 30, opacity: 0.8 }, encoding: { x, y, color, shape } },
        ],
      };
    }),
    resolve: { scale: { color: 'shared', strokeDash: 'shared', shape: 'shared' } },
  } as unknown as TopLevelSpec;
  const series = panels.reduce((n, p) => n + new Set(p.rows.map((r) => r.strategy)).size, 0);
  return [{ name: `${family.slug}-early-stopping`, title: `Early stopping: ${family.label}`, spec, series, notes,
    caption: `Per round (every round the runs made, ${trials}): the iteration of minimum validation loss, and the adversarial and natural ` +
      `validation accuracy there${spread ? '; points are means, bars ± one sd over trials' : ''}.` }];
}
