import { describe, expect, it } from 'vitest';
import { percentTicks } from '../../core/report/figures.js';

describe('percentTicks', () => {
  it('labels 100 and a few values inside the range, finer for narrow ranges', () => {
    expect(percentTicks(1.8, 100)).toEqual([100, 50, 20, 10, 5, 2]);
    expect(percentTicks(8.7, 100)).toEqual([100, 50, 20, 10]);
    expect(percentTicks(16.9, 100)).toEqual([100, 80, 60, 50, 40, 30, 20]);
    expect(percentTicks(80, 100)).toEqual([100, 95, 90, 85, 80]);
  });
});
