/**
 * APGD (Croce & Hein 2020, "Reliable evaluation of adversarial robustness with an ensemble of diverse
 * parameter-free attacks", Algorithm 1), L-infinity, per image:
 *   step eta = 2 eps; x1 = P(x0 + eta sign(grad f(x0)));
 *   z = P(x_k + eta sign(grad f(x_k)));  x_{k+1} = P(x_k + alpha (z - x_k) + (1 - alpha)(x_k - x_{k-1})),  alpha = 0.75;
 *   at checkpoints w_j = ceil(p_j N) (p_0 = 0, p_1 = 0.22, p_{j+1} = p_j + max(p_j - p_{j-1} - 0.03, 0.06)) the step
 *   is halved and the iterate restarts from the best point x_max (with its gradient) when
 *     (1) fewer than rho (w_j - w_{j-1}) of the steps since w_{j-1} raised f (rho = 0.75), or
 *     (2) neither the step nor the best loss f_max changed since w_{j-1}.
 * The losses: cross-entropy (APGD-CE), DLR (APGD-DLR), and targeted DLR on the top `targets` classes of the clean
 * logits, one run per target (APGD-T). Each restart and target attacks the images not yet fooled.
 */
import { fromHost, tidy } from '../../autodiff/engine.js';
import * as op from '../../autodiff/ops.js';
import type { Tensor } from '../../autodiff/tensor.js';
import { ConfigError } from '../../errors.js';
import type { Rng } from '../../nn/rng.js';
import { requirePositive, requireWhole, validateBall, type Attack, type Ball, type Classifier } from './attack.js';
import { boxOf, project, randomStart, signedStep } from './ball.js';
import { evaluate, evaluateWithGradient, type Evaluation, type PerImageLoss } from './evaluation.js';
import { Held } from './scopes.js';
import { crossEntropyPerImage, dlrPerImage, oneHotOf, targetedDlrPerImage } from './losses.js';
import { rankedTargets } from './margins.js';
import { worstOverRuns } from './worst-over-runs.js';
import { RunTracker, type RunOutcome } from './worst-case.js';

export interface ApgdOptions extends Ball {
  /** Iterations per run (100). */
  readonly iterations: number;
  /** Random restarts per run, each on the images not yet fooled (1). */
  readonly restarts: number;
  readonly loss: 'ce' | 'dlr' | 'dlr-targeted';
  /** APGD-T: how many of the most likely wrong classes to target, one run each (9 in AutoAttack). */
  readonly targets?: number;
  /** The share of loss-raising steps below which the step is halved (0.75). */
  readonly rho?: number;
  /** Momentum (0.75). */
  readonly alpha?: number;
}

const NAMES = { ce: 'apgd-ce', dlr: 'apgd-dlr', 'dlr-targeted': 'apgd-t' } as const;

/** The checkpoints w_0 = 0 < w_1 < ... <= N, strictly increasing (p_j kept in hundredths, so exact). */
export function apgdCheckpoints(iterations: number): number[] {
  const p = [0, 22];
  for (;;) {
    const next = p.at(-1)! + Math.max(p.at(-1)! - p.at(-2)! - 3, 6);
    if (next > 100) break;
    p.push(next);
  }
  const w: number[] = [];
  for (const pj of p) {
    const wj = Math.ceil((pj * iterations) / 100);
    if (wj <= iterations && (w.length === 0 || wj > w.at(-1)!)) w.push(wj);
  }
  return w;
}

export function apgd(options: ApgdOptions): Attack {
  const name = NAMES[options.loss];
  if (!name) throw new ConfigError(`invalid apgd attack: unknown loss '${options.loss}'`, 'use ce, dlr or dlr-targeted');
  const ball = validateBall(name, options);
  const iterations = requireWhole(name, 'iterations', options.iterations, 1, 'AutoAttack uses 100');
  const restarts = requireWhole(name, 'restarts', options.restarts, 1, 'AutoAttack uses 1 (5 in its plus version)');
  const targeted = options.loss === 'dlr-targeted';
  const targets = targeted ? requireWhole(name, 'targets', options.targets ?? 9, 1, 'AutoAttack targets the top 9 classes') : 1;
  const rho = requirePositive(name, 'rho', options.rho ?? 0.75, 'the paper uses 0.75', 1);
  const alpha = requirePositive(name, 'alpha', options.alpha ?? 0.75, 'the paper uses 0.75', 1);
  const checkpoints = apgdCheckpoints(iterations);
  const settings = { ball, iterations, checkpoints, rho, alpha };
  return {
    name, kind: 'white-box', loss: options.loss, ball, iterations, restarts: restarts * targets,
    craft: (classifier: Classifier, x: Tensor, labels: Int32Array, rng: Rng) =>
      worstOverRuns(name, classifier, x, labels, restarts * targets, (classes) => {
        const needed = targeted ? 4 : options.loss === 'dlr' ? 3 : 2;
        if (classes < needed) throw new ConfigError(`${name} needs ${needed} classes or more, got ${classes}`, 'use apgd-ce');
        if (targeted && targets > classes - 1) {
          throw new ConfigError(`${name}: ${targets} targets asked, but there are only ${classes - 1} wrong classes`, `use --targets ${classes - 1} or fewer`);
        }
        return (xs, ys, cleanLogits, r) => {
          const oneHotY = oneHotOf(ys, classes);
          const rank = Math.floor(r / restarts) + 1;
          const loss: PerImageLoss = options.loss === 'ce' ? (z) => crossEntropyPerImage(z, oneHotY)
            : options.loss === 'dlr' ? (z) => dlrPerImage(z, oneHotY)
            : targetedLoss(oneHotY, oneHotOf(rankedTargets(cleanLogits, ys, classes, rank), classes));
          return apgdRun(classifier, loss, xs, ys, rng, settings);
        };
      }),
  };
}

const targetedLoss = (oneHotY: Tensor, oneHotTarget: Tensor): PerImageLoss => (z) => targetedDlrPerImage(z, oneHotY, oneHotTarget);

interface RunSettings {
  readonly ball: Ball;
  readonly iterations: number;
  readonly checkpoints: readonly number[];
  readonly rho: number;
  readonly alpha: number;
}

/**
 * The images whose step halves at a checkpoint: (1) fewer than `threshold` = rho (w_j - w_{j-1}) of the steps
 * since the last checkpoint raised the loss, or (2) the step was not halved at the last checkpoint and the best
 * loss has not risen since.
 */
export function halvings(
  raised: Uint32Array, threshold: number, bestLoss: Float64Array, bestLossAtLast: Float64Array, reducedAtLast: Uint8Array,
): Uint8Array {
  return Uint8Array.from(raised, (count, i) => {
    const oscillating = count < threshold;
    const stalled = reducedAtLast[i] === 0 && bestLoss[i]! <= bestLossAtLast[i]!;
    return oscillating || stalled ? 1 : 0;
  });
}

/** A [n, 1] column of per-image values. */
const column = (values: ArrayLike<number>): Tensor => fromHost(Float64Array.from(values), [values.length, 1]);

/** One APGD run from a random start in the ball of xs. */
function apgdRun(classifier: Classifier, loss: PerImageLoss, xs: Tensor, ys: Int32Array, rng: Rng, s: RunSettings): RunOutcome {
  const m = ys.length;
  const box = boxOf(xs, s.ball);
  const held = new Held();
  let tracker: RunTracker | undefined;
  try {
    const start = held.hold(randomStart(xs, box, s.ball, rng));
    const first = evaluateWithGradient(classifier, loss, start);
    tracker = new RunTracker(start, first.logits, ys);
    let [previous, current, gradient] = [start, start, held.hold(first.gradient)] as [Tensor, Tensor, Tensor | undefined];
    let [best, bestGradient] = [start, gradient!];
    const step = new Float64Array(m).fill(2 * s.ball.eps);
    const bestLoss = Float64Array.from(first.losses);
    const lastLoss = Float64Array.from(first.losses);
    const raised = new Uint32Array(m);
    let reducedAtLast: Uint8Array = new Uint8Array(m);
    let bestLossAtLast = bestLoss.slice();
    let checkpoint = 1;
    for (let k = 0; k < s.iterations && !tracker.allFooled; k++) {
      const a = k === 0 ? 1 : s.alpha;
      const [from, before, g] = [current, previous, gradient!];
      const next = held.hold(tidy(() => {
        const z = signedStep(from, g, column(step), box);
        const momentum = op.add(op.mul(op.sub(z, from), a), op.mul(op.sub(from, before), 1 - a));
        return project(op.add(from, momentum), box);
      }));
      const final = k === s.iterations - 1;
      // The last iterate's gradient would never be used: a forward pass is enough.
      let at: Omit<Evaluation, 'gradient'>;
      let nextGradient: Tensor | undefined;
      if (final) at = evaluate(classifier, loss, next);
      else {
        const withGradient = evaluateWithGradient(classifier, loss, next);
        nextGradient = held.hold(withGradient.gradient);
        at = withGradient;
      }
      tracker.offer(next, at.logits);

      const improved = new Float32Array(m);
      for (let i = 0; i < m; i++) {
        const f = at.losses[i]!;
        if (f > lastLoss[i]!) raised[i]!++;
        lastLoss[i] = f;
        if (f > bestLoss[i]!) {
          bestLoss[i] = f;
          improved[i] = 1;
        }
      }
      if (improved.some((v) => v === 1)) {
        const [b, bg] = [best, bestGradient];
        best = held.hold(tidy(() => op.where(column(improved), next, b)));
        if (nextGradient) bestGradient = held.hold(tidy(() => op.where(column(improved), nextGradient, bg)));
      }
      [previous, current, gradient] = [current, next, nextGradient];

      if (k + 1 === s.checkpoints[checkpoint]) {
        const span = s.checkpoints[checkpoint]! - s.checkpoints[checkpoint - 1]!;
        const reduce = halvings(raised, s.rho * span, bestLoss, bestLossAtLast, reducedAtLast);
        reduce.forEach((r, i) => {
          if (r === 0) return;
          step[i] = step[i]! / 2;
          lastLoss[i] = bestLoss[i]!;
        });
        if (!final && reduce.some((v) => v === 1)) {
          const [c, g2, b, bg] = [current, gradient!, best, bestGradient];
          current = held.hold(tidy(() => op.where(column(reduce), b, c)));
          gradient = held.hold(tidy(() => op.where(column(reduce), bg, g2)));
        }
        reducedAtLast = reduce;
        bestLossAtLast = bestLoss.slice();
        raised.fill(0);
        checkpoint++;
      }
      held.sweep([previous, current, gradient, best, bestGradient]);
    }
    return tracker.take();
  } finally {
    tracker?.dispose();
    held.dispose();
  }
}
