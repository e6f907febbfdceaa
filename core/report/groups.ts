/**
 * How configurations are grouped for the figures and tables.
 * - A family: the configurations that differ only in the pruning strategy (same results root, experiment id,
 *   dataset, model, attack, adversarial training, learning rate, L1). The curve figures compare strategies in one.
 * - A setting: the configurations of one table (same root, experiment id, model, learning rate, L1); a table
 *   crosses dataset x attack x training for one strategy.
 */
import type { Strategy } from '../experiment/config.js';
import { pythonFloat } from '../results/paths.js';
import type { ConfigResult, ResultsSet } from './results-set.js';

export interface Family {
  readonly key: string;
  /** Short human-readable name, e.g. 'digits, PGD, adversarial training'. */
  readonly label: string;
  /** File-name-safe version of the key. */
  readonly slug: string;
  readonly setting: string;
  readonly strategies: Partial<Readonly<Record<Strategy, ConfigResult>>>;
}

export interface Setting {
  readonly key: string;
  readonly label: string;
  readonly configs: readonly ConfigResult[];
}

/** Directories above {experiment_id}/{dataset}/{model}/{experiment}/{attack}/{leaf}, when the key has them. */
const prefixOf = (c: ConfigResult): string => {
  const parts = c.key.split('/');
  return parts.length > 6 ? parts.slice(0, -6).join('/') : '';
};

export function settingKey(c: ConfigResult): string {
  const { model, learning_rate, l1_reg } = c.config;
  return [prefixOf(c), c.experimentId, model, `lr-${pythonFloat(learning_rate)}`, `l1-${pythonFloat(l1_reg)}`].filter(Boolean).join('/');
}

const slugify = (s: string): string => s.replace(/[^A-Za-z0-9.]+/g, '-').replace(/^-+|-+$/g, '');

export const ATTACK_LABEL: Readonly<Record<string, string>> = { fgsm: 'FGSM', pgd: 'PGD' };
export const DATASET_LABEL: Readonly<Record<string, string>> = { digits: 'MNIST digits', fashion: 'Fashion-MNIST' };
export const STRATEGY_LABEL: Readonly<Record<Strategy, string>> = {
  reinit_orig: 'original (reset)', reinit_rand: 'random reinit', reinit_none: 'continued training', no_pruning: 'no pruning',
};

export function families(set: ResultsSet): Family[] {
  const byKey = new Map<string, { setting: string; configs: ConfigResult[] }>();
  for (const c of set.configs) {
    if (c.trials.length === 0) continue;
    const { dataset, attack, adv_train } = c.config;
    const setting = settingKey(c);
    const key = [setting, dataset, attack, adv_train ? 'advtrain' : 'natural'].join('/');
    const entry = byKey.get(key) ?? { setting, configs: [] };
    entry.configs.push(c);
    byKey.set(key, entry);
  }
  const settings = new Set([...byKey.values()].map((e) => e.setting));
  return [...byKey.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([key, { setting, configs }]) => {
    const { dataset, attack, adv_train } = configs[0]!.config;
    const base = `${DATASET_LABEL[dataset] ?? dataset}, ${ATTACK_LABEL[attack] ?? attack}, ${adv_train ? 'adversarial' : 'natural'} training`;
    const strategies: Partial<Record<Strategy, ConfigResult>> = {};
    for (const c of configs) strategies[c.config.experiment] ??= c;
    const short = [dataset, attack, adv_train ? 'advtrain' : 'natural'].join('-');
    const slug = settings.size > 1 ? slugify(`${setting}-${short}`) : short;
    return { key, setting, slug, strategies, label: settings.size > 1 ? `${base} [${setting}]` : base };
  });
}

export function settings(set: ResultsSet): Setting[] {
  const byKey = new Map<string, ConfigResult[]>();
  for (const c of set.configs) {
    if (c.trials.length === 0) continue;
    byKey.set(settingKey(c), [...(byKey.get(settingKey(c)) ?? []), c]);
  }
  return [...byKey.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([key, configs]) => ({ key, label: key, configs }));
}
