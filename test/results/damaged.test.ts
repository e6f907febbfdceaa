/**
 * Resuming over damaged results: each damaged file is an rsn error that names it and says what to delete, and
 * doing what it says (then running again) works and reproduces the undamaged results.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type ExperimentConfig } from '../../core/experiment/config.js';
import type { PreparedData } from '../../core/experiment/round.js';
import { runTrial } from '../../core/experiment/runner.js';
import { ResultsDamagedError } from '../../core/errors.js';
import * as paths from '../../core/results/paths.js';
import { claimConfigDir } from '../../core/results/store.js';
import { useReferenceBackend } from '../support/backend.js';
import { syntheticSet } from '../support/synthetic.js';

useReferenceBackend();

const data: PreparedData = { train: syntheticSet(120, 1, 0.1), valid: syntheticSet(30, 2, 0.1), test: syntheticSet(30, 3, 0) };
const config: ExperimentConfig = {
  ...DEFAULT_CONFIG, trials: 1, train_iters: 4, eval_every: 2, prune_iters: 2, batch_size: 20, eval_batch_size: 16,
};

const resume = async (dir: string) => {
  claimConfigDir(dir, 'test', config, false);
  await runTrial(config, data, 0, { configDir: dir, backend: 'reference' });
};

/** The round files (kernels, metrics, summaries without wall times) of trial 0. */
function rounds(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => readdirSync(d, { withFileTypes: true }).forEach((e) => {
    const p = join(d, e.name);
    if (e.isDirectory()) return walk(p);
    if (e.name === 'manifest.json' || e.name === 'config.json') return;
    out[p.slice(dir.length)] = e.name === 'summary.json' ? JSON.stringify({ ...JSON.parse(readFileSync(p, 'utf8')), wall_seconds: 0 }) : readFileSync(p).toString('base64');
  });
  walk(paths.trialDir(dir, 0));
  return out;
}

describe('damaged results', () => {
  let pristine = '';
  beforeAll(async () => {
    pristine = mkdtempSync(join(tmpdir(), 'rsn-damage-'));
    await resume(pristine);
  });
  const copy = () => {
    const dir = mkdtempSync(join(tmpdir(), 'rsn-damage-'));
    cpSync(pristine, dir, { recursive: true });
    return dir;
  };
  const failure = async (dir: string): Promise<ResultsDamagedError> => {
    try {
      await resume(dir);
    } catch (error) {
      expect(error).toBeInstanceOf(ResultsDamagedError);
      return error as ResultsDamagedError;
    }
    throw new Error('resuming over damaged results did not fail');
  };
  const round1 = (dir: string) => paths.roundDir(paths.trialDir(dir, 0), 1);

  it('a corrupt config.json names the file, and deleting it as told works', async () => {
    const dir = copy();
    writeFileSync(paths.configFile(dir), '{"experiment_id": "test", "con');
    const error = await failure(dir);
    expect(error.message).toContain(`${paths.configFile(dir)} is damaged`);
    expect(error.message).toContain(`rm '${paths.configFile(dir)}'`);
    rmSync(paths.configFile(dir));
    await resume(dir);
    expect(JSON.parse(readFileSync(paths.configFile(dir), 'utf8')).config.seed).toBe(0);
  });

  it('a corrupt manifest.json names the file, and deleting it as told works', async () => {
    const dir = copy();
    const manifest = paths.trialManifest(paths.trialDir(dir, 0));
    writeFileSync(manifest, '[1, 2');
    const error = await failure(dir);
    expect(error.message).toContain(`${manifest} is damaged`);
    rmSync(manifest);
    await resume(dir);
    expect(rounds(dir)).toEqual(rounds(pristine));
  });

  it('a corrupt summary.json names the round to delete; deleting it recomputes the same round', async () => {
    const dir = copy();
    writeFileSync(paths.roundSummary(round1(dir)), '{"round": 1, "percent_rem');
    const error = await failure(dir);
    expect(error.message).toContain(`${paths.roundSummary(round1(dir))} is damaged`);
    expect(error.message).toContain(`rm -r '${round1(dir)}'`);
    rmSync(round1(dir), { recursive: true });
    await resume(dir);
    expect(rounds(dir)).toEqual(rounds(pristine));
  });

  it('a truncated .npy names the round to delete; deleting the round, or only the file, recomputes it', async () => {
    const dir = copy();
    const file = paths.kernelFile(round1(dir), 'post_kernels', 'hidden_2');
    truncateSync(file, 1000);
    const error = await failure(dir);
    expect(error.message).toContain(`${file} is truncated`);
    expect(error.message).toContain(`rm -r '${round1(dir)}'`);
    rmSync(round1(dir), { recursive: true });
    await resume(dir);
    expect(rounds(dir)).toEqual(rounds(pristine));

    truncateSync(file, 1000);
    rmSync(file);
    await resume(dir);
    expect(rounds(dir)).toEqual(rounds(pristine));
  });
});
