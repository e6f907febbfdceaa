/**
 * Projected wall time of a suite (workloads.ts) on the measured device:
 *
 *   training   = sum over step programs of  rounds x steps per round x ceil(networks / T) x t_step(T),
 *                T the measured stack size that makes ceil(networks / T) x t_step(T) smallest ("the batch size
 *                that fits": with T = networks this is steps x per-network-step time x networks);
 *   evaluation = sum over attacks of  networks x evaluations x images x t_image(attack),
 *                t_image the measured time of a forward + attack + forward pass per network and image;
 *   total      = training + evaluation: programs and evaluations one after another on one device.
 */
import type { AttackName } from '../../../core/attacks/index.js';
import type { StepKind, Workload } from './workloads.js';

export const FORMULA = [
  'training = sum over step programs of rounds x steps per round x ceil(networks / T) x (stacked step time at T), T the measured stack size that minimises ceil(networks / T) x step time (T = networks: steps x per-network-step time x networks)',
  'evaluation = sum over attacks of networks x evaluations x (validation + test images) x (measured forward + attack + forward time per network-image)',
  'total = training + evaluation, run one after another on one device',
];

/** Measured times: the stacked step (ms, all T networks) per kind and T; evaluation per network-image (us). */
export interface Measured {
  readonly stepMs: Readonly<Record<StepKind, ReadonlyMap<number, number>>>;
  readonly evalUsPerImage: Readonly<Record<AttackName, number>>;
}

export interface ProgramProjection {
  readonly kind: StepKind;
  readonly networks: number;
  readonly steps: number;
  /** The measured stack size used, and how many stacked steps of it cover the networks. */
  readonly trials: number;
  readonly groups: number;
  readonly stepMs: number;
  readonly seconds: number;
}

export interface EvaluationProjection {
  readonly attack: AttackName;
  readonly networkImages: number;
  readonly usPerImage: number;
  readonly seconds: number;
}

export interface Projection {
  readonly workload: Workload;
  readonly training: readonly ProgramProjection[];
  readonly evaluation: readonly EvaluationProjection[];
  readonly trainingSeconds: number;
  readonly evaluationSeconds: number;
  readonly totalSeconds: number;
}

/** The measured T that covers `networks` in the least time per step: ceil(networks / T) stacked steps of T. */
export function fit(networks: number, measured: ReadonlyMap<number, number>): { trials: number; groups: number; stepMs: number } {
  let best: { trials: number; groups: number; stepMs: number } | undefined;
  for (const [trials, ms] of [...measured].sort((a, b) => a[0] - b[0])) {
    const groups = Math.ceil(networks / trials);
    if (!best || groups * ms < best.groups * best.stepMs) best = { trials, groups, stepMs: ms };
  }
  if (!best) throw new RangeError('fit: no measured stack size');
  return best;
}

export function project(workload: Workload, measured: Measured): Projection {
  const training = workload.programs.map((p): ProgramProjection => {
    const { trials, groups, stepMs } = fit(p.networks, measured.stepMs[p.kind]);
    const steps = p.rounds * p.stepsPerRound;
    return { kind: p.kind, networks: p.networks, steps, trials, groups, stepMs, seconds: (steps * groups * stepMs) / 1000 };
  });
  const evaluation = workload.evaluation.map((e): EvaluationProjection => {
    const networkImages = e.networks * e.evaluations * e.images;
    const usPerImage = measured.evalUsPerImage[e.attack];
    return { attack: e.attack, networkImages, usPerImage, seconds: (networkImages * usPerImage) / 1e6 };
  });
  const trainingSeconds = training.reduce((s, p) => s + p.seconds, 0);
  const evaluationSeconds = evaluation.reduce((s, e) => s + e.seconds, 0);
  return { workload, training, evaluation, trainingSeconds, evaluationSeconds, totalSeconds: trainingSeconds + evaluationSeconds };
}
