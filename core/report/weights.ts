/**
 * Distributions of the surviving initial weights: per parameter of the model, the weights a round started from (init_kernels)
 * where its mask is 1, pooled over trials, at the paper's sparsities, for the lottery-ticket strategy. Counts are
 * binned here (the figure gets a few hundred numbers, not the weights) and shown as the fraction of a round's
 * surviving weights per bin, so that sparse and dense rounds share one axis.
 */
import { existsSync } from 'node:fs';
import type { TopLevelSpec } from 'vega-lite';
import { kernelFile } from '../results/paths.js';
import { modelSpec } from '../nn/models/index.js';
import { readNpy } from '../results/npy.js';
import { PAPER_SPARSITIES, roundNear, roundResults, roundsOf, type RoundInfo } from './aggregate.js';
import type { Figure } from './figures.js';
import { sparsityLabel } from './figures.js';
import type { Family } from './groups.js';
import { CorruptResultsError, type ConfigResult } from './load.js';

export const HISTOGRAM_BINS = 40;

export interface Histogram {
  readonly layer: string;
  readonly percent: number;
  readonly round: number;
  /** Bin edges, HISTOGRAM_BINS + 1 of them. */
  readonly edges: readonly number[];
  readonly counts: readonly number[];
  readonly total: number;
}

function readKernel(file: string): { values: Float32Array; shape: number[] } {
  if (!existsSync(file)) throw new CorruptResultsError(file, 'is missing although the round is marked complete');
  return readNpy(file);
}

/** The surviving (mask == 1) initial weights of one layer of one round, pooled over trials. */
export function survivingWeights(config: ConfigResult, round: number, layer: string): Float32Array[] {
  return roundResults(config, round).map((r) => {
    const init = readKernel(kernelFile(r.dir, 'init_kernels', layer));
    const mask = readKernel(kernelFile(r.dir, 'masks', layer));
    if (init.values.length !== mask.values.length) {
      throw new CorruptResultsError(kernelFile(r.dir, 'masks', layer), `has shape (${mask.shape}) but init_kernels has (${init.shape})`);
    }
    return init.values.filter((_, i) => mask.values[i] === 1);
  });
}

/** Counts of `values` in `bins` equal bins over [-range, range] (values outside go to the end bins). */
export function histogram(values: readonly Float32Array[], range: number, bins = HISTOGRAM_BINS): { edges: number[]; counts: number[]; total: number } {
  const edges = Array.from({ length: bins + 1 }, (_, i) => -range + (2 * range * i) / bins);
  const counts = new Array<number>(bins).fill(0);
  let total = 0;
  for (const chunk of values) {
    for (const v of chunk) {
      const index = Math.min(bins - 1, Math.max(0, Math.floor(((v + range) / (2 * range)) * bins)));
      counts[index]! += 1;
      total += 1;
    }
  }
  return { edges, counts, total };
}

/** The rounds drawn: every round of a run of at most six, else those at the paper's six sparsities. */
export function histogramRounds(config: ConfigResult): RoundInfo[] {
  const all = roundsOf(config);
  if (all.length <= PAPER_SPARSITIES.length) return all;
  return [...new Map(PAPER_SPARSITIES.map((p) => roundNear(config, p)).filter((i) => i !== undefined).map((i) => [i.round, i])).values()];
}

export function weightHistograms(config: ConfigResult): Histogram[] {
  const matched = histogramRounds(config);
  const out: Histogram[] = [];
  for (const { name: layer } of modelSpec(config.config.model).parameters) {
    const byRound = matched.map((info) => ({ info, values: survivingWeights(config, info.round, layer) }));
    let range = 0;
    for (const { values } of byRound) for (const chunk of values) for (const v of chunk) range = Math.max(range, Math.abs(v));
    if (range === 0) range = 1;
    for (const { info, values } of byRound) out.push({ layer, percent: info.percent, round: info.round, ...histogram(values, range) });
  }
  return out;
}

export function weightsFigure(family: Family): Figure[] {
  const config = family.strategies.reinit_orig;
  if (!config) return [];
  const histograms = weightHistograms(config).filter((h) => h.total > 0);
  if (histograms.length === 0) return [];
  const rows = histograms.flatMap((h) => h.counts.map((count, i) => ({
    layer: h.layer, sparsity: sparsityLabel(h.percent), weight: (h.edges[i]! + h.edges[i + 1]!) / 2, fraction: count / h.total,
  })));
  const layers = modelSpec(config.config.model).parameters.map((p) => p.name).filter((l) => rows.some((r) => r.layer === l));
  const domain = [...new Set(rows.map((r) => r.sparsity))].sort((a, b) => parseFloat(b) - parseFloat(a));
  const color = { field: 'sparsity', type: 'nominal', title: '% remaining', scale: { domain, scheme: 'viridis' } };
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Surviving initial weights per parameter', subtitle: [family.label, 'original (reset) strategy; pooled over trials'] },
    columns: Math.min(3, layers.length),
    concat: layers.map((layer) => ({
      title: layer, width: 250, height: 190, data: { values: rows.filter((r) => r.layer === layer) },
      mark: { type: 'line', interpolate: 'step', strokeWidth: 1.5 },
      encoding: {
        x: { field: 'weight', type: 'quantitative', title: 'weight at the start of the round' },
        y: { field: 'fraction', type: 'quantitative', title: 'fraction' },
        color,
      },
    })),
    resolve: { scale: { color: 'shared' } },
  } as unknown as TopLevelSpec;
  return [{
    name: `${family.slug}-init-weights`, title: `Surviving initial weights: ${family.label}`, spec,
    series: new Set(rows.map((r) => `${r.layer} ${r.sparsity}`)).size, notes: [],
    caption: `Histograms (${HISTOGRAM_BINS} bins over ± the largest magnitude) of the weights each round started from where its mask is 1. ` +
      `With reset_to=${config.config.reset_to} these are ${config.config.reset_to === 'init' ? 'the initial weights theta_0' : "round 0's trained weights (the original code's reset)"}.`,
  }];
}
