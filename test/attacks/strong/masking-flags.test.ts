import { describe, expect, it } from 'vitest';
import { blackBoxBeatsWhiteBox, moreEffortRaisesAccuracy, notMonotoneInEps, unreachedWorstCase } from '../../../core/attacks/strong/index.js';

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
