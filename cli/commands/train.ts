import { Command, Option } from 'commander';
import { addConfigOptions, digitsOrAsGiven } from '../options.js';

/** The default backend's name, spelled here so that `rsn train --help` loads no backend code (checked by a test). */
export const DEFAULT_BACKEND_NAME = 'wasm';

/**
 * `rsn train`: its flags. The work (data, backends, training) is loaded when the command runs, so that
 * `rsn --help` and `rsn train --help` stay fast.
 */
export function trainCommand(): Command {
  const command = new Command('train')
    .description('train and iteratively prune dense-300-100 (one configuration, all trials), writing results under --base_dir')
    .addOption(new Option('--base_dir <dir>', 'results directory').default('results'))
    .addOption(new Option('--experiment_id <id>', "name of this experiment's folder (default: derived from the settings)"))
    .addOption(new Option('--backend <name>', `compute backend (default: RSN_BACKEND or ${DEFAULT_BACKEND_NAME}; rsn backends lists them)`))
    .addOption(new Option('--data_dir <dir>', 'folder holding the four IDX files (default: RSN_DATA_DIR, the cache, packaged copies, then a download)'))
    .addOption(new Option('--no_download', 'never download data sets; fail if no local copy is found'))
    .addOption(new Option('--trial_start <n>', 'first trial number (to spread trials over machines)').default(0).argParser(digitsOrAsGiven))
    .addOption(new Option('--devices <list>', 'accepted for compatibility with the original; device placement follows --backend'))
    .addOption(new Option('--batch_trials <n>', "train N trials at a time as one computation, their networks stacked ('auto': 1 on CPU backends, as many as fit on a GPU)").default('auto'))
    .addOption(new Option('--log_jsonl <file>', 'append one JSON record per evaluation to FILE (flushed each time, for trackers that tail it)'))
    .option('--force', 'delete existing results of this configuration and retrain (default: keep them and resume)')
    .option('--allow_mixed_backends', "resume a trial on another backend than its kept rounds' (each round's backend is recorded; default: refused)");
  addConfigOptions(command);
  return command.action(async (options: Record<string, unknown>) => (await import('../actions/train.js')).train(options, command));
}
