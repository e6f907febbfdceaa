/**
 * When two accuracies agree: |a - b| <= max(TOLERANCE_SDS * sqrt(sd_a^2 + sd_b^2), TOLERANCE_FLOOR) percentage
 * points, the rule of the comparison with the paper (benchmarks/paper/compare.ts, which says why) and of the
 * comparison of two runs (crossrun.ts).
 */
import type { Stat } from './aggregate.js';

/** A mean and standard deviation, in percent. */
export interface MeanSd {
  readonly mean: number;
  readonly sd: number;
}

/** Absolute floor of the tolerance, in percentage points. */
export const TOLERANCE_FLOOR = 1.0;
/** Multiple of the combined trial sd. */
export const TOLERANCE_SDS = 2;

export type Verdict = 'agrees' | 'differs' | 'no data';

export function tolerance(oursSd: number, paperSd: number): number {
  const a = Number.isFinite(oursSd) ? oursSd : 0;
  const b = Number.isFinite(paperSd) ? paperSd : 0;
  return Math.max(TOLERANCE_SDS * Math.sqrt(a * a + b * b), TOLERANCE_FLOOR);
}

export function judge(ours: Stat | undefined, paper: MeanSd): { diff: number; tolerance: number; verdict: Verdict } {
  if (!ours || ours.n === 0 || !Number.isFinite(ours.mean)) return { diff: NaN, tolerance: NaN, verdict: 'no data' };
  const diff = ours.mean - paper.mean;
  const tol = tolerance(ours.sd, paper.sd);
  return { diff, tolerance: tol, verdict: Math.abs(diff) <= tol ? 'agrees' : 'differs' };
}

