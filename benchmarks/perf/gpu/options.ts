/** The GPU check's command line (run.ts): options, their defaults in full and --quick mode, and their checks. */
import { parseArgs } from 'node:util';
import { ConfigError } from '../../../core/errors.js';
import type { TimingPlan } from './timing.js';
import { programSizes } from './workloads.js';

export const USAGE = `usage: npm run bench:gpu -- [--quick] [--trials 1,40,160] [--fit-trials LIST|none] [--eval-trials N] [--eval-images N] [--python PATH] [--json FILE]
  --quick           T = 1,2, one short round per step, a small evaluation pass (llvmpipe in CI: under a minute)
  --trials LIST     stack sizes T of the timing table (default 1,40,160)
  --fit-trials LIST also timed, for the projection: the suites' program sizes (default ${programSizes().join(',')}; none with --quick)
  --eval-trials N   networks of the timed evaluation pass (default 10; 1 with --quick)
  --eval-images N   images per network in that pass (default 1000, rsn's evaluation batch; 60 with --quick)
  --python PATH     the Python with torch for PyTorch's figures (default $RSN_PYTHON, else python3)
  --torch-device D  where PyTorch runs (default cuda; cpu only to try the check itself without CUDA)
  --json FILE       also write every figure as JSON`;

export interface GpuCheckOptions {
  readonly quick: boolean;
  /** T of the timing table. */
  readonly trials: readonly number[];
  /** Every T timed: the table's and the projection's, ascending. */
  readonly timedTrials: readonly number[];
  readonly evalTrials: number;
  readonly evalImages: number;
  readonly python: string;
  readonly torchDevice: string;
  readonly json?: string;
  readonly stepPlan: TimingPlan;
  readonly evalPlan: TimingPlan;
}

const wholeList = (flag: string, text: string): number[] => {
  const values = text.split(',').map((t) => t.trim()).filter((t) => t !== '').map(Number);
  if (values.length === 0 || values.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new ConfigError(`--${flag} takes whole numbers >= 1 separated by commas; got '${text}'`, USAGE);
  }
  return values;
};

const whole = (flag: string, text: string): number => wholeList(flag, text)[0]!;

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): GpuCheckOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        quick: { type: 'boolean', default: false },
        trials: { type: 'string' },
        'fit-trials': { type: 'string' },
        'eval-trials': { type: 'string' },
        'eval-images': { type: 'string' },
        python: { type: 'string' },
        'torch-device': { type: 'string', default: 'cuda' },
        json: { type: 'string' },
      },
    }));
  } catch (error) {
    throw new ConfigError((error as Error).message, USAGE);
  }
  const quick = values.quick ?? false;
  const trials = wholeList('trials', values.trials ?? (quick ? '1,2' : '1,40,160'));
  const fitText = values['fit-trials'] ?? (quick ? 'none' : programSizes().join(','));
  const fit = fitText === 'none' ? [] : wholeList('fit-trials', fitText);
  return {
    quick,
    trials,
    timedTrials: [...new Set([...trials, ...fit])].sort((a, b) => a - b),
    evalTrials: whole('eval-trials', values['eval-trials'] ?? (quick ? '1' : '10')),
    evalImages: whole('eval-images', values['eval-images'] ?? (quick ? '60' : '1000')),
    python: values.python ?? env.RSN_PYTHON ?? 'python3',
    torchDevice: values['torch-device'] ?? 'cuda',
    json: values.json,
    stepPlan: quick
      ? { warmup: 0, rounds: 1, minUnits: 2, maxUnits: 2, targetMs: 0 }
      : { warmup: 2, rounds: 3, minUnits: 3, maxUnits: 100, targetMs: 300 },
    evalPlan: quick
      ? { warmup: 0, rounds: 1, minUnits: 1, maxUnits: 1, targetMs: 0 }
      : { warmup: 1, rounds: 3, minUnits: 1, maxUnits: 20, targetMs: 300 },
  };
}
