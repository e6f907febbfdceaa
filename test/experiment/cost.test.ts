/**
 * The estimate's arithmetic (core/experiment/cost.ts) against hand derivations: the weights each round keeps, the
 * evaluations each schedule makes, the images each evaluation runs, interpolation between calibrated rounds,
 * job and suite seconds, and the progress of a running job.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, validateConfig, type ExperimentConfig } from '../../core/experiment/config.js';
import {
  costKey, jobRoundSeconds, keptCounts, priceAt, roundWork, sampleRounds, secondsDone, wallSeconds, type CostPoint,
} from '../../core/experiment/cost.js';
import { initialWeights, fullMasks } from '../../core/nn/model.js';
import { modelSpec } from '../../core/nn/models/index.js';
import { Rng } from '../../core/nn/rng.js';
import { countOnes, pruneParameters } from '../../core/pruning/magnitude.js';
import { pruneRates } from '../../core/pruning/rates.js';
import { preset } from '../../benchmarks/paper/presets.js';

const config = (overrides: Partial<ExperimentConfig>): ExperimentConfig => validateConfig({ ...DEFAULT_CONFIG, ...overrides });
const PAPER = config(preset('paper').config);
const spec = modelSpec('dense-300-100');

describe('keptCounts: the sparsity schedule', () => {
  it("keeps what the original's rule leaves in the paper's network, by hand", () => {
    const [r0, r1, r2] = keptCounts(spec, pruneRates(spec), 3);
    // 784x300, 300x100, 100x10 kernels, no biases; dense layers lose round(0.2 n) + 1, the output round(0.1 n) + 1.
    expect(r0).toEqual([235_200, 30_000, 1_000]);
    expect(r1).toEqual([235_200 - 47_041, 30_000 - 6_001, 1_000 - 101]); // 188,159  23,999  899
    // 0.2 * 188,159 = 37,631.8 -> 37,632; 0.2 * 23,999 = 4,799.8 -> 4,800; 0.1 * 899 = 89.9 -> 90
    expect(r2).toEqual([188_159 - 37_633, 23_999 - 4_801, 899 - 91]);
  });

  it('is the count the pruning code leaves, round after round, on random weights (no ties)', () => {
    const rates = pruneRates(spec);
    const rng = new Rng(7);
    let masks = fullMasks(spec);
    const expected = keptCounts(spec, rates, 6);
    expect(masks.map(countOnes)).toEqual(expected[0]);
    for (let round = 1; round < 6; round++) {
      masks = pruneParameters(initialWeights(spec, rng), masks, rates);
      expect(masks.map(countOnes), `round ${round}`).toEqual(expected[round]);
    }
  });

  it('never prunes a parameter at rate 0, and reaches 0 without going below', () => {
    const tiny = { ...spec, parameters: [{ ...spec.parameters[0]!, shape: [3, 1] }, { ...spec.parameters[1]!, shape: [2, 2] }] };
    // 3 kept at 0.4: round(1.2) = 1 -> 2 removed, 1 kept; then round(0.4) = 0 -> 1 removed, 0 kept; then 0.
    expect(keptCounts(tiny, [0.4, 0], 4)).toEqual([[3, 4], [1, 4], [0, 4], [0, 4]]);
  });
});

describe('roundWork: what each round trains and evaluates', () => {
  it("the paper preset: 21 rounds of 50,000 steps, the original's 120 evaluations of 10,000 + 10,000 images (+ the last batch when adversarial)", () => {
    const natural = roundWork(PAPER);
    expect(natural).toHaveLength(21);
    // Epochs of ceil(50,000 / 60) = 834 steps, evaluations after within-epoch batches 0 and 500: 59 whole epochs
    // (49,206 steps) and the 60th's steps 49,207 and 49,707, both <= 50,000: 60 x 2 = 120.
    expect(natural.every((r) => r.trainSteps === 50_000 && r.evaluations === 120 && r.imagesPerEvaluation === 20_000)).toBe(true);
    expect(roundWork({ ...PAPER, adv_train: true }).every((r) => r.imagesPerEvaluation === 20_060)).toBe(true);
    expect(natural[0]!.fraction).toBe(1);
    expect(natural[1]!.fraction).toBeCloseTo((188_159 + 23_999 + 899) / 266_200, 15);
  });

  it("the 'every' schedule evaluates at 0, every eval_every steps and at the end; no_pruning has one round", () => {
    expect(roundWork(config({ train_iters: 50_000, eval_every: 500 }))[0]!.evaluations).toBe(101); // 0, 500, ..., 50,000
    expect(roundWork(config({ train_iters: 20, eval_every: 10 }))[0]!.evaluations).toBe(3); // 0, 10, 20
    expect(roundWork(config({ train_iters: 25, eval_every: 10 }))[0]!.evaluations).toBe(4); // 0, 10, 20, 25
    expect(roundWork(config({ train_iters: 800, eval_every: 800 }))[0]!.evaluations).toBe(2);
    expect(roundWork(config({ experiment: 'no_pruning', prune_iters: 20 }))).toHaveLength(1);
  });

  it("'paper_row' evaluates twice at the protocol's settings: the row after step 25,021 and the last step", () => {
    expect(roundWork({ ...PAPER, eval_schedule: 'paper_row' })[0]!.evaluations).toBe(2);
  });
});

describe('prices and seconds', () => {
  const points: CostPoint[] = [
    { round: 0, fraction: 1, stepSeconds: 0.004, evalImageSeconds: 0.0002 },
    { round: 4, fraction: 0.5, stepSeconds: 0.002, evalImageSeconds: 0.0001 },
  ];

  it('interpolates linearly in the kept fraction between calibrated rounds, and holds the nearest outside them', () => {
    expect(priceAt(points, 0.75).stepSeconds).toBeCloseTo(0.003, 15);
    expect(priceAt(points, 0.75).evalImageSeconds).toBeCloseTo(0.00015, 15);
    expect(priceAt(points, 0.1)).toEqual({ ...points[1] });
    expect(priceAt([...points].reverse(), 1).stepSeconds).toBe(0.004);
  });

  it('prices a job round by round: steps x step price + evaluations x images x image price', () => {
    const flat: CostPoint[] = [{ round: 0, fraction: 1, stepSeconds: 0.01, evalImageSeconds: 0.001 }];
    const adversarial = { ...PAPER, adv_train: true };
    // 21 rounds of 50,000 x 0.01 + 120 x 20,060 x 0.001 = 500 + 2,407.2 s
    const rounds = jobRoundSeconds(adversarial, flat);
    expect(rounds).toHaveLength(21);
    for (const seconds of rounds) expect(seconds).toBeCloseTo(2_907.2, 9);
    // With the two points above, round 1 (80.04% kept) costs between round 0's and round 4's prices.
    const priced = jobRoundSeconds(PAPER, points);
    const f1 = (188_159 + 23_999 + 899) / 266_200;
    const t = (f1 - 0.5) / 0.5;
    expect(priced[1]).toBeCloseTo(50_000 * (0.002 + t * 0.002) + 120 * 20_000 * (0.0001 + t * 0.0001), 6);
    expect(priced[0]).toBeCloseTo(50_000 * 0.004 + 120 * 20_000 * 0.0002, 6);
  });

  it('wall time: jobs handed out in order to the first free worker', () => {
    expect(wallSeconds([3, 1, 1, 1], 2)).toBe(3); // worker 0: 3; worker 1: 1 + 1 + 1
    expect(wallSeconds([1, 1, 1], 2)).toBe(2);
    expect(wallSeconds([5, 4, 3], 8)).toBe(5);
    expect(wallSeconds([], 2)).toBe(0);
    fc.assert(fc.property(fc.array(fc.double({ min: 0, max: 1e4, noNaN: true }), { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 8 }), (jobs, workers) => {
      const wall = wallSeconds(jobs, workers);
      const sum = jobs.reduce((a, b) => a + b, 0);
      // Never less than the longest job or an even share, never more than all in a row.
      return wall >= Math.max(...jobs) - 1e-9 && wall >= sum / workers - 1e-9 && wall <= sum + 1e-9;
    }), { seed: 26 });
  });

  it('seconds behind a running job: its finished rounds and the share of the current one', () => {
    expect(secondsDone([10, 20, 30], 1, 50, 100)).toBe(20);
    expect(secondsDone([10, 20, 30], 0, 0, 100)).toBe(0);
    expect(secondsDone([10, 20, 30], 2, 100, 100)).toBe(60);
    expect(secondsDone([10, 20, 30], 3, 0, 100)).toBe(60);
  });
});

describe('what is calibrated', () => {
  it('rounds: the dense one, the last, and the first at or below half, a quarter and a tenth kept', () => {
    expect(sampleRounds([1, 0.8, 0.6, 0.45, 0.3, 0.2, 0.05])).toEqual([0, 3, 5, 6]);
    expect(sampleRounds([1, 0.8])).toEqual([0, 1]);
    expect(sampleRounds([1])).toEqual([0]);
    // The paper's schedule: 0.8^r roughly; round 4 is the first below a half, 7 below a quarter, 11 below a tenth.
    expect(sampleRounds(roundWork(PAPER).map((r) => r.fraction))).toEqual([0, 4, 7, 11, 20]);
  });

  it('one calibration per cost key: strategies and data sets share one, attacks and trainings do not', () => {
    const key = (o: Partial<ExperimentConfig>) => costKey({ ...PAPER, ...o });
    expect(key({ dataset: 'fashion', experiment: 'reinit_rand', seed: 3 })).toBe(key({}));
    // Natural training's step does not depend on the attack, but its evaluations do.
    expect(key({ attack: 'pgd' })).not.toBe(key({ attack: 'fgsm' }));
    expect(key({ adv_train: true })).not.toBe(key({}));
    expect(key({ prune_rates: 'output=0.2' })).not.toBe(key({}));
    expect(key({ train_iters: 10, eval_every: 5 })).toBe(key({}));
  });
});
