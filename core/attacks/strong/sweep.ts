import { fromHost } from '../../autodiff/engine.js';
import { ConfigError } from '../../errors.js';
import type { Attack, Ball, Classifier } from './attack.js';
import { logitsAt } from './evaluation.js';
import { attackOutcome, checkImages, cleanOutcome, type AttackOutcome, type BatchOptions, type LabelledImages } from './batches.js';
import { hostResult } from './scopes.js';

export interface SweepPoint extends AttackOutcome {
  readonly eps: number;
}

/** The eps values of an audit's sweep: 0 to 0.5 in steps of 0.05, and 1. */
export const DEFAULT_SWEEP: readonly number[] = [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 1];

/**
 * One attack at several eps: `attackAt(eps)` builds it (so every setting is validated before any work), and eps
 * point k draws from options.rng.derive(k). Only the images right clean are attacked.
 */
export function epsSweep(
  attackAt: (eps: number) => Attack, epsValues: readonly number[], classifier: Classifier, data: LabelledImages,
  options: Omit<BatchOptions, 'only'>,
): SweepPoint[] {
  if (epsValues.length === 0) throw new ConfigError('the eps sweep has no eps values', `for example ${DEFAULT_SWEEP.join(',')}`);
  const attacks = epsValues.map(attackAt);
  const clean = cleanOutcome(classifier, data, options);
  return attacks.map((attack, k) => ({ eps: epsValues[k]!, ...attackOutcome(attack, classifier, data, { ...options, rng: options.rng.derive(k), only: clean.correct }) }));
}

/**
 * An upper bound on any attack's accuracy once the ball holds the flat image at the middle of the input range
 * (eps >= (clipMax - clipMin) / 2 holds it for every image): the share of images whose label is the class the
 * classifier gives that flat image. An attack that stays above it there is missing points it could reach.
 */
export function flatImageBound(classifier: Classifier, data: LabelledImages, ball: Pick<Ball, 'clipMin' | 'clipMax'>): number {
  const d = checkImages(data);
  const flat = new Float32Array(d).fill((ball.clipMin + ball.clipMax) / 2);
  const logits = hostResult(() => logitsAt(classifier, fromHost(flat, [1, d])));
  let predicted = 0;
  for (let c = 1; c < logits.length; c++) if (logits[c]! > logits[predicted]!) predicted = c;
  return data.labels.reduce((a, y) => a + (y === predicted ? 1 : 0), 0) / data.labels.length;
}
