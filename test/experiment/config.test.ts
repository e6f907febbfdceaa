import { describe, expect, it } from 'vitest';
import { CONFIG_FIELDS, DEFAULT_CONFIG, experimentId, validateConfig } from '../../core/experiment/config.js';
import { configDir, pythonFloat } from '../../core/results/paths.js';
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

  it("derives the experiment id from result-changing settings outside the directory layout", () => {
    expect(experimentId(DEFAULT_CONFIG)).toBe('default');
    expect(experimentId({ ...DEFAULT_CONFIG, trials: 3, eval_batch_size: 10, dataset: 'fashion', adv_train: true })).toBe('default');
    const a = experimentId({ ...DEFAULT_CONFIG, train_iters: 2000 });
    const b = experimentId({ ...DEFAULT_CONFIG, train_iters: 2000, seed: 1 });
    expect(a).toMatch(/^trainiters2000-[0-9a-f]{8}$/);
    expect(b).not.toBe(a);
    expect(experimentId({ ...DEFAULT_CONFIG, train_iters: 2000 })).toBe(a);
  });

  it("lays out results like the original code", () => {
    expect(configDir('/r', 'default', { ...DEFAULT_CONFIG, attack: 'pgd', adv_train: true }))
      .toBe('/r/default/digits/dense-300-100/reinit_orig/pgd/lr-0.0012_l1-0.0_advtrain-True');
    expect(pythonFloat(0)).toBe('0.0');
    expect(pythonFloat(1e-4)).toBe('0.0001');
  });
});
