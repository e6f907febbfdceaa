import { describe, expect, it } from 'vitest';
import { barLine, formatDuration, logLine, ProgressBar, terminalLine } from '../../cli/progress.js';
import { MultiProgress } from '../../cli/multi-progress.js';

describe('progress lines', () => {
  it('show the fraction done, the elapsed time and the ETA given', () => {
    const line = barLine(0.25, 'round 1/3', 60, 180, 8);
    expect(line).toContain('[==      ]  25.0%  round 1/3');
    expect(line).toContain('elapsed 1m00s  ETA 3m00s');
    expect(barLine(0, 'start', 5, NaN, 4)).toContain('ETA --');
    expect(barLine(1.5, 'over', 5, 0, 4)).toContain('[====] 100.0%');
  });

  it('fit a log line, timestamp included, into 80 columns', () => {
    const line = logLine(0.5, 'trials 0-4 round 12/20 iter 31500/50000 (evaluating)', 3725, 3725, new Date(0));
    expect(line.startsWith('1970-01-01T00:00:00Z [')).toBe(true);
    expect(line.length).toBeLessThanOrEqual(80);
    expect(line).toMatch(/ETA 1h02m$/);
  });

  it('format durations in seconds, minutes and hours', () => {
    expect([0, 59.4, 61, 3600, 7322].map(formatDuration)).toEqual(['0s', '59s', '1m01s', '1h00m', '2h02m']);
    expect(formatDuration(NaN)).toBe('--');
  });
});

/** A stream that records what is written, as a terminal of `columns` or as a pipe. */
const fakeStream = (tty: boolean, columns?: number) => {
  const chunks: string[] = [];
  return { isTTY: tty, columns, chunks, write: (text: string) => chunks.push(text) > 0 };
};
/** What a terminal shows per written chunk: the text after the last \r or cursor movement, without escapes. */
const visible = (chunk: string): string[] => chunk.split(/\r|\n|\x1b\[\d*F/).map((s) => s.replace(/\x1b\[[0-9]*[A-Za-z]/g, ''));

describe('progress on a terminal', () => {
  it('fits every redrawn line into the terminal width, redrawn in place with \\r', async () => {
    const stream = fakeStream(true, 72);
    const bar = new ProgressBar(1000, stream);
    for (let i = 0; i <= 1000; i += 250) {
      bar.update(i, `trial 0 round 3/20 iter ${i}/50000 (evaluating) with a long label that goes on`);
      await new Promise((r) => setTimeout(r, 110));
    }
    bar.done();
    expect(stream.chunks.length).toBeGreaterThan(3);
    for (const chunk of stream.chunks.slice(0, -1)) {
      expect(chunk.startsWith('\r')).toBe(true);
      expect(chunk).not.toContain('\n');
      for (const line of visible(chunk)) expect(line.length).toBeLessThanOrEqual(71);
    }
    expect(stream.chunks.at(-1)).toBe('\n');
  });

  it('fits the worker block of rsn bench into the terminal width', () => {
    const stream = fakeStream(true, 60);
    const display = new MultiProgress(2, 1000, stream);
    display.setWorker(0, 'digits-pgd-advtrain-reinit_orig-t0 round 3/11 iter 400/800 and more text');
    display.draw(500, '3/24 jobs', true);
    for (const line of visible(stream.chunks.join(''))) expect(line.length).toBeLessThanOrEqual(59);
  });
});

describe('progress in logs (not a terminal)', () => {
  it('prints timestamped lines and the 100% line once', () => {
    const stream = fakeStream(false);
    const bar = new ProgressBar(10, stream, 0);
    bar.update(5, 'trial 0 round 0/0 iter 5/10');
    bar.update(10, 'trial 0 round 0/0 iter 10/10');
    bar.update(10, 'trial 0 round 0/0 iter 10/10 (evaluating)');
    bar.update(10, 'trial 0 round 0/0 iter 10/10');
    bar.done();
    const lines = stream.chunks.join('').trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \[/);
    expect(lines.filter((l) => l.includes('100.0%'))).toHaveLength(1);
  });

  it('rsn bench\'s display prints the same overall progress once', () => {
    const stream = fakeStream(false);
    const display = new MultiProgress(2, 6, stream, 0);
    display.draw(6, '6/6 jobs', true);
    display.draw(6, '6/6 jobs', true);
    display.log('done    job');
    const lines = stream.chunks.join('').trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ done    job$/);
  });
});

describe('terminalLine', () => {
  it('drops the elapsed time before the ETA, and cuts the label before the ETA', () => {
    const label = 'trial 0 round 1/1 iter 2982/3000 (evaluating)';
    expect(terminalLine(0.5, label, 10, 10, 120)).toContain('elapsed 10s  ETA 10s');
    const narrow = terminalLine(0.5, label, 10, 10, 71);
    expect(narrow.length).toBeLessThanOrEqual(71);
    expect(narrow).toMatch(/ETA 10s$/);
    expect(narrow).not.toContain('elapsed');
    const tiny = terminalLine(0.5, label, 10, 10, 40);
    expect(tiny.length).toBeLessThanOrEqual(40);
    expect(tiny).toMatch(/…  ETA 10s$/);
  });
});

describe('the ETA of a resumed run', () => {
  it('comes from the pace of this run, not from the rounds found on disk', () => {
    // 4 rounds of 1,000 steps, 1.3 rounds on disk; this run trains a step in 0.02 s (a round in 20 s)
    const stream = fakeStream(false);
    const bar = new ProgressBar(4000, stream, 0);
    bar.update(1300, 'resumed', 100);
    bar.update(1400, 'round 1/3', 102);
    // 2,600 steps left at 0.02 s: 52 s (extrapolating the fraction done, 35%, from 2 s would say 3.7 s)
    expect(stream.chunks.at(-1)).toMatch(/ETA 52s\n$/);
  });
});
