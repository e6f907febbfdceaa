/**
 * The paper's analysis figures as vega-lite specifications (data inline; rendering is render.ts's job):
 * - per family and metric (test accuracy, adversarial test accuracy, test loss) versus iteration, three panels:
 *   "original" at the paper's sparsities; original vs random reinit; original vs continued training. Lines are
 *   means over trials, bands span min..max over trials.
 * - per family, the early-stopping iteration and the validation accuracies there versus % weights remaining.
 * - per family, distributions of the surviving initial weights per layer (weights.ts).
 * A panel without data is left out and `notes` says so; a figure with no panel is not made.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { Strategy } from '../experiment/config.js';
import { curve, earlyStoppingStats, PAPER_SPARSITIES, roundNear, roundsOf } from './aggregate.js';
import { ATTACK_LABEL, STRATEGY_LABEL, type Family } from './groups.js';
import type { EvalMetric } from '../results/records.js';

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

const PANEL_WIDTH = 250;
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

interface CurveRow { panel: string; sparsity: string; strategy: string; series: string; iteration: number; mean: number; lo: number; hi: number }

/** A panel is drawn when `requires` has data at one of its sparsities. */
const PANELS: readonly { title: string; strategies: readonly Strategy[]; requires: Strategy; sparsities: readonly number[] }[] = [
  { title: 'original', strategies: ['reinit_orig'], requires: 'reinit_orig', sparsities: PAPER_SPARSITIES },
  { title: 'original vs random reinit', strategies: ['reinit_orig', 'reinit_rand'], requires: 'reinit_rand', sparsities: COMPARE_SPARSITIES },
  { title: 'original vs continued training', strategies: ['reinit_orig', 'reinit_none'], requires: 'reinit_none', sparsities: COMPARE_SPARSITIES },
];

const sparsityDomain = (rows: readonly { sparsity: string }[]): string[] =>
  [...new Set(rows.map((r) => r.sparsity))].sort((a, b) => parseFloat(b) - parseFloat(a));
const strategyDomain = (rows: readonly { strategy: string }[]): string[] =>
  STRATEGY_ORDER.map((s) => STRATEGY_LABEL[s]).filter((s) => rows.some((r) => r.strategy === s));

export function curveFigures(family: Family): Figure[] {
  const attack = family.strategies.reinit_orig?.config.attack ?? Object.values(family.strategies)[0]!.config.attack;
  return CURVE_METRICS.flatMap(({ metric, name, axis, short, scale }) => {
    const notes: string[] = [];
    const panels: { title: string; rows: CurveRow[] }[] = [];
    for (const panel of PANELS) {
      const rows: CurveRow[] = [];
      for (const strategy of panel.strategies) {
        const config = family.strategies[strategy];
        if (!config) continue;
        for (const target of panel.sparsities) {
          const info = roundNear(config, target);
          if (!info) continue;
          const sparsity = sparsityLabel(info.percent);
          for (const { iteration, stat } of curve(config, info.round, 'test', metric)) {
            if (stat.n === 0) continue;
            rows.push({ panel: panel.title, sparsity, strategy: STRATEGY_LABEL[strategy], series: `${sparsity} ${STRATEGY_LABEL[strategy]}`,
              iteration, mean: scale * stat.mean, lo: scale * stat.min, hi: scale * stat.max });
          }
        }
      }
      const required = STRATEGY_LABEL[panel.requires];
      if (!rows.some((r) => r.strategy === required)) notes.push(`panel '${panel.title}' omitted: no ${panel.requires} results at ${panel.sparsities.join(', ')}% remaining`);
      else panels.push({ title: panel.title, rows });
    }
    if (panels.length === 0) return [];
    const all = panels.flatMap((p) => p.rows);
    const color = { field: 'sparsity', type: 'nominal', title: '% remaining', scale: { domain: sparsityDomain(all), scheme: 'viridis' }, legend: { symbolType: 'stroke', symbolStrokeWidth: 3, symbolOpacity: 1 } } as const;
    const strategies = strategyDomain(all);
    const dash = { field: 'strategy', type: 'nominal', title: 'strategy', scale: { domain: strategies, range: DASHES.slice(0, strategies.length) } } as const;
    // Where two strategies' lines coincide (round 1 of reset and continued training), the first strategy's wide,
    // pale line stays visible around the others' narrow dashed ones.
    const strokeWidth = { field: 'strategy', type: 'ordinal', sort: strategies, scale: { domain: strategies, range: WIDTHS.slice(0, strategies.length) }, title: 'strategy' } as const;
    const opacity = { field: 'strategy', type: 'ordinal', sort: strategies, scale: { domain: strategies, range: OPACITIES.slice(0, strategies.length) }, title: 'strategy' } as const;
    const x = { field: 'iteration', type: 'quantitative', title: 'training iteration' } as const;
    const spec = {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: { text: `${axis(attack)} vs iteration`, subtitle: [family.label, 'lines: mean over trials, bands: min..max'] },
      hconcat: panels.map((p) => ({
        title: p.title, width: PANEL_WIDTH, height: PANEL_HEIGHT, data: { values: p.rows },
        layer: [
          { mark: { type: 'area', opacity: 0.15 }, encoding: { x, y: { field: 'lo', type: 'quantitative', title: short, scale: { zero: false } }, y2: { field: 'hi' }, color, detail: { field: 'series' } } },
          { mark: { type: 'line' }, encoding: { x, y: { field: 'mean', type: 'quantitative' }, color, strokeDash: dash, strokeWidth, opacity, detail: { field: 'series' } } },
        ],
      })),
      resolve: { scale: { color: 'shared', strokeDash: 'shared', strokeWidth: 'shared', opacity: 'shared' } },
    } as unknown as TopLevelSpec;
    const series = panels.reduce((n, p) => n + new Set(p.rows.map((r) => r.series)).size, 0);
    return [{ name: `${family.slug}-${name}`, title: `${axis(attack)} vs iteration: ${family.label}`, spec, series, notes,
      caption: `Mean over trials (line) and min..max over trials (band) of the ${axis(attack)} during each round's training; colour: % of weights remaining, dash: strategy.` }];
  });
}

interface EsRow { panel: string; strategy: string; percent: number; mean: number; lo: number; hi: number }

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
          mean: panel.scale * s.mean, lo: panel.scale * (s.mean - sd), hi: panel.scale * (s.mean + sd) });
      }
    }
    if (rows.length === 0) notes.push(`panel '${panel.title}' omitted: no early-stopping records with this value`);
    return { ...panel, rows };
  }).filter((p) => p.rows.length > 0);
  if (panels.length === 0) return [];
  const all = panels.flatMap((p) => p.rows);
  const strategies = strategyDomain(all);
  const color = { field: 'strategy', type: 'nominal', title: 'strategy', scale: { domain: strategies } } as const;
  const dash = { field: 'strategy', type: 'nominal', title: 'strategy', scale: { domain: strategies, range: DASHES.slice(0, strategies.length) } } as const;
  const strokeWidth = { field: 'strategy', type: 'ordinal', sort: strategies, scale: { domain: strategies, range: WIDTHS.slice(0, strategies.length) }, title: 'strategy' } as const;
  const shape = { field: 'strategy', type: 'nominal', title: 'strategy', scale: { domain: strategies, range: ['circle', 'square', 'triangle-up', 'diamond'].slice(0, strategies.length) } } as const;
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
    title: { text: 'Early stopping vs % of weights remaining', subtitle: [family.label, 'minimum validation loss; mean ± sd over trials'] },
    hconcat: panels.map((p) => ({
      title: p.title, width: PANEL_WIDTH, height: PANEL_HEIGHT, data: { values: p.rows },
      layer: [
        { mark: { type: 'rule', opacity: 0.6 }, encoding: { x, y: { field: 'lo', type: 'quantitative', title: p.axis, scale: { zero: false }, axis: { format: p.key === 'iteration' ? ',d' : '' } }, y2: { field: 'hi' }, color } },
        { mark: { type: 'line' }, encoding: { x, y: { field: 'mean', type: 'quantitative' }, color, strokeDash: dash, strokeWidth } },
        { mark: { type: 'point', filled: true, size: 30, opacity: 0.8 }, encoding: { x, y: { field: 'mean', type: 'quantitative' }, color, shape } },
      ],
    })),
    resolve: { scale: { color: 'shared', strokeDash: 'shared', shape: 'shared' } },
  } as unknown as TopLevelSpec;
  const series = panels.reduce((n, p) => n + new Set(p.rows.map((r) => r.strategy)).size, 0);
  return [{ name: `${family.slug}-early-stopping`, title: `Early stopping: ${family.label}`, spec, series, notes,
    caption: 'Iteration of minimum validation loss, and the adversarial and natural validation accuracy there, per round; bars: ± one sd over trials.' }];
}
