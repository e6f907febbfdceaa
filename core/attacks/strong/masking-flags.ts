/**
 * Signs of gradient masking from the checklist of Carlini et al. 2019 ("On Evaluating Adversarial Robustness",
 * section 5 and appendix), as pure functions of accuracies (fractions in [0, 1]). A raised flag does not prove
 * masking; it says that the white-box numbers cannot be taken at face value. A tolerance absorbs noise between two
 * accuracies: a fixed margin (0.001 = 0.1 percentage points: 10 images of 10,000), or `{ images }`, the number of
 * images each accuracy was measured on, for two binomial standard errors of their difference (never under 0.001),
 * so that one image of 200 that flips does not raise a flag.
 */
import type { AttackKind } from './attack.js';

export type FlagName = 'black-box-beats-white-box' | 'more-effort-raises-accuracy' | 'not-monotone-in-eps' | 'unreached-worst-case';

export interface Flag {
  readonly name: FlagName;
  readonly raised: boolean;
  /** One sentence: what was compared and what was found. */
  readonly detail: string;
}

export const DEFAULT_TOLERANCE = 0.001;

export type Tolerance = number | { readonly images: number };

/** How far accuracy b may exceed accuracy a (or fall below it) before the difference counts. */
export function margin(tolerance: Tolerance, a: number, b: number): number {
  if (typeof tolerance === 'number') return tolerance;
  const variance = (a * (1 - a) + b * (1 - b)) / tolerance.images;
  return Math.max(DEFAULT_TOLERANCE, 2 * Math.sqrt(variance));
}

const pct = (a: number): string => `${(100 * a).toFixed(2)}%`;

export interface RungAccuracy {
  readonly name: string;
  readonly kind: AttackKind;
  readonly accuracy: number;
}

/** A black-box or transfer attack should never do better than the best white-box attack at the same eps. */
export function blackBoxBeatsWhiteBox(rungs: readonly RungAccuracy[], tolerance: Tolerance = DEFAULT_TOLERANCE): Flag {
  const name = 'black-box-beats-white-box';
  const best = (kinds: readonly AttackKind[]) =>
    rungs.filter((r) => kinds.includes(r.kind)).reduce<RungAccuracy | undefined>((b, r) => (!b || r.accuracy < b.accuracy ? r : b), undefined);
  const white = best(['white-box']);
  const other = best(['black-box', 'transfer']);
  if (!white || !other) return { name, raised: false, detail: 'not checked: the ladder needs a white-box rung and a black-box or transfer rung' };
  const raised = other.accuracy < white.accuracy - margin(tolerance, other.accuracy, white.accuracy);
  return {
    name, raised,
    detail: `${other.kind} ${other.name} leaves ${pct(other.accuracy)}, the best white-box attack (${white.name}) ${pct(white.accuracy)}${raised ? ': the gradients mislead the white-box attacks' : ''}`,
  };
}

export interface EffortAccuracy {
  /** Attacks that differ only in effort share a family (the attack's name, e.g. 'pgd-ce'). */
  readonly family: string;
  /** Iterations x restarts (queries x restarts for a black-box attack). */
  readonly effort: number;
  readonly accuracy: number;
}

/** Within a family, more iterations or restarts should never leave more images correct. */
export function moreEffortRaisesAccuracy(points: readonly EffortAccuracy[], tolerance: Tolerance = DEFAULT_TOLERANCE): Flag {
  const name = 'more-effort-raises-accuracy';
  const offences: string[] = [];
  const families = new Map<string, EffortAccuracy[]>();
  for (const p of points) families.set(p.family, [...(families.get(p.family) ?? []), p]);
  for (const [family, list] of families) {
    for (const weak of list) {
      for (const strong of list) {
        if (strong.effort > weak.effort && strong.accuracy > weak.accuracy + margin(tolerance, strong.accuracy, weak.accuracy)) {
          offences.push(`${family} at effort ${strong.effort} leaves ${pct(strong.accuracy)}, at ${weak.effort} ${pct(weak.accuracy)}`);
        }
      }
    }
  }
  return {
    name, raised: offences.length > 0,
    detail: offences.length > 0 ? offences.join('; ') : `checked ${points.length} attacks in ${families.size} families: more effort never raised accuracy`,
  };
}

export interface EpsAccuracy {
  readonly eps: number;
  readonly accuracy: number;
}

/** Accuracy should not rise with eps: a larger ball holds every point of a smaller one. */
export function notMonotoneInEps(sweep: readonly EpsAccuracy[], tolerance: Tolerance = DEFAULT_TOLERANCE): Flag {
  const name = 'not-monotone-in-eps';
  const sorted = [...sweep].sort((a, b) => a.eps - b.eps);
  const offences: string[] = [];
  let lowest: EpsAccuracy | undefined;
  for (const p of sorted) {
    if (lowest && p.accuracy > lowest.accuracy + margin(tolerance, p.accuracy, lowest.accuracy)) offences.push(`${pct(p.accuracy)} at eps ${p.eps} but ${pct(lowest.accuracy)} at eps ${lowest.eps}`);
    if (!lowest || p.accuracy < lowest.accuracy) lowest = p;
  }
  return { name, raised: offences.length > 0, detail: offences.length > 0 ? offences.join('; ') : `accuracy never rises over ${sweep.length} eps values` };
}

export interface WorstCaseBounds {
  readonly clipMin: number;
  readonly clipMax: number;
  /**
   * The accuracy bound once the ball holds the flat mid-range image (sweep.ts, flatImageBound); omitted, only the
   * eps that spans the whole input range is checked.
   */
  readonly flatBound?: number;
}

/**
 * Where the ball reaches points of another class, an attack must too: at eps >= clipMax - clipMin the ball is the
 * whole input range (accuracy must be 0), and at eps >= (clipMax - clipMin) / 2 it holds the flat mid-range image
 * (accuracy at most flatBound).
 */
export function unreachedWorstCase(sweep: readonly EpsAccuracy[], bounds: WorstCaseBounds, tolerance: Tolerance = DEFAULT_TOLERANCE): Flag {
  const name = 'unreached-worst-case';
  const range = bounds.clipMax - bounds.clipMin;
  const offences: string[] = [];
  let checked = 0;
  for (const p of sweep) {
    const bound = p.eps >= range ? 0 : p.eps >= range / 2 && bounds.flatBound !== undefined ? bounds.flatBound : undefined;
    if (bound === undefined) continue;
    checked++;
    if (p.accuracy > bound + margin(tolerance, p.accuracy, bound)) offences.push(`${pct(p.accuracy)} at eps ${p.eps}, where an attack can reach ${pct(bound)}`);
  }
  if (checked === 0) return { name, raised: false, detail: `not checked: the sweep has no eps >= ${range / 2}` };
  return { name, raised: offences.length > 0, detail: offences.length > 0 ? offences.join('; ') : `every large eps reaches its bound (${checked} checked)` };
}
