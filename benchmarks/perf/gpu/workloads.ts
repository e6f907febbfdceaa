/**
 * The suites the GPU check projects: the paper preset (benchmarks/paper/presets.ts) and the configurations of the
 * paper's Tables 1-2. A suite becomes step programs (every network that trains with the same step: natural,
 * FGSM-adversarial or PGD-adversarial, one stacked computation) and evaluation work (networks x evaluations x
 * images, per attack).
 */
import type { AttackName } from '../../../core/attacks/index.js';
import { DEFAULT_CONFIG, TRAIN_FILE_SIZE, type ExperimentConfig } from '../../../core/experiment/config.js';
import { evaluationPoints } from '../../../core/experiment/schedule.js';
import { roundsFor } from '../../../core/experiment/strategies.js';
import { preset, type SuiteAxes } from '../../paper/presets.js';

export type StepKind = 'natural' | 'fgsm' | 'pgd';
export const STEP_KINDS: readonly StepKind[] = ['natural', 'fgsm', 'pgd'];
export const STEP_LABELS: Readonly<Record<StepKind, string>> = { natural: 'natural', fgsm: 'FGSM', pgd: 'PGD-10' };

/** Networks that train with one step kind for the same number of steps: one stacked program. */
export interface StepProgram {
  readonly kind: StepKind;
  readonly networks: number;
  readonly rounds: number;
  readonly stepsPerRound: number;
}

/** Networks evaluated with one attack, each `evaluations` times (all rounds) on `images` images. */
export interface EvaluationWork {
  readonly attack: AttackName;
  readonly networks: number;
  readonly evaluations: number;
  readonly images: number;
}

export interface Workload {
  readonly name: string;
  /** One line: axes, trials, rounds, steps, schedule, images. */
  readonly summary: string;
  readonly networks: number;
  readonly programs: readonly StepProgram[];
  readonly evaluation: readonly EvaluationWork[];
}

/** Every configuration of the axes, each trained with `config` (DEFAULT_CONFIG fills what it leaves out). */
export function suiteWorkload(name: string, axes: SuiteAxes, overrides: Partial<ExperimentConfig>): Workload {
  const config = { ...DEFAULT_CONFIG, ...overrides };
  const perRound = evaluationPoints({
    schedule: config.eval_schedule, trainIters: config.train_iters, evalEvery: config.eval_every,
    trainCount: TRAIN_FILE_SIZE - config.valid_size, batchSize: config.batch_size,
  }).length;
  const programs = new Map<string, StepProgram>();
  const evaluation = new Map<AttackName, EvaluationWork>();
  let networks = 0;
  for (const strategy of axes.strategies) {
    const rounds = roundsFor(strategy, config.prune_iters);
    for (const attack of axes.attacks) {
      for (const adv of axes.advTrain) {
        const count = axes.datasets.length * config.trials;
        networks += count;
        const kind: StepKind = adv ? attack : 'natural';
        const key = `${kind}/${rounds}`;
        const p = programs.get(key);
        programs.set(key, { kind, rounds, stepsPerRound: config.train_iters, networks: (p?.networks ?? 0) + count });
        const e = evaluation.get(attack);
        evaluation.set(attack, {
          attack, networks: (e?.networks ?? 0) + count,
          evaluations: rounds * perRound, images: config.valid_size + config.test_size,
        });
      }
    }
  }
  const summary = `${axes.datasets.length} datasets x ${axes.attacks.length} attacks x ${axes.advTrain.length} trainings x ` +
    `${axes.strategies.length} strateg${axes.strategies.length === 1 ? 'y' : 'ies'} (${axes.strategies.join(', ')}) x ${config.trials} trials; ` +
    `${config.prune_iters + 1} rounds (prune_iters ${config.prune_iters}) x ${config.train_iters.toLocaleString('en-US')} steps; ` +
    `evaluation '${config.eval_schedule}' every ${config.eval_every} (${perRound} per round) of ` +
    `${config.valid_size.toLocaleString('en-US')} validation + ${config.test_size.toLocaleString('en-US')} test images`;
  const order = (k: StepKind) => STEP_KINDS.indexOf(k);
  return { name, summary, networks, programs: [...programs.values()].sort((a, b) => order(a.kind) - order(b.kind)), evaluation: [...evaluation.values()] };
}

/** The paper preset of `rsn bench --preset paper`. */
export function paperPresetWorkload(): Workload {
  const p = preset('paper');
  return suiteWorkload('paper preset', p.axes, p.config);
}

/**
 * The paper's Tables 1-2 (issue 13): reinit_orig on both datasets, both attacks, natural and adversarial training,
 * 5 trials (40 networks); 50,000 steps per round for 19 rounds (prune_iters 18, down to 1.8% of weights);
 * evaluation on the original schedule every 500 of 5,000 validation and 10,000 test images.
 */
export const TABLES_CONFIG: Partial<ExperimentConfig> = {
  trials: 5, prune_iters: 18, train_iters: 50000, eval_every: 500, eval_schedule: 'original', valid_size: 5000, test_size: 10000,
};

export function tablesWorkload(): Workload {
  const axes: SuiteAxes = { datasets: ['digits', 'fashion'], attacks: ['fgsm', 'pgd'], advTrain: [false, true], strategies: ['reinit_orig'] };
  return suiteWorkload('Tables 1-2', axes, TABLES_CONFIG);
}

/** Network counts of every program of the projected suites: the stack sizes the projection wants measured. */
export const programSizes = (): number[] =>
  [...new Set([paperPresetWorkload(), tablesWorkload()].flatMap((w) => w.programs.map((p) => p.networks)))].sort((a, b) => a - b);
