import { Command, Option } from 'commander';
import { availableParallelism } from 'node:os';
import { PRESETS } from '../../benchmarks/paper/presets.js';
import { DEFAULT_CONFIG, type ExperimentConfig } from '../../core/experiment/config.js';
import { addConfigOptions, digitsOrAsGiven, SUITE_KEYS } from '../options.js';

/** 'quick 1, paper 5, smoke 1' or 'every preset: 0.1': what the presets set a field to; undefined where none does. */
export function presetValues(key: keyof ExperimentConfig): string | undefined {
  const presets = Object.values(PRESETS);
  const values = presets.map((p) => p.config[key]);
  if (values.every((v) => v === undefined)) return undefined;
  const shown = values.map((v) => String(v ?? DEFAULT_CONFIG[key]));
  return shown.every((v) => v === shown[0]) ? `every preset: ${shown[0]}` : presets.map((p, k) => `${p.name} ${shown[k]}`).join(', ');
}

/** `rsn bench`: its flags; the suite's machinery (workers, backends, the comparison) is loaded when it runs. */
export function benchCommand(): Command {
  const command = new Command('bench')
    .description('run the paper suite (dataset x attack x normal/adversarial training x strategy x trials) as parallel jobs; a flag of rsn train given here overrides the preset\'s value')
    .addOption(new Option('--preset <name>', Object.values(PRESETS).map((p) => `${p.name}: ${p.description}`).join('; ')).choices(Object.keys(PRESETS)).default('quick'))
    .addOption(new Option('--base_dir <dir>', 'results directory').default('results/bench'))
    .addOption(new Option('--experiment_id <id>', 'name of the experiment folder (default: derived from the settings)'))
    .addOption(new Option('--backend <name>', 'compute backend for every worker (default: RSN_BACKEND, then the default backend)'))
    .addOption(new Option('--jobs <n>', 'parallel worker processes').default(availableParallelism()).argParser(digitsOrAsGiven))
    .addOption(new Option('--batch_trials <n>', "train up to N jobs that share a step program (attack, training mode, batch size, iterations, schedule) as one computation; datasets and strategies may differ ('auto': 1 on CPU backends, as many as fit on a GPU)").default('auto'))
    .addOption(new Option('--shard <i/n>', 'run only jobs k with k mod n = i (spread the suite over machines sharing --base_dir)'))
    .addOption(new Option('--data_dir <dir>', 'folder holding the IDX files'))
    .option('--no_download', 'never download data sets')
    .option('--allow_mixed_backends', "resume trials on another backend than their kept rounds' (each round's backend is recorded; default: refused)")
    .option('--list', 'print the jobs (one per line on stdout: index, job, status, folder, batch; the header on stderr) and exit')
    .option('--no_estimate', 'start at once: no calibration, no estimate before the run (its ETA then extrapolates the steps done)')
    .option('--estimate', "with --list: calibrate each step program here (seconds to minutes) and add every job's core-hours and the totals on this machine and backend; rsn bench prints its estimate before starting anyway, except for suites too small to be worth a calibration");
  addConfigOptions(command, {}, SUITE_KEYS, presetValues);
  return command.action(async (options: Record<string, unknown>) => (await import('../actions/bench.js')).bench(options, command));
}
