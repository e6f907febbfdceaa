/**
 * bench:micro's JSON report (one backend's run) and the table of the whole steps' ratios to the bound (bound.ts),
 * shared by run.ts and libraries.ts.
 */
import { DENSE_300_100 } from '../../../core/nn/model.js';
import { boundMs, stepArithmetic, type Peak, type StepKind } from './bound.js';
import { BATCH } from './items.js';

export interface ItemResult {
  name: string;
  medianMs: number;
  meanMs: number;
  minMs: number;
  /** CPU time of this process per run (user + system): less sensitive than wall time to other loads. */
  cpuMs: number;
  runs: number;
}

export interface Report {
  backend: string;
  date: string;
  node: string;
  cpu: string;
  loadavg: { start: number[]; end: number[] };
  evalImages: number;
  /** The matrix product's single-core peak in this run (the better of the measurements before and after the items). */
  peak: Peak;
  /** What the backend's products are built on, where it says (the native addon's library). */
  library?: string;
  items: ItemResult[];
}

/** Whole-step items whose ratio to the bound is reported, and the issue's targets for the native backend. */
export const BOUNDED: readonly { item: string; kind: StepKind; target: number }[] = [
  { item: 'natural training step', kind: 'natural', target: 1.8 },
  { item: 'FGSM adversarial step', kind: 'fgsm', target: 1.3 },
  { item: 'PGD-10 adversarial step', kind: 'pgd', target: 1.3 },
];

/** Per backend: the peak, then each whole step's arithmetic, bound and ratio (wall median and CPU time per run). */
export function boundTable(reports: Report[]): string {
  const lines: string[] = [];
  for (const r of reports) {
    lines.push(`\n${r.backend}${r.library ? ` (${r.library})` : ''}: single-core peak ${r.peak.gflops.toFixed(1)} GFLOP/s ` +
      `(best of [${r.peak.size}, ${r.peak.size}] x [${r.peak.size}, ${r.peak.size}] products, CPU time)`);
    lines.push(['step'.padEnd(24), 'arithmetic'.padStart(12), 'bound'.padStart(9), 'median (cpu) ms'.padStart(17), 'ratio (cpu)'.padStart(15), 'target'.padStart(8)].join(' | '));
    for (const { item, kind, target } of BOUNDED) {
      const result = r.items.find((i) => i.name === item);
      if (!result) continue;
      const flop = stepArithmetic(DENSE_300_100, BATCH, kind);
      const bound = boundMs(flop, r.peak);
      lines.push([
        item.padEnd(24), `${(flop / 1e6).toFixed(1)} MFLOP`.padStart(12), `${bound.toFixed(2)} ms`.padStart(9),
        `${result.medianMs.toFixed(2)} (${result.cpuMs.toFixed(2)})`.padStart(17),
        `${(result.medianMs / bound).toFixed(2)}x (${(result.cpuMs / bound).toFixed(2)}x)`.padStart(15), `<= ${target}x`.padStart(8),
      ].join(' | '));
    }
  }
  return `${lines.join('\n')}\n(arithmetic: the step's matrix products, the attack counted in full (bound.ts); bound: that arithmetic at the peak)\n`;
}

