/**
 * The GPU check's projection (benchmarks/perf/gpu/projection.ts, workloads.ts, targets.ts) against hand
 * computations: the suites' step programs and evaluation counts, the choice of the measured stack size that fits
 * a program, the projected seconds, and the target verdicts.
 */
import { describe, expect, it } from 'vitest';
import { fit, project, type Measured } from '../../../benchmarks/perf/gpu/projection.js';
import type { StepTiming } from '../../../benchmarks/perf/gpu/stacked-steps.js';
import { checkTargets } from '../../../benchmarks/perf/gpu/targets.js';
import { paperPresetWorkload, programSizes, tablesWorkload } from '../../../benchmarks/perf/gpu/workloads.js';

const ms = (entries: [number, number][]) => new Map(entries);

describe('the suites as step programs and evaluation work', () => {
  it('Tables 1-2: 40 networks; 20 natural, 10 FGSM, 10 PGD-10 for 19 x 50,000 steps; 109 evaluations a round of 15,000 images', () => {
    // Validation 5,000 leaves 55,000 training images: epochs of ceil(55000 / 60) = 917 steps; the original
    // evaluated after within-epoch batches 0 and 500 of each of the 55 epochs that start before step 50,000,
    // except batch 500 of the last (step 54 x 917 + 501 = 50,019 > 50,000): 2 x 55 - 1 = 109.
    const w = tablesWorkload();
    expect(w.networks).toBe(40);
    expect(w.programs).toEqual([
      { kind: 'natural', networks: 20, rounds: 19, stepsPerRound: 50000 },
      { kind: 'fgsm', networks: 10, rounds: 19, stepsPerRound: 50000 },
      { kind: 'pgd', networks: 10, rounds: 19, stepsPerRound: 50000 },
    ]);
    expect(w.evaluation).toEqual([
      { attack: 'fgsm', networks: 20, evaluations: 19 * 109, images: 15000 },
      { attack: 'pgd', networks: 20, evaluations: 19 * 109, images: 15000 },
    ]);
  });

  it('the paper preset: 120 networks over 3 strategies, 21 rounds, 120 evaluations a round of 20,000 images', () => {
    // 50,000 training images: epochs of 834 steps, 60 of them start before step 50,000, both evaluations of the
    // last (steps 49,207 and 49,707) fall inside: 120.
    const w = paperPresetWorkload();
    expect(w.networks).toBe(120);
    expect(w.programs.map((p) => [p.kind, p.networks, p.rounds])).toEqual([['natural', 60, 21], ['fgsm', 30, 21], ['pgd', 30, 21]]);
    expect(w.evaluation.map((e) => [e.attack, e.networks, e.evaluations, e.images])).toEqual([['fgsm', 60, 21 * 120, 20000], ['pgd', 60, 21 * 120, 20000]]);
    expect(programSizes()).toEqual([10, 20, 30, 60]);
  });
});

describe('the measured stack size that fits a program', () => {
  it('takes the least time per step of all networks: ceil(networks / T) stacked steps of T', () => {
    expect(fit(10, ms([[1, 10], [10, 30], [40, 100]]))).toEqual({ trials: 10, groups: 1, stepMs: 30 });
    expect(fit(10, ms([[1, 10], [40, 25]]))).toEqual({ trials: 40, groups: 1, stepMs: 25 }); // padded to 40
    expect(fit(20, ms([[1, 2], [8, 5]]))).toEqual({ trials: 8, groups: 3, stepMs: 5 }); // 3 x 5 < 20 x 2
    expect(fit(4, ms([[2, 3], [4, 6]]))).toEqual({ trials: 2, groups: 2, stepMs: 3 }); // a tie: the smaller T
    expect(() => fit(4, ms([]))).toThrow(RangeError);
  });
});

describe('the projected wall time', () => {
  const measured: Measured = {
    stepMs: { natural: ms([[1, 2], [10, 5], [20, 8]]), fgsm: ms([[1, 4], [10, 12]]), pgd: ms([[1, 10], [10, 30], [40, 100]]) },
    evalUsPerImage: { fgsm: 0.5, pgd: 3 },
  };

  it('is steps x stacked step time per program plus network-images x time per image per attack (Tables 1-2 by hand)', () => {
    const p = project(tablesWorkload(), measured);
    // natural: 950,000 steps x 8 ms (T=20) = 7,600 s; FGSM: x 12 ms (T=10) = 11,400 s; PGD-10: x 30 ms (T=10) = 28,500 s.
    expect(p.training.map((t) => [t.kind, t.trials, t.groups, t.steps])).toEqual([['natural', 20, 1, 950000], ['fgsm', 10, 1, 950000], ['pgd', 10, 1, 950000]]);
    expect(p.training.map((t) => t.seconds)).toEqual([7600, 11400, 28500]);
    expect(p.trainingSeconds).toBe(47500);
    // Evaluation: 20 networks x 2,071 evaluations x 15,000 images = 621,300,000 network-images per attack,
    // x 0.5 us (FGSM) = 310.65 s and x 3 us (PGD-10) = 1,863.9 s.
    expect(p.evaluation.map((e) => e.networkImages)).toEqual([621_300_000, 621_300_000]);
    expect(p.evaluation[0]!.seconds).toBeCloseTo(310.65, 9);
    expect(p.evaluation[1]!.seconds).toBeCloseTo(1863.9, 9);
    expect(p.totalSeconds).toBeCloseTo(47500 + 310.65 + 1863.9, 9);
  });

  it('covers a program larger than every measured T with several stacked steps', () => {
    const p = project(paperPresetWorkload(), { ...measured, stepMs: { ...measured.stepMs, natural: ms([[20, 8]]) } });
    // 60 natural networks as 3 x T=20: 21 x 50,000 x 3 x 8 ms = 25,200 s.
    expect(p.training[0]).toMatchObject({ kind: 'natural', trials: 20, groups: 3, seconds: 25200 });
  });
});

describe('the targets', () => {
  const step = (kind: StepTiming['kind'], trials: number, perNetworkUs: number): StepTiming =>
    ({ kind, trials, perNetworkUs, stackedMs: (perNetworkUs * trials) / 1000, units: 3, rounds: 3 });
  const steps = [step('natural', 160, 14), step('fgsm', 160, 31), step('pgd', 160, 90), step('natural', 1, 900), step('fgsm', 1, 900), step('pgd', 1, 900)];
  const tables = project(tablesWorkload(), { stepMs: { natural: ms([[1, 0.1]]), fgsm: ms([[1, 0.1]]), pgd: ms([[1, 0.1]]) }, evalUsPerImage: { fgsm: 0, pgd: 0 } });

  it('reads T=160, compares with PyTorch there, and the Tables projection with one hour', () => {
    const torch = { ran: true as const, version: '2', device: 'gpu', steps: [
      { kind: 'natural' as const, trials: 160, stackedMs: 0, perNetworkUs: 12 },
      { kind: 'fgsm' as const, trials: 160, stackedMs: 0, perNetworkUs: 20 },
      { kind: 'pgd' as const, trials: 160, stackedMs: 0, perNetworkUs: 80 },
    ] };
    // Tables: 950,000 x 0.1 ms x (20 + 10 + 10 networks at T=1) = 3,800 s > 3,600 s.
    const checks = checkTargets(steps, torch, tables);
    expect(checks.map((c) => c.met)).toEqual([true, false, true, true, false, true, false]);
    expect(checks[3]!.value).toBe('1.17x (14.0 us vs 12.0 us)'); // 14 / 12 <= 1.2
    expect(checks[4]!.value).toBe('1.55x (31.0 us vs 20.0 us)'); // 31 / 20 > 1.2
    expect(checks[6]!.value).toBe('1.06 h');
    expect(checks.every((c) => c.note === undefined)).toBe(true);
  });

  it('says where a figure was not measured, and at which T it read instead', () => {
    const small = steps.filter((s) => s.trials === 1);
    const checks = checkTargets(small, { ran: false, reason: 'no torch' }, tables);
    expect(checks[0]!.note).toBe('measured at T=1; the target is at T=160');
    expect(checks[3]!.met).toBeUndefined();
    expect(checks[3]!.note).toBe('PyTorch skipped: no torch');
  });
});
