/**
 * PGD and APGD written out again in plain float64 JavaScript, one image at a time, for a small ReLU network whose
 * input gradients are derived by hand: the oracle that the library's batched, device-side bookkeeping (worst-case
 * tracking, restarts on the images not yet fooled, APGD's step halving, momentum and restarts from the best point)
 * follows the published algorithms. The random starts are drawn from the same seeded stream, in the same order.
 */
import { Rng } from '../../../core/nn/rng.js';

export interface Mlp {
  /** W1 [d, h] and W2 [h, k], row-major. */
  readonly w1: Float64Array;
  readonly w2: Float64Array;
  readonly d: number;
  readonly h: number;
  readonly k: number;
}

export type LossName = 'ce' | 'dlr' | 'dlr-targeted';

function forward(net: Mlp, x: ArrayLike<number>): { a: number[]; z: number[] } {
  const a = Array.from({ length: net.h }, (_, j) => {
    let s = 0;
    for (let i = 0; i < net.d; i++) s += x[i]! * net.w1[i * net.h + j]!;
    return s;
  });
  const z = Array.from({ length: net.k }, (_, c) => {
    let s = 0;
    for (let j = 0; j < net.h; j++) s += Math.max(a[j]!, 0) * net.w2[j * net.k + c]!;
    return s;
  });
  return { a, z };
}

export const logitsOf = (net: Mlp, x: ArrayLike<number>): number[] => forward(net, x).z;

/** Classes by logit, largest first, ties to the lower index. */
const ranking = (z: readonly number[]): number[] => z.map((_, c) => c).sort((p, q) => z[q]! - z[p]! || p - q);

function argmaxOther(z: readonly number[], y: number): number {
  let best = -1;
  z.forEach((v, c) => c !== y && (best < 0 || v > z[best]!) && (best = c));
  return best;
}

/** Loss and dLoss/dz of the paper's formulas. */
function lossAndLogitGradient(z: readonly number[], y: number, t: number, loss: LossName): { f: number; dz: number[] } {
  const dz = z.map(() => 0);
  if (loss === 'ce') {
    const top = Math.max(...z);
    const sum = z.reduce((s, v) => s + Math.exp(v - top), 0);
    z.forEach((v, c) => (dz[c] = Math.exp(v - top) / sum - (c === y ? 1 : 0)));
    return { f: Math.log(sum) + top - z[y]!, dz };
  }
  const r = ranking(z);
  const other = loss === 'dlr' ? argmaxOther(z, y) : t;
  const num = z[y]! - z[other]!;
  const den = loss === 'dlr' ? z[r[0]!]! - z[r[2]!]! + 1e-12 : z[r[0]!]! - (z[r[2]!]! + z[r[3]!]!) / 2 + 1e-12;
  dz[y]! -= 1 / den;
  dz[other]! += 1 / den;
  dz[r[0]!]! += num / den ** 2;
  if (loss === 'dlr') dz[r[2]!]! -= num / den ** 2;
  else {
    dz[r[2]!]! -= num / den ** 2 / 2;
    dz[r[3]!]! -= num / den ** 2 / 2;
  }
  return { f: -num / den, dz };
}

function lossAndGradient(net: Mlp, x: readonly number[], y: number, t: number, loss: LossName): { f: number; g: number[]; z: number[] } {
  const { a, z } = forward(net, x);
  const { f, dz } = lossAndLogitGradient(z, y, t, loss);
  const da = a.map((v, j) => (v > 0 ? dz.reduce((s, d, c) => s + d * net.w2[j * net.k + c]!, 0) : 0));
  const g = x.map((_, i) => da.reduce((s, d, j) => s + d * net.w1[i * net.h + j]!, 0));
  return { f, g, z };
}

interface Worst {
  point: number[];
  margin: number;
  fooled: boolean;
}

function judge(z: readonly number[], y: number): { margin: number; fooled: boolean } {
  const top = ranking(z)[0]!;
  return { margin: z[y]! - z[argmaxOther(z, y)]!, fooled: top !== y };
}

function offer(worst: Worst, point: number[], z: readonly number[], y: number): void {
  const { margin, fooled } = judge(z, y);
  if (!worst.fooled && (fooled || margin < worst.margin)) Object.assign(worst, { point, margin, fooled });
}

export interface PlainSettings {
  readonly eps: number;
  readonly iterations: number;
  readonly runs: number;
  readonly loss: LossName;
  /** PGD's step; APGD when absent. */
  readonly step?: number;
  /** APGD-T: runs per target. */
  readonly restartsPerTarget?: number;
}

/** Statistics of the APGD runs, so that a test can check that halvings and restarts from the best point happened. */
export interface Counters {
  halvings: number;
  kept: number;
}

const sign = (v: number): number => (v > 0 ? 1 : v < 0 ? -1 : 0);

/** The attack on images xs [n * d] with labels, drawing each run's starts from rng as the library does. */
export function plainAttack(net: Mlp, xs: Float64Array, labels: Int32Array, seed: number, s: PlainSettings, counters: Counters): Float64Array {
  const { d } = net;
  const n = labels.length;
  const rng = new Rng(seed);
  const images = Array.from({ length: n }, (_, i) => Array.from(xs.subarray(i * d, (i + 1) * d)));
  const worst: Worst[] = images.map((x, i) => ({ point: x, ...judge(logitsOf(net, x), labels[i]!) }));
  const targetsOf = images.map((x, i) => ranking(logitsOf(net, x)).filter((c) => c !== labels[i]));
  for (let r = 0; r < s.runs; r++) {
    const remaining = worst.flatMap((w, i) => (w.fooled ? [] : [i]));
    if (remaining.length === 0) break;
    const noise = rng.uniformArray(remaining.length * d, -s.eps, s.eps);
    remaining.forEach((i, k) => {
      const x = images[i]!;
      const y = labels[i]!;
      const t = targetsOf[i]![Math.floor(r / (s.restartsPerTarget ?? 1))]!;
      const lower = x.map((v) => Math.max(v - s.eps, 0));
      const upper = x.map((v) => Math.min(v + s.eps, 1));
      const project = (v: number[]) => v.map((p, j) => Math.min(Math.max(p, lower[j]!), upper[j]!));
      const start = project(x.map((v, j) => v + noise[k * d + j]!));
      const run = s.step === undefined ? apgdImage : pgdImage;
      run(net, start, y, t, project, s, counters, worst[i]!);
    });
  }
  return Float64Array.from(worst.flatMap((w) => w.point));
}

type Project = (v: number[]) => number[];

function pgdImage(net: Mlp, start: number[], y: number, t: number, project: Project, s: PlainSettings, _c: Counters, worst: Worst): void {
  let current = start;
  const run: Worst = { point: start, ...judge(logitsOf(net, start), y) };
  for (let i = 0; i < s.iterations && !run.fooled; i++) {
    const { g, z } = lossAndGradient(net, current, y, t, s.loss);
    offer(run, current, z, y);
    if (run.fooled) break;
    current = project(current.map((v, j) => v + s.step! * sign(g[j]!)));
  }
  if (!run.fooled) offer(run, current, logitsOf(net, current), y);
  offer(worst, run.point, logitsOf(net, run.point), y);
}

/** Checkpoints from p_0 = 0, p_1 = 0.22, p_{j+1} = p_j + max(p_j - p_{j-1} - 0.03, 0.06), in hundredths. */
export function plainCheckpoints(n: number): number[] {
  const p = [0, 22];
  while (p.at(-1)! + Math.max(p.at(-1)! - p.at(-2)! - 3, 6) <= 100) p.push(p.at(-1)! + Math.max(p.at(-1)! - p.at(-2)! - 3, 6));
  return [...new Set(p.map((v) => Math.ceil((v * n) / 100)))].filter((w) => w <= n);
}

function apgdImage(net: Mlp, start: number[], y: number, t: number, project: Project, s: PlainSettings, counters: Counters, worst: Worst): void {
  const w = plainCheckpoints(s.iterations);
  const first = lossAndGradient(net, start, y, t, s.loss);
  const run: Worst = { point: start, ...judge(first.z, y) };
  let eta = 2 * s.eps;
  let [previous, current, gradient] = [start, start, first.g];
  let [best, bestGradient, bestLoss] = [start, first.g, first.f];
  let lastLoss = first.f;
  let raised = 0;
  let reducedAtLast = false;
  let bestLossAtLast = first.f;
  let j = 1;
  for (let k = 0; k < s.iterations && !run.fooled; k++) {
    const a = k === 0 ? 1 : 0.75;
    const z = project(current.map((v, i) => v + eta * sign(gradient[i]!)));
    const next = project(current.map((v, i) => v + ((z[i]! - v) * a + (v - previous[i]!) * (1 - a))));
    const at = lossAndGradient(net, next, y, t, s.loss);
    offer(run, next, at.z, y);
    if (at.f > lastLoss) raised++;
    lastLoss = at.f;
    if (at.f > bestLoss) [best, bestGradient, bestLoss] = [next, at.g, at.f];
    [previous, current, gradient] = [current, next, at.g];
    if (k + 1 === w[j]) {
      const reduce: boolean = raised < 0.75 * (w[j]! - w[j - 1]!) || (!reducedAtLast && bestLoss <= bestLossAtLast);
      if (reduce) {
        eta /= 2;
        [current, gradient, lastLoss] = [best, bestGradient, bestLoss];
        counters.halvings++;
      } else counters.kept++;
      reducedAtLast = reduce;
      bestLossAtLast = bestLoss;
      raised = 0;
      j++;
    }
  }
  offer(worst, run.point, logitsOf(net, run.point), y);
}
