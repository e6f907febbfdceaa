import { Command, CommanderError } from 'commander';
import { RsnError } from '../core/errors.js';
import { backendsCommand } from './commands/backends.js';
import { reportCommand } from './commands/report.js';

export function buildProgram(): Command {
  const program = new Command('rsn')
    .description('Sparse and robust neural networks: lottery-ticket pruning with adversarial training (FGSM, PGD)')
    .version('0.1.0')
    .showHelpAfterError('(rsn --help lists the commands)')
    .exitOverride();
  program.addCommand(backendsCommand());
  program.addCommand(reportCommand());
  return program;
}

/** Run the CLI; resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv as string[]);
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
