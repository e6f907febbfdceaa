import { Command } from 'commander';

/** `rsn backends`: its flags; the registry (and each backend) is loaded when it runs. */
export function backendsCommand(): Command {
  return new Command('backends')
    .description('list the compute backends and whether each one loads on this machine')
    .option('--json', 'print the list as JSON')
    .action(async (options: { json?: boolean }) => (await import('../actions/backends.js')).backends(options));
}
