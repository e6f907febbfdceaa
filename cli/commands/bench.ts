import { Command, Option } from 'commander';
import { availableParallelism } from 'node:os';
import { PRESETS } from '../../benchmarks/paper/presets.js';
import { addConfigOptions, SUITE_KEYS } from '../options.js';

/** `rsn bench`: its flags; the suite's machinery (workers, backends, the comparison) is loaded when it runs. */
export function benchCommand(): Command {
  const command = new Command('bench')
    .description('run the paper suite (dataset x attack x normal/adversarial training x strategy x trials) as parallel jobs')
    .addOption(new Option('--preset <name>', Object.values(PRESETS).map((p) => `${p.name}: ${p.description}`).join('; ')).choices(Object.keys(PRESETS)).default('quick'))
    .addOption(new Option('--base_dir <dir>', 'results directory').default('results/bench'))
    .addOption(new Option('--experiment_id <id>', 'name of the experiment folder (default: derived from the settings)'))
    .addOption(new Option('--backend <name>', 'compute backend for every worker (default: RSN_BACKEND, then the default backend)'))
    .addOption(new Option('--jobs <n>', 'parallel worker processes').default(availableParallelism()).argParser(Number))
    .addOption(new Option('--batch_trials <n>', "train up to N jobs that share a step program (attack, training mode, batch size, iterations, schedule) as one computation; datasets and strategies may differ ('auto': 1 on CPU backends, as many as fit on a GPU)").default('auto'))
    .addOption(new Option('--shard <i/n>', 'run only jobs k with k mod n = i (spread the suite over machines sharing --base_dir)'))
    .addOption(new Option('--data_dir <dir>', 'folder holding the IDX files'))
    .option('--no_download', 'never download data sets')
    .option('--list', 'print the jobs (one per line, with status) and exit');
  addConfigOptions(command, {}, SUITE_KEYS);
  return command.action(async (options: Record<string, unknown>) => (await import('../actions/bench.js')).bench(options, command));
}
