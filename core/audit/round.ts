/**
 * One round's audit: its network (the trained kernels times their masks) attacked by every rung of the ladder on
 * the audited images, per image; the eps sweep; the masking flags. Each rung's result is a record of its own
 * (store.ts), so an audit resumes rung by rung and other --attacks reuse what is there.
 */
import { disposeAll, keep, tidy } from '../autodiff/engine.js';
import type { Tensor } from '../autodiff/tensor.js';
import { attackSpec } from '../attacks/index.js';
import {
  apgd, attackOutcome, blackBoxBeatsWhiteBox, cleanOutcome, epsSweep, flatImageBound, moreEffortRaisesAccuracy, notMonotoneInEps,
  unreachedWorstCase, type Attack, type Flag, type Classifier as AttackedFunction,
} from '../attacks/strong/index.js';
import type { ExperimentConfig } from '../experiment/config.js';
import { evaluate, type EvalSet } from '../experiment/evaluate.js';
import type { SplitMetrics } from '../results/records.js';
import { evaluationStream } from '../experiment/runner.js';
import { createNetwork, disposeNetwork, effectiveWeights, inputSize, type Classifier, type ModelSpec, type ParameterArrays } from '../nn/model.js';
import { Rng } from '../nn/rng.js';
import { drawsBeforeFinalTest } from './replay.js';
import { rungShape, rungStream, strongAttack } from './rungs.js';
import type { AuditRung, AuditSettings } from './settings.js';

/** What one rung did to the audited images. */
export interface RungRecord {
  readonly rung: AuditRung;
  readonly kind: 'white-box' | 'black-box' | 'transfer';
  readonly loss: string;
  readonly eps: number;
  readonly iterations: number;
  readonly restarts: number;
  readonly accuracy: number;
  readonly images: number;
  readonly seconds: number;
  /** Per audited image, '1' where the network still predicts the label on the rung's example. */
  readonly correct: string;
  /**
   * The run's own attack on all its test images: whether this rung's accuracy (and the natural accuracy) equal
   * the last row of the round's test.csv, bit for bit (the audit's check that it attacks the network the run
   * evaluated, with the run's random starts).
   */
  readonly reproduces?: SplitMetrics & { readonly test_csv: SplitMetrics; readonly equal: boolean };
}

export interface SweepRecord {
  readonly attack: string;
  readonly images: number;
  readonly flatBound: number;
  readonly points: readonly { eps: number; accuracy: number; seconds: number }[];
}

/** A round to audit. */
export interface AuditTarget {
  readonly config: ExperimentConfig;
  readonly spec: ModelSpec;
  readonly trial: number;
  readonly round: number;
  /** The round's trained kernels and masks, and (for the transfer rung) round 0's. */
  readonly weights: ParameterArrays;
  readonly masks: ParameterArrays;
  readonly source?: { readonly weights: ParameterArrays; readonly masks: ParameterArrays };
  /** The run's test set, the images the audit attacks (rows of it) and what the replay needs. */
  readonly test: EvalSet;
  readonly audited: EvalSet;
  readonly allImages: boolean;
  readonly sizes: { readonly train: number; readonly valid: number };
  /** The last row of the round's test.csv and whether it is the evaluation after the last step. */
  readonly lastTestRow?: SplitMetrics & { readonly afterLastStep: boolean };
}

const flags = (correct: Uint8Array): string => Array.from(correct, (c) => (c ? '1' : '0')).join('');
export const parseFlags = (text: string): Uint8Array => Uint8Array.from(text, (c) => (c === '1' ? 1 : 0));

/** A network on the active backend as the model's classifier and as the strong attacks' function. */
function classifierOn(spec: ModelSpec, weights: ParameterArrays, masks: ParameterArrays): { model: Classifier; fn: AttackedFunction; dispose: () => void } {
  const net = createNetwork(spec, weights, masks);
  const params = tidy(() => effectiveWeights(net.weights, net.masks)).map((t) => keep(t));
  const model: Classifier = { spec, params };
  return { model, fn: (x: Tensor) => spec.logits(params, x), dispose: () => (disposeAll(params), disposeNetwork(net)) };
}

const accuracyOf = (correct: Uint8Array): number => correct.reduce((a, c) => a + c, 0) / correct.length;

/**
 * The run's own attack (`rung` fgsm or pgd-10): on all the run's test images with the run's random starts, when it
 * is the attack the run evaluated; otherwise on the audited images with the audit's own draws.
 */
async function runRung(target: AuditTarget, model: Classifier, rung: 'fgsm' | 'pgd-10', settings: AuditSettings): Promise<RungRecord> {
  const name = rung === 'fgsm' ? 'fgsm' : 'pgd';
  const begin = performance.now();
  const exact = target.allImages && target.config.attack === name;
  let rng: Rng;
  if (exact) {
    rng = evaluationStream(target.config.seed, target.trial, target.round);
    const skip = drawsBeforeFinalTest(target.config, { ...target.sizes, test: target.test.count, pixels: inputSize(target.spec) });
    for (let left = skip; left > 0; left -= 1 << 20) rng.uniformArray(Math.min(left, 1 << 20), 0, 1);
  } else {
    rng = new Rng(settings.seed).derive(target.trial, target.round, rungStream(rung));
  }
  const set = target.audited;
  const adversarial = new Uint8Array(set.count);
  const attack = attackSpec(name, { eps: target.config.eps, step: target.config.pgd_step, iterations: target.config.pgd_iters });
  const [metrics] = await evaluate(model, [set], attack, target.config.eval_batch_size, rng, target.config.loss, (start, _natural, adv) => {
    for (let i = 0; i < adv.length; i++) adversarial[start + i] = adv[i] === set.labels[start + i] ? 1 : 0;
  });
  const accuracy = accuracyOf(adversarial);
  const row = target.lastTestRow;
  const reproduces = exact && row?.afterLastStep
    ? { ...metrics!, test_csv: row, equal: (['loss', 'acc', 'adv_acc', 'adv_loss'] as const).every((k) => metrics![k] === row[k]) }
    : undefined;
  const shape = rungShape(rung, settings.budget, target.config.pgd_iters);
  return {
    rung, kind: 'white-box', ...shape, eps: target.config.eps, accuracy, images: target.audited.count,
    seconds: (performance.now() - begin) / 1000, correct: flags(adversarial), ...(reproduces ? { reproduces } : {}),
  };
}

/** One rung of the ladder on the audited images (undefined: transfer without a source, round 0). */
export async function auditRung(target: AuditTarget, rung: AuditRung, settings: AuditSettings): Promise<RungRecord | undefined> {
  const net = classifierOn(target.spec, target.weights, target.masks);
  const source = rung === 'transfer' && target.source && target.round > 0 ? classifierOn(target.spec, target.source.weights, target.source.masks) : undefined;
  try {
    if (rung === 'fgsm' || rung === 'pgd-10') return await runRung(target, net.model, rung, settings);
    const ball = { eps: target.config.eps, clipMin: 0, clipMax: 1 };
    const attack: Attack | undefined = strongAttack(rung, ball, settings.budget, source?.fn);
    if (!attack) return undefined;
    const data = { images: target.audited.images, labels: target.audited.labels };
    const clean = cleanOutcome(net.fn, data);
    const rng = new Rng(settings.seed).derive(target.trial, target.round, rungStream(rung));
    const outcome = attackOutcome(attack, net.fn, data, { rng, only: clean.correct });
    return {
      rung, kind: attack.kind, ...rungShape(rung, settings.budget, target.config.pgd_iters), eps: ball.eps, accuracy: outcome.accuracy,
      images: target.audited.count, seconds: outcome.seconds, correct: flags(outcome.correct),
    };
  } finally {
    net.dispose();
    source?.dispose();
  }
}

/** Natural accuracy per audited image. */
export function auditClean(target: AuditTarget): { accuracy: number; correct: string } {
  const net = classifierOn(target.spec, target.weights, target.masks);
  try {
    const outcome = cleanOutcome(net.fn, { images: target.audited.images, labels: target.audited.labels });
    return { accuracy: outcome.accuracy, correct: flags(outcome.correct) };
  } finally {
    net.dispose();
  }
}

/** APGD-CE at each eps of the sweep on the first sweepImages audited images, and the flat-image bound. */
export function auditSweep(target: AuditTarget, settings: AuditSettings): SweepRecord | undefined {
  if (settings.sweep.length === 0) return undefined;
  const net = classifierOn(target.spec, target.weights, target.masks);
  try {
    const count = Math.min(settings.sweepImages, target.audited.count);
    const pixels = inputSize(target.spec);
    const data = { images: target.audited.images.subarray(0, count * pixels), labels: target.audited.labels.subarray(0, count) };
    const rng = new Rng(settings.seed).derive(target.trial, target.round, rungStream('sweep'));
    const points = epsSweep((eps) => apgd({ eps, clipMin: 0, clipMax: 1, iterations: settings.budget.apgdIterations, restarts: 1, loss: 'ce' }), settings.sweep, net.fn, data, { rng });
    return {
      attack: 'apgd-ce', images: count, flatBound: flatImageBound(net.fn, data, { clipMin: 0, clipMax: 1 }),
      points: points.map((p) => ({ eps: p.eps, accuracy: p.accuracy, seconds: p.seconds })),
    };
  } finally {
    net.dispose();
  }
}

/** Per image, right clean and on every rung: the ladder's worst case. */
export function robustOf(clean: string, rungs: readonly RungRecord[]): { robust: Uint8Array; accuracy: number } {
  const robust = parseFlags(clean);
  for (const r of rungs) parseFlags(r.correct).forEach((c, i) => (robust[i] = robust[i]! & c));
  return { robust, accuracy: accuracyOf(robust) };
}

/** The masking flags of Carlini et al.'s checklist for one round. */
export function roundFlags(rungs: readonly RungRecord[], sweep: SweepRecord | undefined): Flag[] {
  // Differences within sampling noise of the fewest images any rung was measured on do not raise a flag.
  const ladderNoise = { images: Math.min(...rungs.map((r) => r.images)) };
  const out = [blackBoxBeatsWhiteBox(rungs.map((r) => ({ name: r.rung === 'transfer' ? 'pgd-ce from the dense round 0' : r.rung, kind: r.kind, accuracy: r.accuracy })), ladderNoise)];
  const family = (r: RungRecord) => (r.rung === 'pgd-10' || r.rung === 'pgd-ce' ? 'pgd-ce' : r.rung);
  out.push(moreEffortRaisesAccuracy(rungs.filter((r) => r.kind === 'white-box').map((r) => ({ family: family(r), effort: r.iterations * r.restarts, accuracy: r.accuracy })), ladderNoise));
  if (sweep) {
    const sweepNoise = { images: sweep.images };
    out.push(notMonotoneInEps(sweep.points, sweepNoise));
    // No noise here: an image the whole input range (or the flat image) holds is a failure of the attack itself.
    out.push(unreachedWorstCase(sweep.points, { clipMin: 0, clipMax: 1, flatBound: sweep.flatBound }));
  }
  return out;
}
