import { Command, CommanderError } from 'commander';
import { RsnError } from '../core/errors.js';
import { backendsCommand } from './commands/backends.js';
import { trainCommand } from './commands/train.js';
import { benchCommand } from './commands/bench.js';
import { workerCommand } from './commands/worker.js';
import { reportCommand } from './commands/report.js';
import { expandLegacyShortFlags } from './options.js';

export function buildProgram(): Command {
  const program = new Command('rsn')
    .description('Sparse and robust neural networks: lottery-ticket pruning with adversarial training (FGSM, PGD)')
    .version('0.1.0')
    .showHelpAfterError('(rsn --help lists the commands)')
    .exitOverride();
  for (const command of [trainCommand(), benchCommand(), reportCommand(), backendsCommand()]) {
    // Subcommands do not inherit exitOverride: without it a usage error would exit instead of returning a code.
    program.addCommand(command.exitOverride().showHelpAfterError(`(rsn ${command.name()} --help lists its flags)`));
  }
  program.addCommand(workerCommand().exitOverride(), { hidden: true });
  return program;
}

/** Run the CLI; resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(expandLegacyShortFlags(argv));
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof RsnError) {
      process.stderr.write(`rsn: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
