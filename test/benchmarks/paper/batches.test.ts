import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { autoBatchTrials, bytesPerNetwork, MAX_AUTO_BATCH, parseBatchTrials } from '../../../core/experiment/jobs/batch-size.js';
import { groupBatches } from '../../../core/experiment/jobs/job.js';
import { expandJobs } from '../../../benchmarks/paper/suite.js';
import { PRESETS } from '../../../benchmarks/paper/presets.js';
import { DEFAULT_CONFIG } from '../../../core/experiment/config.js';
import { stepProgramKey } from '../../../core/experiment/step-program.js';
import { ConfigError } from '../../../core/errors.js';

describe('jobs grouped into batches that train as one computation', () => {
  const jobs = expandJobs(PRESETS.paper!.axes, PRESETS.paper!.config, '/r');

  it('cover every job once, at most N to a batch, each batch of one step program, jobs in order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), (n) => {
        const batches = groupBatches(jobs, n);
        expect(batches.flatMap((b) => b.jobs.map((j) => j.index)).sort((a, b) => a - b)).toEqual(jobs.map((j) => j.index));
        for (const batch of batches) {
          expect(batch.jobs.length).toBeGreaterThanOrEqual(1);
          expect(batch.jobs.length).toBeLessThanOrEqual(n);
          expect(new Set(batch.jobs.map((j) => stepProgramKey(j.config))).size).toBe(1);
          expect(batch.jobs.map((j) => j.index)).toEqual([...batch.jobs.map((j) => j.index)].sort((a, b) => a - b));
        }
      }),
      { seed: 3, numRuns: 25 },
    );
  });

  it('the paper suite has 4 step programs (attack x training mode), each 30 jobs over datasets, strategies and trials', () => {
    const batches = groupBatches(jobs, 1000);
    expect(batches).toHaveLength(4);
    for (const batch of batches) {
      expect(batch.jobs).toHaveLength(30);
      expect(new Set(batch.jobs.map((j) => j.config.dataset))).toEqual(new Set(['digits', 'fashion']));
      expect(new Set(batch.jobs.map((j) => j.config.experiment)).size).toBe(3);
    }
  });

  it('size 1 is one batch per job; sizes below 1 are refused', () => {
    expect(groupBatches(jobs, 1)).toHaveLength(jobs.length);
    expect(() => groupBatches(jobs, 0)).toThrow(ConfigError);
  });
});

describe('--batch_trials auto', () => {
  it('is 1 on a backend without a stacking limit (the CPU backends)', () => {
    expect(autoBatchTrials(DEFAULT_CONFIG, {})).toBe(1);
  });

  it('fits the largest per-network tensor, the evaluation batch, into the largest buffer', () => {
    // 1000 evaluation images x 784 pixels x 4 bytes = 3,136,000 bytes a network; 128 MiB hold 42 of them.
    expect(bytesPerNetwork(DEFAULT_CONFIG)).toBe(3_136_000);
    expect(autoBatchTrials(DEFAULT_CONFIG, { stacking: { maxBufferBytes: 128 * 1024 * 1024 } })).toBe(42);
    // A small evaluation batch: the first weight matrix, 784 x 300 x 4 = 940,800 bytes, is the largest.
    expect(bytesPerNetwork({ ...DEFAULT_CONFIG, eval_batch_size: 100 })).toBe(940_800);
    expect(autoBatchTrials(DEFAULT_CONFIG, { stacking: { maxBufferBytes: 2 ** 40 } })).toBe(MAX_AUTO_BATCH);
    expect(autoBatchTrials(DEFAULT_CONFIG, { stacking: { maxBufferBytes: 1000 } })).toBe(1);
  });

  it('parses whole numbers >= 1 and auto, and refuses anything else with the flag named', () => {
    expect(parseBatchTrials('auto')).toBe('auto');
    expect(parseBatchTrials('12')).toBe(12);
    for (const bad of ['0', '-3', '2.5', 'many', '']) expect(() => parseBatchTrials(bad)).toThrow(/--batch_trials/);
  });
});
