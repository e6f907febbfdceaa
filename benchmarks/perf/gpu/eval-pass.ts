/**
 * The evaluation's cost per network and image: one pass of core/experiment/evaluate.ts's batch work (forward,
 * the attack, forward on the adversarial batch, both losses and predictions) for T stacked networks, each on
 * its own batch of `images` images ([T, images, 784]), timed with reads at the end (timing.ts).
 */
import { disposeAll, fromHost, keep, tidy } from '../../../core/autodiff/engine.js';
import * as op from '../../../core/autodiff/ops.js';
import { attackSpec, craft, type AttackName } from '../../../core/attacks/index.js';
import { crossEntropy, smoothedTargets } from '../../../core/nn/loss.js';
import { DENSE_300_100, initialWeights, logits } from '../../../core/nn/model.js';
import { parameterSize } from '../../../core/nn/models/index.js';
import { Rng } from '../../../core/nn/rng.js';
import { images } from './stacked-steps.js';
import { timeUnits, type TimingPlan } from './timing.js';

export interface EvalTiming {
  readonly attack: AttackName;
  readonly trials: number;
  readonly images: number;
  /** One pass over T x images, ms. */
  readonly passMs: number;
  /** passMs / (T x images), microseconds. */
  readonly usPerImage: number;
}

export async function timeEvalPass(trials: number, count: number, plan: TimingPlan): Promise<EvalTiming[]> {
  const rng = new Rng(2000 + trials);
  const weights = Array.from({ length: trials }, () => initialWeights(DENSE_300_100, rng));
  const effective = DENSE_300_100.parameters.map((l, i) => {
    const stacked = new Float32Array(trials * parameterSize(l));
    weights.forEach((w, t) => stacked.set(w[i]!, t * parameterSize(l)));
    return keep(fromHost(stacked, [trials, ...l.shape]));
  });
  const x = keep(fromHost(images(rng, trials * count), [trials, count, 784]));
  const labels = Array.from({ length: trials * count }, () => rng.int(10));
  const targets = keep(fromHost(smoothedTargets(labels, 10, 0.1), [trials, count, 10]));
  const results: EvalTiming[] = [];
  try {
    for (const attack of ['fgsm', 'pgd'] as const) {
      const spec = attackSpec(attack);
      const timing = await timeUnits(() => tidy(() => {
        const classifier = { spec: DENSE_300_100, params: effective };
        const natural = logits(classifier, x);
        const adversarial = logits(classifier, craft(spec, classifier, x, rng));
        return [crossEntropy(natural, targets), op.argmax(natural, -1), crossEntropy(adversarial, targets), op.argmax(adversarial, -1)];
      }), plan);
      results.push({ attack, trials, images: count, passMs: timing.ms, usPerImage: (timing.ms * 1000) / (trials * count) });
    }
  } finally {
    disposeAll([effective, x, targets]);
  }
  return results;
}
