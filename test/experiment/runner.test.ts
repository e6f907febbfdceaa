import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type ExperimentConfig } from '../../core/experiment/config.js';
import * as paths from '../../core/results/paths.js';
import type { PreparedData } from '../../core/experiment/round.js';
import { runTrial } from '../../core/experiment/runner.js';
import { claimConfigDir, loadKernels, loadSummary, ResultsConflictError } from '../../core/results/store.js';
import { readNpy } from '../../core/results/npy.js';
import { DENSE_300_100 } from '../../core/nn/model.js';
import { countOnes } from '../../core/pruning/magnitude.js';
import { useReferenceBackend } from '../support/backend.js';
import { syntheticSet } from '../support/synthetic.js';
import { snapshot } from '../support/snapshot.js';

useReferenceBackend();


const data: PreparedData = { train: syntheticSet(120, 1, 0.1), valid: syntheticSet(30, 2, 0.1), test: syntheticSet(30, 3, 0) };

const tiny = (overrides: Partial<ExperimentConfig> = {}): ExperimentConfig => ({
  ...DEFAULT_CONFIG, trials: 1, train_iters: 4, eval_every: 2, prune_iters: 2, batch_size: 20, eval_batch_size: 16,
  attack: 'pgd', pgd_iters: 2, ...overrides,
});

async function run(config: ExperimentConfig, trial = 0, onProgress?: Parameters<typeof runTrial>[3]['onProgress']): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'rsn-run-'));
  claimConfigDir(dir, 'test', config, false);
  await runTrial(config, data, trial, { configDir: dir, backend: 'reference', onProgress });
  return dir;
}

describe('a trial on disk', () => {
  const config = tiny({ adv_train: true });
  let dir = '';
  let trial = '';
  beforeAll(async () => {
    dir = await run(config);
    trial = paths.trialDir(dir, 0);
  });

  it('writes every round in the original layout with numpy-readable kernels and metrics', async () => {
    for (let round = 0; round <= 2; round++) {
      const rd = paths.roundDir(trial, round);
      for (const kind of ['init_kernels', 'masks', 'post_kernels'] as const) {
        DENSE_300_100.parameters.forEach((l) => expect(readNpy(paths.kernelFile(rd, kind, l.name)).shape).toEqual([l.fanIn, l.fanOut]));
      }
      expect(readFileSync(paths.metricsFile(rd, 'test'), 'utf8').split('\n')[0]).toBe('batch,loss,acc,adv_acc,adv_loss');
      expect(readFileSync(paths.metricsFile(rd, 'valid'), 'utf8').trim().split('\n')).toHaveLength(1 + 3);
      const summary = loadSummary(trial, round);
      expect(summary.round).toBe(round);
      expect(summary.early_stopping.iteration % config.eval_every).toBe(0);
    }
    const manifest = JSON.parse(readFileSync(paths.trialManifest(trial), 'utf8'));
    expect(manifest.rounds.map((r: { round: number }) => r.round)).toEqual([0, 1, 2]);
    expect(manifest.backend).toBe('reference');
  });

  it('prunes with masks that only lose ones, at the protocol rates', async () => {
    const counts = [0, 1, 2].map((r) => loadKernels(trial, r, 'masks', DENSE_300_100).map(countOnes));
    expect(counts[0]).toEqual([235200, 30000, 1000]);
    expect(counts[1]).toEqual([188159, 23999, 899]);
    expect(counts[2]).toEqual([150526, 19198, 808]);
    const [m1, m2] = [loadKernels(trial, 1, 'masks', DENSE_300_100), loadKernels(trial, 2, 'masks', DENSE_300_100)];
    m2.forEach((m, l) => m.forEach((v, i) => v === 1 && expect(m1[l]![i]).toBe(1)));
  });

  it('gives identical results for the same seed, and different ones for another seed', async () => {
    expect(snapshot(await run(config))).toEqual(snapshot(dir));
    expect(snapshot(await run({ ...config, seed: 1 }))).not.toEqual(snapshot(dir));
  });

  it('resumes a killed run at the last completed round with the same results as an uninterrupted one', async () => {
    const killed = mkdtempSync(join(tmpdir(), 'rsn-kill-'));
    claimConfigDir(killed, 'test', config, false);
    const kill = (p: { round: number; iteration: number }) => {
      if (p.round === 1 && p.iteration === 3) throw new Error('killed');
    };
    await expect(runTrial(config, data, 0, { configDir: killed, backend: 'reference', onProgress: kill })).rejects.toThrow('killed');
    expect(existsSync(paths.roundSummary(paths.roundDir(paths.trialDir(killed, 0), 0)))).toBe(true);
    expect(existsSync(paths.roundSummary(paths.roundDir(paths.trialDir(killed, 0), 1)))).toBe(false);
    const trained: number[] = [];
    const reported: [number, boolean][] = [];
    await runTrial(config, data, 0, {
      configDir: killed, backend: 'reference',
      onProgress: (p) => p.phase === 'train' && trained.push(p.round),
      onRound: (_, summary, skipped) => reported.push([summary.round, skipped]),
    });
    expect(new Set(trained)).toEqual(new Set([1, 2]));
    expect(reported).toEqual([[0, true], [1, false], [2, false]]);
    expect(snapshot(killed)).toEqual(snapshot(dir));
  });

  it('refuses to mix configurations in one directory unless forced', async () => {
    expect(() => claimConfigDir(dir, 'test', { ...config, seed: 5 }, false)).toThrow(ResultsConflictError);
    claimConfigDir(dir, 'test', { ...config, seed: 5 }, true);
    expect(existsSync(trial)).toBe(false);
  });
});

describe('strategies start each round as specified', () => {
  const kernels = (dir: string, round: number, kind: paths.KernelKind) => loadKernels(paths.trialDir(dir, 0), round, kind, DENSE_300_100);
  const same = (a: Float32Array[], b: Float32Array[]) => a.every((x, i) => Buffer.from(x.buffer).equals(Buffer.from(b[i]!.buffer)));

  it('reinit_orig resets to theta_0, or to round 0 trained weights with reset_to=round0_trained', async () => {
    const init = await run(tiny({ experiment: 'reinit_orig' }));
    expect(same(kernels(init, 2, 'init_kernels'), kernels(init, 0, 'init_kernels'))).toBe(true);
    const trained = await run(tiny({ experiment: 'reinit_orig', reset_to: 'round0_trained' }));
    expect(same(kernels(trained, 1, 'init_kernels'), kernels(trained, 0, 'post_kernels'))).toBe(true);
    expect(same(kernels(trained, 2, 'init_kernels'), kernels(trained, 0, 'post_kernels'))).toBe(true);
  });

  it('reinit_none continues from the last trained weights; reinit_rand draws fresh Glorot weights', async () => {
    const none = await run(tiny({ experiment: 'reinit_none' }));
    expect(same(kernels(none, 2, 'init_kernels'), kernels(none, 1, 'post_kernels'))).toBe(true);
    const rand = await run(tiny({ experiment: 'reinit_rand' }));
    const fresh = kernels(rand, 1, 'init_kernels');
    expect(same(fresh, kernels(rand, 0, 'init_kernels'))).toBe(false);
    expect(same(fresh, kernels(rand, 0, 'post_kernels'))).toBe(false);
    const limit = Math.sqrt(6 / (784 + 300));
    expect(fresh[0]!.every((v) => Math.abs(v) <= limit)).toBe(true);
  });

  it('no_pruning trains a single dense round', async () => {
    const dir = await run(tiny({ experiment: 'no_pruning' }));
    expect(existsSync(paths.roundDir(paths.trialDir(dir, 0), 0))).toBe(true);
    expect(existsSync(paths.roundDir(paths.trialDir(dir, 0), 1))).toBe(false);
    rmSync(dir, { recursive: true });
  });
});

describe('evaluation schedules on disk', () => {
  // 120 training images in batches of 20: epochs of 6 steps; eval_every 2 evaluates after within-epoch batches 0, 2, 4.
  const scheduled = (eval_schedule: ExperimentConfig['eval_schedule']) =>
    tiny({ eval_schedule, train_iters: 14, eval_every: 2, prune_iters: 1, adv_train: true, attack: 'fgsm' });
  const csv = (dir: string, round: number, split: 'train' | 'valid' | 'test') =>
    readFileSync(paths.metricsFile(paths.roundDir(paths.trialDir(dir, 0), round), split), 'utf8').trim().split('\n');

  it("'original' writes the original's counter in batch and the true step last; 'every' keeps its columns", async () => {
    const original = await run(scheduled('original'));
    const lines = csv(original, 1, 'test');
    expect(lines[0]).toBe('batch,loss,acc,adv_acc,adv_loss,step');
    const cells = lines.slice(1).map((l) => l.split(','));
    expect(cells.map((c) => Number(c[0]))).toEqual([0, 2, 4, 6, 8, 10, 12]);
    expect(cells.map((c) => Number(c[5]))).toEqual([1, 3, 5, 7, 9, 11, 13]);
    expect(csv(original, 0, 'train')[0]).toBe('batch,loss,acc,adv_acc,step');
    const every = await run(scheduled('every'));
    expect(csv(every, 1, 'test')[0]).toBe('batch,loss,acc,adv_acc,adv_loss');
    expect(csv(every, 1, 'test').slice(1).map((l) => Number(l.split(',')[0]))).toEqual([0, 2, 4, 6, 8, 10, 12, 14]);
    const summary = loadSummary(paths.trialDir(original, 0), 1);
    expect(summary.final).toMatchObject({ iteration: 12, step: 13 });
    expect(summary.early_stopping_original.step).toBe(summary.early_stopping_original.iteration + 1);
  });

  it('the schedule changes what is evaluated, never the training: every schedule trains the same weights', async () => {
    const kernels = (dir: string) => [0, 1].map((round) => loadKernels(paths.trialDir(dir, 0), round, 'post_kernels', DENSE_300_100));
    const every = kernels(await run(scheduled('every')));
    for (const schedule of ['original', 'paper_row'] as const) expect(kernels(await run(scheduled(schedule)))).toEqual(every);
  });
});
