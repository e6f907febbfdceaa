/** The ETA's arithmetic (cli/eta.ts) against hand computations, on a clock the test drives. */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Eta } from '../../cli/eta.js';
import { jobSteps, StepsDone, stepsOnDisk } from '../../cli/job-work.js';
import { DEFAULT_CONFIG, experimentId } from '../../core/experiment/config.js';
import type { Job } from '../../core/experiment/jobs/job.js';
import { tempRoot, writeConfig } from '../report/synthetic.js';

describe('Eta', () => {
  it('is the work left times the measured seconds per step', () => {
    const eta = new Eta(1000);
    eta.observe(0, 0);
    eta.observe(100, 10);
    expect(eta.secondsPerUnit()).toBeCloseTo(0.1, 12);
    expect(eta.secondsLeft()).toBeCloseTo(900 * 0.1, 9);
  });

  it('does not measure the wait before the first step, nor the work found done at the start', () => {
    const eta = new Eta(4000);
    // resumed with 1,300 steps on disk, first report after 30 s of start-up, then 200 steps in 4 s
    eta.observe(1300, 30);
    eta.observe(1500, 34);
    expect(eta.secondsPerUnit()).toBeCloseTo(0.02, 12);
    expect(eta.secondsLeft()).toBeCloseTo(2500 * 0.02, 9);
  });

  it('is unknown before a step is measured, and 0 when all is done', () => {
    const eta = new Eta(100);
    expect(eta.secondsLeft()).toBeNaN();
    eta.observe(40, 5);
    expect(eta.secondsLeft()).toBeNaN();
    eta.observe(100, 9);
    expect(eta.secondsLeft()).toBe(0);
  });

  it('follows a change of pace within its window (pruned rounds run faster)', () => {
    const eta = new Eta(100_000, 300);
    // 0.1 s a step for 600 s, then 0.01 s a step for 600 s, a report every second
    let done = 0;
    for (let t = 0; t <= 600; t++) eta.observe((done = t * 10), t);
    expect(eta.secondsPerUnit()).toBeCloseTo(0.1, 9);
    for (let t = 601; t <= 1200; t++) eta.observe((done += 100), t);
    // the window (300 s) now holds the fast pace only
    expect(eta.secondsPerUnit()).toBeCloseTo(0.01, 3);
    expect(eta.secondsLeft()).toBeCloseTo((100_000 - done) * 0.01, 0);
  });

  it('ignores a report that goes back', () => {
    const eta = new Eta(1000);
    eta.observe(100, 0);
    eta.observe(200, 10);
    eta.observe(150, 11);
    expect(eta.secondsPerUnit()).toBeCloseTo(0.1, 12);
  });
});

describe('steps done per job', () => {
  const temp = tempRoot('rsn-eta-');
  afterAll(() => rmSync(temp, { recursive: true, force: true }));

  it('start at the rounds complete on disk and only move on', () => {
    // a configuration of 1 + 3 rounds of 1,000 steps whose trial 0 has rounds 0 and 1 on disk
    const dir = writeConfig(temp, { experiment: 'reinit_orig', prune_iters: 3 }, { trials: 1, rounds: 2, trainIters: 1000, evalEvery: 500 });
    const config = { ...DEFAULT_CONFIG, experiment: 'reinit_orig' as const, prune_iters: 3, trials: 1, train_iters: 1000, eval_every: 500 };
    const job: Job = { index: 0, name: 'trial 0', config, trial: 0, experimentId: experimentId(config), dir };
    const fresh: Job = { ...job, index: 1, trial: 1 };
    expect(jobSteps(job)).toBe(4000);
    expect(stepsOnDisk(job)).toBe(2000);
    expect(stepsOnDisk(fresh)).toBe(0);
    const steps = new StepsDone([job, fresh]);
    expect(steps.total).toBe(2000);
    steps.report(job, 0, 1000);   // round 0 reported as found complete: no step back
    expect(steps.total).toBe(2000);
    steps.report(job, 2, 10);
    steps.report(fresh, 0, 30);
    expect(steps.total).toBe(2010 + 30);
  });
});
