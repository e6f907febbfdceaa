import { Command } from 'commander';

/** Hidden: a worker process of rsn train, rsn bench and the library; its settings come over IPC. */
export function workerCommand(): Command {
  return new Command('_worker')
    .description('internal: a worker process, started by rsn train, rsn bench and the library')
    .action(async () => {
      if (!process.send) throw new Error('rsn _worker is started by rsn train, rsn bench or the library, not by hand');
      await (await import('../../api/workers.js')).serveWorker();
      process.disconnect();
    });
}
