import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseShard, selectShard } from '../../../core/experiment/jobs/job.js';
import { expandJobs } from '../../../benchmarks/paper/suite.js';
import { PRESETS } from '../../../benchmarks/paper/presets.js';
import { ConfigError } from '../../../core/errors.js';

describe('the paper suite as jobs', () => {
  it('expands dataset x attack x training x strategy x trials into one job per configuration and trial', () => {
    const jobs = expandJobs(PRESETS.paper!.axes, PRESETS.paper!.config, '/r');
    expect(jobs).toHaveLength(2 * 2 * 2 * 3 * 5);
    expect(new Set(jobs.map((j) => j.name)).size).toBe(jobs.length);
    expect(new Set(jobs.map((j) => `${j.dir}#${j.trial}`)).size).toBe(jobs.length);
    expect(jobs.every((j) => j.config.reset_to === 'round0_trained' && j.config.train_iters === 50000 && j.config.prune_iters === 20)).toBe(true);
    expect(jobs[0]!.name).toBe('digits/fgsm/normal/reinit_orig/trial_00');
  });

  it('splits into disjoint shards that cover the suite, deterministically', () => {
    const jobs = expandJobs(PRESETS.quick!.axes, PRESETS.quick!.config, '/r');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), (n) => {
        const shards = Array.from({ length: n }, (_, i) => selectShard(jobs, { index: i, count: n }).map((j) => j.index));
        expect(shards.flat().sort((a, b) => a - b)).toEqual(jobs.map((j) => j.index));
        expect(selectShard(jobs, { index: 0, count: n })).toEqual(selectShard(jobs, { index: 0, count: n }));
      }),
      { seed: 2, numRuns: 30 },
    );
  });

  it('parses i/n shards and rejects impossible ones', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    for (const bad of ['4/4', '1/0', 'x', '-1/3', '1/2/3']) expect(() => parseShard(bad)).toThrow(ConfigError);
  });
});
