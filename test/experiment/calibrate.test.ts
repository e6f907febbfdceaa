/**
 * The calibration (core/experiment/calibrate.ts) on the reference backend: it times the rounds cost.ts asks for,
 * at masks with the schedule's kept counts, and divides the timed spans by the steps and images it ran (checked
 * with a clock that advances one second per reading, so each price is 1 / count by hand).
 */
import { describe, expect, it } from 'vitest';
import { calibrate, calibrationSize, evalPasses, masksOfRound, trainPasses } from '../../core/experiment/calibrate.js';
import { DEFAULT_CONFIG, validateConfig, type ExperimentConfig } from '../../core/experiment/config.js';
import { keptCounts, roundWork, sampleRounds } from '../../core/experiment/cost.js';
import { modelSpec } from '../../core/nn/models/index.js';
import { Rng } from '../../core/nn/rng.js';
import { countOnes } from '../../core/pruning/magnitude.js';
import { pruneRates } from '../../core/pruning/rates.js';
import { useReferenceBackend } from '../support/backend.js';

useReferenceBackend();
const config = (o: Partial<ExperimentConfig>): ExperimentConfig => validateConfig({ ...DEFAULT_CONFIG, prune_iters: 3, ...o });
const TINY = { steps: 2, warmupSteps: 1, evalImages: 4 };

describe('calibrate', () => {
  it('sizes each program: fewer steps (by the square root of the passes) and images (in proportion) the more passes they take', () => {
    expect(trainPasses(config({}))).toBe(1);
    expect(trainPasses(config({ adv_train: true }))).toBe(2);
    expect(trainPasses(config({ adv_train: true, attack: 'pgd', pgd_iters: 10 }))).toBe(11);
    expect(evalPasses(config({ attack: 'fgsm' }))).toBe(3);
    expect(evalPasses(config({ attack: 'pgd', pgd_iters: 10 }))).toBe(12);
    const defaults = { steps: 200, warmupSteps: 10, evalImages: 500 };
    expect(calibrationSize(config({}), defaults)).toEqual({ steps: 200, warmupSteps: 10, evalImages: 500 });
    expect(calibrationSize(config({ adv_train: true, attack: 'pgd' }), defaults)).toEqual({ steps: 60, warmupSteps: 10, evalImages: 125 });
  });

  it("builds each sampled round's masks with the schedule's kept counts", () => {
    const c = config({});
    const expected = keptCounts(modelSpec(c.model), pruneRates(modelSpec(c.model)), 4);
    for (const round of [0, 1, 3]) expect(masksOfRound(c, round, new Rng(1)).map(countOnes)).toEqual(expected[round]);
  });

  it('times the rounds sampleRounds picks, and prices a step and an image as span / count', async () => {
    const c = config({ adv_train: true });
    let now = 0;
    const clock = () => (now += 1000); // one second per reading: warm-up end, last step, evaluation start, end
    const points = await calibrate(c, TINY, clock);
    const work = roundWork(c);
    expect(points.map((p) => p.round)).toEqual(sampleRounds(work.map((w) => w.fraction)));
    expect(points.map((p) => p.round)).toEqual([0, 3]);
    const size = calibrationSize(c, TINY); // 2 steps, 50 + 50 images, plus the last batch of 60 (adversarial)
    for (const point of points) {
      expect(point.fraction).toBe(work[point.round]!.fraction);
      expect(point.stepSeconds).toBeCloseTo(1 / size.steps, 12);
      expect(point.evalImageSeconds).toBeCloseTo(1 / (2 * size.evalImages + c.batch_size), 12);
    }
  }, 120_000);

  it('measures real, positive prices with the real clock', async () => {
    const points = await calibrate(config({ prune_iters: 0 }), TINY);
    expect(points).toHaveLength(1);
    for (const p of points) expect(p.stepSeconds > 0 && p.evalImageSeconds > 0 && Number.isFinite(p.stepSeconds + p.evalImageSeconds)).toBe(true);
  }, 120_000);
});
