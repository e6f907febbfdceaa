import { describe, expect, it } from 'vitest';
import { blackBoxBeatsWhiteBox, DEFAULT_TOLERANCE, margin, moreEffortRaisesAccuracy, notMonotoneInEps, unreachedWorstCase } from '../../../core/attacks/strong/index.js';

describe('gradient-masking flags (Carlini et al. 2019)', () => {
  it('black-box or transfer beating the best white-box attack is flagged', () => {
    const white = [{ name: 'apgd-ce', kind: 'white-box' as const, accuracy: 0.5 }, { name: 'pgd-ce', kind: 'white-box' as const, accuracy: 0.45 }];
    expect(blackBoxBeatsWhiteBox([...white, { name: 'square', kind: 'black-box', accuracy: 0.46 }]).raised).toBe(false);
    const flagged = blackBoxBeatsWhiteBox([...white, { name: 'square', kind: 'black-box', accuracy: 0.40 }]);
    expect(flagged.raised).toBe(true);
    expect(flagged.detail).toMatch(/square leaves 40\.00%.*pgd-ce\) 45\.00%/);
    expect(blackBoxBeatsWhiteBox([...white, { name: 'transfer-pgd-ce', kind: 'transfer', accuracy: 0.4499 }]).raised).toBe(false); // within tolerance
    expect(blackBoxBeatsWhiteBox([...white, { name: 'transfer-pgd-ce', kind: 'transfer', accuracy: 0.4489 }]).raised).toBe(true);
    expect(blackBoxBeatsWhiteBox(white).detail).toMatch(/not checked/);
  });

  it('more iterations or restarts leaving more images correct is flagged, within a family only', () => {
    const points = [
      { family: 'pgd-ce', effort: 10, accuracy: 0.5 },
      { family: 'pgd-ce', effort: 1000, accuracy: 0.47 },
      { family: 'apgd-ce', effort: 100, accuracy: 0.6 },
    ];
    expect(moreEffortRaisesAccuracy(points).raised).toBe(false);
    const flagged = moreEffortRaisesAccuracy([...points, { family: 'pgd-ce', effort: 100, accuracy: 0.52 }]);
    expect(flagged.raised).toBe(true);
    expect(flagged.detail).toMatch(/pgd-ce at effort 100 leaves 52\.00%, at 10 50\.00%/);
  });

  it('accuracy rising with eps is flagged, compared with every smaller eps', () => {
    expect(notMonotoneInEps([{ eps: 0.3, accuracy: 0.2 }, { eps: 0, accuracy: 0.98 }, { eps: 0.1, accuracy: 0.7 }]).raised).toBe(false);
    // 25% at eps 0.4 is below eps 0.1's 70% but above eps 0.3's 20%.
    const flagged = notMonotoneInEps([{ eps: 0, accuracy: 0.98 }, { eps: 0.1, accuracy: 0.7 }, { eps: 0.3, accuracy: 0.2 }, { eps: 0.4, accuracy: 0.25 }]);
    expect(flagged.raised).toBe(true);
    expect(flagged.detail).toMatch(/25\.00% at eps 0\.4 but 20\.00% at eps 0\.3/);
  });

  it('accuracy above 0 at eps = 1, or above the flat-image bound at eps >= 0.5, is flagged', () => {
    const bounds = { clipMin: 0, clipMax: 1, flatBound: 0.1 };
    expect(unreachedWorstCase([{ eps: 0.3, accuracy: 0.4 }, { eps: 0.5, accuracy: 0.1 }, { eps: 1, accuracy: 0 }], bounds).raised).toBe(false);
    expect(unreachedWorstCase([{ eps: 1, accuracy: 0.01 }], bounds).raised).toBe(true);
    expect(unreachedWorstCase([{ eps: 0.5, accuracy: 0.12 }], bounds).raised).toBe(true);
    expect(unreachedWorstCase([{ eps: 0.5, accuracy: 0.12 }], { clipMin: 0, clipMax: 1 }).raised).toBe(false); // no bound given
    expect(unreachedWorstCase([{ eps: 0.3, accuracy: 0.9 }], bounds).detail).toMatch(/not checked/);
    // Another input range: the ball spans it at eps >= 2.
    expect(unreachedWorstCase([{ eps: 1, accuracy: 0.05 }], { clipMin: -1, clipMax: 1, flatBound: 0.1 }).raised).toBe(false);
    expect(unreachedWorstCase([{ eps: 2, accuracy: 0.05 }], { clipMin: -1, clipMax: 1 }).raised).toBe(true);
  });
});

describe('the sampling-noise margin ({ images })', () => {
  it('is two binomial standard errors of the difference, never under the fixed margin', () => {
    // Hand derivation: a = 0.4, b = 0.5, n = 1000: 2 * sqrt((0.24 + 0.25) / 1000) = 0.04427...
    expect(margin({ images: 1000 }, 0.4, 0.5)).toBeCloseTo(2 * Math.sqrt(0.49 / 1000), 12);
    expect(margin({ images: 1000 }, 0, 0)).toBe(DEFAULT_TOLERANCE);
    expect(margin(0.02, 0.4, 0.5)).toBe(0.02);
  });

  it('does not flag one image of 200 that flips, and still flags a rise far beyond the noise', () => {
    const sweep = [{ eps: 0.15, accuracy: 0 }, { eps: 0.25, accuracy: 0.005 }];
    expect(notMonotoneInEps(sweep).raised).toBe(true); // the fixed margin: 0.1 points
    expect(notMonotoneInEps(sweep, { images: 200 }).raised).toBe(false);
    expect(notMonotoneInEps([{ eps: 0.05, accuracy: 0.445 }, { eps: 0.15, accuracy: 0.62 }], { images: 200 }).raised).toBe(true);
  });

  it('judges black-box against white-box by the images measured', () => {
    const rungs = [{ name: 'apgd-ce', kind: 'white-box' as const, accuracy: 0.447 }, { name: 'square', kind: 'black-box' as const, accuracy: 0.437 }];
    expect(blackBoxBeatsWhiteBox(rungs).raised).toBe(true);
    expect(blackBoxBeatsWhiteBox(rungs, { images: 1000 }).raised).toBe(false); // 1 point, within 2 standard errors (4.4)
    expect(blackBoxBeatsWhiteBox(rungs, { images: 100_000 }).raised).toBe(true);
  });
});
