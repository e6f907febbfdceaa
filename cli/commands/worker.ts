import { Command, Option } from 'commander';

/** Hidden: the child process of `rsn bench` that runs jobs sent over IPC. */
export function workerCommand(): Command {
  return new Command('_worker')
    .description('internal: a worker process of rsn bench')
    .requiredOption('--backend <name>', 'compute backend')
    .addOption(new Option('--data_dir <dir>', 'data folder'))
    .option('--no_download', 'never download data sets')
    .addOption(new Option('--log_jsonl <file>', 'append one JSON record per evaluation to this file'))
    .action(async (options: { backend: string; data_dir?: string; no_download?: boolean; log_jsonl?: string }) => {
      if (!process.send) throw new Error('rsn _worker is started by rsn bench, not by hand');
      const { serveJobs } = await import('../../benchmarks/paper/worker.js');
      await serveJobs({ backend: options.backend, dataDir: options.data_dir, download: options.no_download !== true, logJsonl: options.log_jsonl });
      process.disconnect();
    });
}
