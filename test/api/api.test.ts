/**
 * The library surface (api/index.ts, package.json "exports"): run a configuration and a trial with an
 * evaluation callback and a JSONL log, read the results back, read a round's weights as W * M; and the
 * provenance each trial manifest records.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadResults, loadRoundWeights, runExperiment, runTrial, type EvaluationRecord, type ExperimentRun, type TrialManifest } from '../../api/index.js';
import * as paths from '../../core/results/paths.js';
import { tempRoot } from '../report/synthetic.js';

const temp = tempRoot('rsn-api-');
afterAll(() => rmSync(temp, { recursive: true, force: true }));

const tiny = { dataset: 'digits', experiment: 'reinit_orig', trials: 1, train_iters: 4, eval_every: 2, prune_iters: 1, batch_size: 20, valid_size: 100, test_size: 100, eval_batch_size: 100 } as const;
const log = join(temp, 'log', 'evaluations.jsonl');
const seen: EvaluationRecord[] = [];
let run: ExperimentRun;

beforeAll(async () => {
  run = await runExperiment(tiny, { baseDir: join(temp, 'results'), backend: 'reference', download: false, logJsonl: log, onEvaluation: (r) => seen.push(r) });
});

describe('runExperiment', () => {
  it('calls back after every evaluation of every round: at 0, every eval_every and at the end', () => {
    expect(seen.map((r) => [r.trial, r.round, r.iteration])).toEqual([[0, 0, 0], [0, 0, 2], [0, 0, 4], [0, 1, 0], [0, 1, 2], [0, 1, 4]]);
    expect(seen[5]!.percent_remaining).toBeCloseTo(80.0, 0);
    for (const r of seen) {
      expect(r.test_acc).toBeGreaterThanOrEqual(0);
      expect(r.test_acc).toBeLessThanOrEqual(1);
      expect(r).toMatchObject({ dataset: 'digits', experiment: 'reinit_orig', attack: 'fgsm', adv_train: false, experiment_id: run.experimentId, config_dir: run.dir });
    }
  });

  it('records the same numbers as test.csv', () => {
    const test = readFileSync(paths.metricsFile(paths.roundDir(paths.trialDir(run.dir, 0), 1), 'test'), 'utf8').trim().split('\n').slice(1);
    expect(test.map((line) => Number(line.split(',')[2]))).toEqual(seen.slice(3).map((r) => r.test_acc));
  });

  it('appends one JSON line per evaluation to the log, and a further trial appends to it', async () => {
    const lines = () => readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as EvaluationRecord);
    expect(lines().map((r) => r.iteration)).toEqual(seen.map((r) => r.iteration));
    expect(lines()[0]!.train_loss).toBeNull(); // no training yet at iteration 0: NaN, written as null
    const second = await runTrial({ ...tiny, trials: 2 }, 1, { baseDir: join(temp, 'results'), backend: 'reference', download: false, logJsonl: log });
    expect(second.dir).toBe(run.dir);
    expect(lines().map((r) => r.trial)).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
  });

  it('returns the round summaries, and loadResults reads the same directory', () => {
    expect(run.summaries.get(0)!.map((s) => s.round)).toEqual([0, 1]);
    const set = loadResults(join(temp, 'results'));
    expect(set.configs).toHaveLength(1);
    expect(set.configs[0]!.trials[0]!.rounds.map((r) => r.summary.final.test.acc)).toEqual(run.summaries.get(0)!.map((s) => s.final.test.acc));
  });

  it('loads a round\'s weights as W * M (stored kernels are unmasked)', () => {
    const layers = loadRoundWeights(paths.roundDir(paths.trialDir(run.dir, 0), 1));
    expect(layers.map((l) => l.shape)).toEqual([[784, 300], [300, 100], [100, 10]]);
    const first = layers[0]!;
    const pruned = first.mask.findIndex((m) => m === 0);
    expect(pruned).toBeGreaterThanOrEqual(0);
    expect(first.effective[pruned]).toBe(0);
    const kept = first.mask.findIndex((m) => m === 1);
    expect(first.effective[kept]).toBe(first.kernel[kept]);
  });
});

describe('the trial manifest', () => {
  const manifest = () => JSON.parse(readFileSync(paths.trialManifest(paths.trialDir(run.dir, 0)), 'utf8')) as TrialManifest;

  it('keeps its fields and adds dependency versions and backend details', () => {
    const m = manifest();
    expect(m).toMatchObject({ trial: 0, seed: 0, backend: 'reference' });
    expect(m.versions).toMatchObject({ rsn: '0.1.0', node: process.version });
    expect(m.versions['@tensorflow/tfjs-core']).toMatch(/^\d+\.\d+\.\d+/);
    expect(m.versions['vega-lite']).toMatch(/^\d+\.\d+\.\d+/);
    expect(m.backend_details?.adapter).toContain('reference');
  });

  it('records rsn\'s commit when rsn runs from a git checkout of itself', () => {
    let head: string | undefined;
    try {
      head = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      head = undefined; // not a git checkout (an installed package): no commit is recorded
    }
    expect(manifest().commit).toBe(head);
    if (head) expect(typeof manifest().commit_dirty).toBe('boolean');
  });
});
