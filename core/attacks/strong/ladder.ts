import { ConfigError } from '../../errors.js';
import type { Attack, Classifier } from './attack.js';
import { attackOutcome, cleanOutcome, type AttackOutcome, type BatchOptions, type LabelledImages } from './batches.js';

export interface RungOutcome extends AttackOutcome {
  readonly attack: Attack;
}

export interface LadderOutcome {
  readonly clean: AttackOutcome;
  readonly rungs: readonly RungOutcome[];
  /** Per image: right on the clean image and on every rung's example, the worst case over the ladder. */
  readonly robust: Uint8Array;
  readonly robustAccuracy: number;
}

export interface LadderOptions extends Omit<BatchOptions, 'only'> {
  /** Called after each rung (progress, ETA). */
  readonly onRung?: (rung: RungOutcome, index: number, of: number) => void;
}

/**
 * Run a ladder of attacks on the same images. Rung r draws from options.rng.derive(r); each rung attacks only the
 * images the classifier gets right clean (the others are wrong on every rung). Robust accuracy is per image the
 * worst case over the ladder, so it is at most every rung's accuracy.
 */
export function runLadder(attacks: readonly Attack[], classifier: Classifier, data: LabelledImages, options: LadderOptions): LadderOutcome {
  if (attacks.length === 0) throw new ConfigError('the attack ladder is empty', 'name at least one attack');
  const clean = cleanOutcome(classifier, data, options);
  const robust = clean.correct.slice();
  const rungs = attacks.map((attack, r) => {
    const outcome = { attack, ...attackOutcome(attack, classifier, data, { ...options, rng: options.rng.derive(r), only: clean.correct }) };
    outcome.correct.forEach((c, i) => (robust[i] = robust[i]! & c));
    options.onRung?.(outcome, r, attacks.length);
    return outcome;
  });
  return { clean, rungs, robust, robustAccuracy: robust.reduce((a, c) => a + c, 0) / robust.length };
}
