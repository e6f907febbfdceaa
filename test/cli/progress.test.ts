import { describe, expect, it } from 'vitest';
import { barLine, formatDuration } from '../../cli/progress.js';

describe('progress lines', () => {
  it('show the fraction done and extrapolate the ETA from it', () => {
    const line = barLine(0.25, 'round 1/3', 60, 8);
    expect(line).toContain('[==      ]  25.0%  round 1/3');
    expect(line).toContain('elapsed 1m00s  ETA 3m00s');
    expect(barLine(0, 'start', 5, 4)).toContain('ETA --');
    expect(barLine(1.5, 'over', 5, 4)).toContain('[====] 100.0%');
  });

  it('format durations in seconds, minutes and hours', () => {
    expect([0, 59.4, 61, 3600, 7322].map(formatDuration)).toEqual(['0s', '59s', '1m01s', '1h00m', '2h02m']);
    expect(formatDuration(NaN)).toBe('--');
  });
});
