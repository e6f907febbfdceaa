/**
 * What one evaluation asks of the device, counted (not timed) as training evaluates: core/experiment/
 * resident-evaluation.ts over a validation and a test set kept on the device, T stacked dense-300-100 networks,
 * each batch gathered there, attacked, its losses and correct predictions written to one ledger read once.
 */
import { disposeAll, fromHost, keep } from '../../../core/autodiff/engine.js';
import { attackSpec, type AttackName } from '../../../core/attacks/index.js';
import type { EvalSet } from '../../../core/experiment/evaluate.js';
import { ResidentEvaluation } from '../../../core/experiment/resident-evaluation.js';
import { smoothedTargets } from '../../../core/nn/loss.js';
import { DENSE_300_100, initialWeights } from '../../../core/nn/model.js';
import { parameterSize } from '../../../core/nn/models/index.js';
import { Rng } from '../../../core/nn/rng.js';
import { uniformSource } from '../../../core/nn/trial-rngs.js';
import { images, type Counted } from './stacked-steps.js';

const PIXELS = 784;
const CLASSES = 10;

/** One evaluation's counts: both sets, every batch. */
export interface EvalCounts extends Counted {
  readonly attack: AttackName;
  readonly trials: number;
  /** Batches of the two sets together. */
  readonly batches: number;
}

/**
 * Each attack's evaluation of T stacked networks over a validation and a test set of `count` images each, in
 * batches of `batchSize`: one warm-up evaluation, then one counted on `stats`.
 */
export async function countEvaluations(
  trials: number, count: number, batchSize: number, stats: () => Counted, attacks: readonly AttackName[] = ['fgsm', 'pgd'],
): Promise<EvalCounts[]> {
  const rng = new Rng(3000 + trials);
  const weights = Array.from({ length: trials }, () => initialWeights(DENSE_300_100, rng));
  const params = DENSE_300_100.parameters.map((layer, i) => {
    const stacked = new Float32Array(trials * parameterSize(layer));
    weights.forEach((w, t) => stacked.set(w[i]!, t * parameterSize(layer)));
    // One network's weights carry no trial axis, as a round of one network trains them (core/experiment/round.ts).
    return keep(fromHost(stacked, trials > 1 ? [trials, ...layer.shape] : layer.shape));
  });
  const set = (): EvalSet => {
    const labels = Int32Array.from({ length: count }, () => rng.int(CLASSES));
    return { images: images(rng, count), labels, targets: smoothedTargets(labels, CLASSES, 0.1), count };
  };
  const [valid, test] = [set(), set()];
  const kept = new ResidentEvaluation([valid, test].map((s) => Array.from({ length: trials }, () => s)), trials, PIXELS, CLASSES, batchSize);
  const results: EvalCounts[] = [];
  try {
    if (kept.reason) throw new Error(`the evaluation sets cannot stay on the device: ${kept.reason}`);
    const attackRngs = uniformSource(Array.from({ length: trials }, (_, t) => rng.derive(t)));
    const classifier = { spec: DENSE_300_100, params };
    for (const attack of attacks) {
      const spec = attackSpec(attack);
      await kept.evaluate(classifier, spec, attackRngs, 'logits');
      const before = stats();
      await kept.evaluate(classifier, spec, attackRngs, 'logits');
      const after = stats();
      results.push({
        attack, trials, batches: 2 * Math.ceil(count / batchSize),
        dispatches: after.dispatches - before.dispatches, submits: after.submits - before.submits,
        pipelineSwitches: after.pipelineSwitches - before.pipelineSwitches, bytesUploaded: after.bytesUploaded - before.bytesUploaded,
        paramBytes: after.paramBytes - before.paramBytes, bytesRead: after.bytesRead - before.bytesRead,
      });
    }
  } finally {
    kept.release();
    disposeAll(params);
  }
  return results;
}
