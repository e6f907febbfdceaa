/**
 * Every on-disk name of a results directory, in one place. The layout keeps the original's
 * {base_dir}/{dataset}/{model}/{experiment}/{attack}/lr-{lr}_l1-{l1}_advtrain-{bool}/trial_XX/prune_iter_YY/
 * below one extra level, the experiment id, so that runs differing in other settings never mix.
 */
import { dirname, isAbsolute, join, relative } from 'node:path';
import { ConfigError } from '../errors.js';
import type { ExperimentConfig } from '../experiment/config.js';

/**
 * Python's str() of a float, as the original formatted its folder names: the shortest digits that read back
 * as the same double (which JavaScript's String() also finds), in positional notation when the decimal
 * exponent is in [-4, 16), else as d.ddde-XX / d.ddde+XX; integers keep '.0' (0.0012 -> '0.0012', 1e-05,
 * 0 -> '0.0', 1e+16).
 */
export function pythonFloat(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const [mantissa, exp] = v.toExponential().split('e') as [string, string];
  const exponent = Number(exp);
  if (exponent < -4 || exponent >= 16) {
    return `${mantissa}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  const digits = mantissa.replace('-', '').replace('.', '');
  const sign = v < 0 ? '-' : '';
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fraction = digits.slice(exponent + 1);
  return `${sign}${whole}.${fraction || '0'}`;
}

/** The original's str(bool).lower() ('true' / 'false'). */
const pythonBool = (v: boolean): string => (v ? 'true' : 'false');
const pad2 = (n: number): string => String(n).padStart(2, '0');

/** An experiment id is one folder name: letters, digits, '.', '_', '-', not starting with '.'; at most 100 characters. */
const SAFE_ID = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/;

/** Refuse an experiment id that is not a single plain folder name (so no id can lead outside base_dir). */
export function checkExperimentId(id: string): string {
  if (!SAFE_ID.test(id)) {
    throw new ConfigError(
      `--experiment_id '${id}' is not a plain folder name`,
      "use letters, digits, '.', '_' and '-' only (no '/', no leading '.', at most 100 characters), e.g. --experiment_id my-run-1",
    );
  }
  return id;
}

/** The original's leaf folder: lr-{lr}_l1-{l1}_advtrain-{true|false} (run_experiments.py). */
export const configLeaf = (c: ExperimentConfig): string =>
  `lr-${pythonFloat(c.learning_rate)}_l1-${pythonFloat(c.l1_reg)}_advtrain-${pythonBool(c.adv_train)}`;

/** The configuration's folder; throws a ConfigError when the id would leave baseDir. */
export function configDir(baseDir: string, id: string, c: ExperimentConfig): string {
  checkExperimentId(id);
  const dir = join(baseDir, id, c.dataset, c.model, c.experiment, c.attack, configLeaf(c));
  const inside = relative(baseDir, dir);
  if (inside.startsWith('..') || isAbsolute(inside)) throw new ConfigError(`results folder ${dir} would lie outside --base_dir ${baseDir}`);
  return dir;
}

/**
 * Where versions of rsn before the original's exact names put the configuration whose directory is `dir`
 * (advtrain-True/False and JavaScript's float formatting), so that their results can be found and moved.
 */
export function legacyConfigDir(dir: string, c: ExperimentConfig): string {
  const jsFloat = (v: number) => (Number.isInteger(v) ? `${v}.0` : String(v));
  return join(dirname(dir), `lr-${jsFloat(c.learning_rate)}_l1-${jsFloat(c.l1_reg)}_advtrain-${c.adv_train ? 'True' : 'False'}`);
}

/** config.json: the full configuration and experiment id, written once when the configuration is first run. */
export const configFile = (dir: string): string => join(dir, 'config.json');
export const trialDir = (dir: string, trial: number): string => join(dir, `trial_${pad2(trial)}`);
/** manifest.json: seed, versions, backend, machine, wall time per round; rewritten after each round. */
export const trialManifest = (trial: string): string => join(trial, 'manifest.json');
export const roundDir = (trial: string, round: number): string => join(trial, `prune_iter_${pad2(round)}`);

export type KernelKind = 'init_kernels' | 'masks' | 'post_kernels';
export const KERNEL_KINDS: readonly KernelKind[] = ['init_kernels', 'masks', 'post_kernels'];
/** A parameter's values in a round, by its name in the model (init_kernels/hidden_1.npy, masks/conv_1_bias.npy, ...). */
export const kernelFile = (round: string, kind: KernelKind, parameter: string): string => join(round, kind, `${parameter}.npy`);
export const metricsFile = (round: string, split: 'train' | 'valid' | 'test'): string => join(round, `${split}.csv`);
/** summary.json is written last: its presence marks the round complete. */
export const roundSummary = (round: string): string => join(round, 'summary.json');
