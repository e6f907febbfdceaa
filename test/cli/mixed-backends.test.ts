/**
 * One backend per trial unless asked: resuming a trial on another backend is refused (rsn train and the library),
 * naming its rounds and backends; --allow_mixed_backends trains its remaining rounds on the new backend, the
 * manifest records each round's backend, and the report's summaries.csv and results.csv show it per round.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runExperiment } from '../../api/index.js';
import { DEFAULT_CONFIG, experimentId } from '../../core/experiment/config.js';
import { MixedBackendsError } from '../../core/errors.js';
import { parseCsv } from '../../core/results/csv.js';
import * as paths from '../../core/results/paths.js';
import type { TrialManifest } from '../../core/results/records.js';
import { hasStackTrace, rsn, SMALL } from '../support/rsn-cli.js';

const temp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));
const ARGS = SMALL.map((a, i) => (SMALL[i - 1] === '--prune_iters' ? '3' : a));
const SETTINGS = { train_iters: 20, eval_every: 10, prune_iters: 3, valid_size: 200, test_size: 200, trials: 1 };
const CONFIG = { ...DEFAULT_CONFIG, ...SETTINGS };
const trialOf = (base: string) => paths.trialDir(paths.configDir(base, experimentId(CONFIG), CONFIG), 0);
const manifestOf = (base: string) => JSON.parse(readFileSync(paths.trialManifest(trialOf(base)), 'utf8')) as TrialManifest;

/** A trial with rounds 0-1 complete on the reference backend (rounds 2-3 not yet trained). */
let half = '';
beforeAll(async () => {
  half = temp('rsn-mixed-');
  const first = await rsn(['train', '--base_dir', half, ...ARGS, '--backend', 'reference']);
  expect(first.code, first.stderr).toBe(0);
  for (const round of [2, 3]) rmSync(paths.roundDir(trialOf(half), round), { recursive: true });
}, 120_000);

const copy = () => {
  const base = temp('rsn-mixed-');
  cpSync(half, base, { recursive: true });
  return base;
};

describe('a trial resumed on another backend', () => {
  it('is refused by rsn train, naming its rounds and backend, with the ways on; nothing is written', async () => {
    const base = copy();
    const before = readdirSync(base, { recursive: true, encoding: 'utf8' }).sort();
    const result = await rsn(['train', '--base_dir', base, ...ARGS, '--backend', 'wasm']);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(`${trialOf(base)} holds rounds 0-1 on reference; continuing it on wasm would mix backends in one trial`);
    expect(result.stderr).toContain('--backend reference');
    expect(result.stderr).toContain('--allow_mixed_backends');
    expect(hasStackTrace(result.stderr)).toBe(false);
    expect(readdirSync(base, { recursive: true, encoding: 'utf8' }).sort()).toEqual(before);
  }, 120_000);

  it('is refused by the library too (allowMixedBackends is the way on)', async () => {
    const base = copy();
    await expect(runExperiment(SETTINGS, { baseDir: base, backend: 'wasm', download: false })).rejects.toThrow(MixedBackendsError);
    expect(manifestOf(base).rounds.map((r) => r.backend)).toEqual(['reference', 'reference', 'reference', 'reference']);
  }, 120_000);

  it('with --allow_mixed_backends trains the rest on the new backend, recorded per round, and shown per round by rsn report', async () => {
    const base = copy();
    const result = await rsn(['train', '--base_dir', base, ...ARGS, '--backend', 'wasm', '--allow_mixed_backends']);
    expect(result.code, result.stderr).toBe(0);
    expect(manifestOf(base).rounds.map((r) => [r.round, r.backend])).toEqual([[0, 'reference'], [1, 'reference'], [2, 'wasm'], [3, 'wasm']]);
    const report = await rsn(['report', base, '--out', join(base, 'report'), '--no-png']);
    expect(report.code, report.stderr).toBe(0);
    const summaries = parseCsv(readFileSync(join(base, 'report', 'summaries.csv'), 'utf8'));
    expect(summaries.map((r) => [r.round, r.backend])).toEqual([[0, 'reference'], [1, 'reference'], [2, 'wasm'], [3, 'wasm']]);
    const results = parseCsv(readFileSync(join(base, 'report', 'results.csv'), 'utf8'));
    expect(new Set(results.filter((r) => r.round === 3).map((r) => r.backend))).toEqual(new Set(['wasm']));
    // A complete trial is kept whatever backend is named: nothing is trained into it.
    const again = await rsn(['train', '--base_dir', base, ...ARGS, '--backend', 'reference']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('complete on disk');
  }, 240_000);
});
