import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closestName, CONFIG_FIELDS, configFromSettings, DEFAULT_CONFIG, experimentId, ignoredFields, validateConfig } from '../../core/experiment/config.js';
import { checkExperimentId, configDir, legacyConfigDir, pythonFloat } from '../../core/results/paths.js';
import { ConfigError } from '../../core/errors.js';

describe('experiment configuration', () => {
  it('keeps the original flags and defaults (docs/PROTOCOL.md)', () => {
    expect(DEFAULT_CONFIG).toMatchObject({
      trials: 10, train_iters: 50000, prune_iters: 20, eval_every: 500, batch_size: 60, valid_size: 10000,
      dataset: 'digits', model: 'dense-300-100', attack: 'fgsm', adv_train: false, learning_rate: 0.0012, l1_reg: 0,
    });
    expect(CONFIG_FIELDS.find((f) => f.key === 'learning_rate')!.short).toBe('lr');
    expect(CONFIG_FIELDS.find((f) => f.key === 'l1_reg')!.short).toBe('l1');
    expect(new Set(CONFIG_FIELDS.map((f) => f.key))).toEqual(new Set(Object.keys(DEFAULT_CONFIG)));
  });

  it('rejects impossible values with the flag named', () => {
    expect(() => validateConfig({ ...DEFAULT_CONFIG, batch_size: 0 })).toThrow(/--batch_size must be >= 1/);
    expect(() => validateConfig({ ...DEFAULT_CONFIG, trials: 1.5 })).toThrow(ConfigError);
    expect(() => validateConfig({ ...DEFAULT_CONFIG, dataset: 'cifar' as 'digits' })).toThrow(/--dataset must be one of digits, fashion/);
    expect(() => validateConfig({ ...DEFAULT_CONFIG, label_smoothing: 1 })).toThrow(/label_smoothing/);
    expect(() => validateConfig({ ...DEFAULT_CONFIG, valid_size: 60000 })).toThrow(/no training images/);
  });

  it('bounds seeds to the generator, learning rate and attack budgets to (0, 1], trials and batch sizes to what can run', () => {
    expect(validateConfig({ ...DEFAULT_CONFIG, seed: 4294967295 }).seed).toBe(4294967295);
    expect(() => validateConfig({ ...DEFAULT_CONFIG, seed: 4294967296 })).toThrow(/--seed must be at most 4294967295/);
    for (const [key, bad] of [['learning_rate', 0], ['learning_rate', 1e6], ['eps', 0], ['eps', 1.5], ['pgd_step', 0], ['trials', 101], ['batch_size', 60001]] as const) {
      expect(() => validateConfig({ ...DEFAULT_CONFIG, [key]: bad }), `${key} ${bad}`).toThrow(new RegExp(`--${key} must be`));
    }
    expect(() => validateConfig({ ...DEFAULT_CONFIG, batch_size: 50001 })).toThrow(/larger than the 50000 training images/);
    expect(validateConfig({ ...DEFAULT_CONFIG, learning_rate: 1, eps: 1, batch_size: 50000, trials: 100 }).trials).toBe(100);
  });

  it('names the settings each strategy ignores', () => {
    expect(ignoredFields('no_pruning')).toEqual(['prune_iters', 'prune_rates', 'reset_to']);
    expect(ignoredFields('reinit_rand')).toEqual(['reset_to']);
    expect(ignoredFields('reinit_none')).toEqual(['reset_to']);
    expect(ignoredFields('reinit_orig')).toEqual([]);
  });

  it('reads settings a caller gave (the library) through the same checks: objects of known settings only', () => {
    expect(configFromSettings({ trials: 2, experiment: 'reinit_rand' })).toEqual({ ...DEFAULT_CONFIG, trials: 2, experiment: 'reinit_rand' });
    expect(configFromSettings({ trials: undefined })).toEqual(DEFAULT_CONFIG);
    expect(() => configFromSettings({ trails: 2 })).toThrow("unknown setting 'trails' (did you mean 'trials'?)");
    expect(() => configFromSettings({ zzzzzz: 2 })).toThrow(/^unknown setting 'zzzzzz'\n/);
    for (const bad of [null, undefined, 'trials', [], 3]) expect(() => configFromSettings(bad)).toThrow(/the configuration must be an object of settings/);
    expect(() => configFromSettings({ trials: '2' })).toThrow("--trials must be a whole number; got '2'");
    expect(() => configFromSettings({ adv_train: 'yes' })).toThrow("--adv_train must be true or false; got 'yes'");
  });

  it('refuses settings the strategy ignores when they were given, as the CLI refuses the flags', () => {
    expect(() => configFromSettings({ experiment: 'no_pruning', prune_iters: 3 })).toThrow('--prune_iters has no effect with --experiment no_pruning');
    expect(() => configFromSettings({ experiment: 'reinit_none', reset_to: 'init' })).toThrow('--reset_to has no effect with --experiment reinit_none');
    expect(configFromSettings({ experiment: 'no_pruning' }).prune_iters).toBe(DEFAULT_CONFIG.prune_iters);
  });

  it('suggests the known name within two edits', () => {
    const names = CONFIG_FIELDS.map((f) => f.key);
    expect(closestName('eval_evry', names)).toBe('eval_every');
    expect(closestName('Seed', names)).toBe('seed');
    expect(closestName('completely_else', names)).toBeUndefined();
  });

  it("derives the experiment id from result-changing settings outside the directory layout", () => {
    expect(experimentId(DEFAULT_CONFIG)).toBe('default');
    expect(experimentId({ ...DEFAULT_CONFIG, trials: 3, eval_batch_size: 10, dataset: 'fashion', adv_train: true })).toBe('default');
    const a = experimentId({ ...DEFAULT_CONFIG, train_iters: 2000 });
    const b = experimentId({ ...DEFAULT_CONFIG, train_iters: 2000, seed: 1 });
    expect(a).toMatch(/^trainiters2000-[0-9a-f]{8}$/);
    expect(b).not.toBe(a);
    expect(experimentId({ ...DEFAULT_CONFIG, train_iters: 2000 })).toBe(a);
  });

  it('gives a plain folder name for settings with other characters (prune_rates), told apart by the hash', () => {
    const rates = (text: string) => experimentId({ ...DEFAULT_CONFIG, prune_rates: text });
    expect(checkExperimentId(rates('hidden_1=0.3,output=0.05'))).toMatch(/^prunerateshidden_1-0\.3-output-0\.05-[0-9a-f]{8}$/);
    expect(rates('hidden_1=0.3,output=0.05')).not.toBe(rates('hidden_1=0.3;output=0.05'));
  });

  it('keeps every configuration folder inside base_dir', () => {
    for (const id of ['..', '../x', '../../../x', '/abs', 'a/b', 'a\\b', '.', '.x', '', 'x'.repeat(101)]) {
      expect(() => configDir('/r', id, DEFAULT_CONFIG), id).toThrow(ConfigError);
    }
    expect(checkExperimentId('my-run_1.2')).toBe('my-run_1.2');
    expect(configDir('/r', 'my-run_1.2', DEFAULT_CONFIG).startsWith('/r/my-run_1.2/')).toBe(true);
  });

  it("lays out results like the original code (run_experiments.py: str(bool).lower(), str(float))", () => {
    expect(configDir('/r', 'default', { ...DEFAULT_CONFIG, attack: 'pgd', adv_train: true }))
      .toBe('/r/default/digits/dense-300-100/reinit_orig/pgd/lr-0.0012_l1-0.0_advtrain-true');
    expect(configDir('/r', 'x', { ...DEFAULT_CONFIG, learning_rate: 1e-5, l1_reg: 0.0001 }))
      .toBe('/r/x/digits/dense-300-100/reinit_orig/fgsm/lr-1e-05_l1-0.0001_advtrain-false');
    expect(legacyConfigDir('/r/x/digits/dense-300-100/reinit_orig/fgsm/lr-1e-05_l1-0.0001_advtrain-false', { ...DEFAULT_CONFIG, learning_rate: 1e-5, l1_reg: 0.0001 }))
      .toBe('/r/x/digits/dense-300-100/reinit_orig/fgsm/lr-0.00001_l1-0.0001_advtrain-False');
  });

  const python = spawnSync('python3', ['--version']).status === 0;
  it.skipIf(!python)("formats floats as Python's str() does (python3 is the oracle)", () => {
    const values = [
      0, -0, 1, 2, 10, 100, 0.5, 0.0012, 1.2e-3, 0.1, 0.3, 1e-4, 1e-5, 1.5e-5, 0.00012345, 123.456, 1e15, 1e16, 1.5e16,
      12345678901234567, 1e22, 1e-7, 2.5e-10, 1 / 3, 2 / 3, 0.1 + 0.2, 5e-324, 1.7976931348623157e308, -0.0012, -1e-5, 99999.99, 1e-4 * 3,
      ...fc.sample(fc.double({ noNaN: true, noDefaultInfinity: true }), { seed: 7, numRuns: 300 }),
    ];
    const script = 'import sys\nfor line in sys.stdin.read().split():\n    print(str(float(line)))';
    const result = spawnSync('python3', ['-c', script], { input: values.map((v) => (Object.is(v, -0) ? '-0.0' : v.toPrecision(17))).join('\n'), encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(values.map(pythonFloat)).toEqual(result.stdout.trim().split('\n'));
  });
});
