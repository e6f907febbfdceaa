import { Command, CommanderError } from 'commander';
import { ERRNO_WORDS, RsnError } from '../core/errors.js';
import { backendsCommand } from './commands/backends.js';
import { trainCommand } from './commands/train.js';
import { benchCommand } from './commands/bench.js';
import { workerCommand } from './commands/worker.js';
import { reportCommand } from './commands/report.js';
import { auditCommand } from './commands/audit.js';
import { expandLegacyShortFlags } from './options.js';
import { InterruptedError } from './interrupt.js';
import { COLUMNS, wrap } from './wrap.js';

/**
 * `rsn: message` on stderr. On a terminal wrapped at spaces to its width (at most 80 columns), the hint lines
 * indented under the message; in logs and pipes one line per line of the message, for grep.
 */
export function errorLines(message: string, terminalColumns?: number): string {
  return terminalColumns === undefined ? `rsn: ${message}` : wrap(message, Math.min(COLUMNS, terminalColumns), 'rsn: ');
}

const writeError = (message: string): void => {
  process.stderr.write(`${errorLines(message, process.stderr.isTTY ? process.stderr.columns ?? COLUMNS : undefined)}\n`);
};

export function buildProgram(): Command {
  const program = new Command('rsn')
    .description('Sparse and robust neural networks: lottery-ticket pruning with adversarial training (FGSM, PGD)')
    .version('0.1.0')
    .showHelpAfterError('(rsn --help lists the commands)')
    .exitOverride();
  for (const command of [trainCommand(), benchCommand(), reportCommand(), auditCommand(), backendsCommand()]) {
    // Subcommands do not inherit exitOverride: without it a usage error would exit instead of returning a code.
    program.addCommand(command.exitOverride().showHelpAfterError(`(rsn ${command.name()} --help lists its flags)`));
  }
  program.addCommand(workerCommand().exitOverride(), { hidden: true });
  return program;
}

/**
 * An error thrown outside the command's own flow (an event handler) still ends as one rsn: line, never a stack.
 * Installed by bin/rsn.js only (not by main(), which tests call in-process).
 */
export function reportStrayErrors(): void {
  const stray = (error: unknown) => {
    writeError(describeError(error));
    process.exit(error instanceof RsnError ? 2 : 70);
  };
  process.on('uncaughtException', stray);
  process.on('unhandledRejection', stray);
}

/** Run the CLI; resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(expandLegacyShortFlags(argv));
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof InterruptedError) {
      writeError(error.message);
      return error.exitCode;
    }
    writeError(describeError(error));
    return error instanceof RsnError ? 2 : 70;
  }
}

/**
 * The message a user sees: an rsn error's own message; a file-system error as the file, the operation and what
 * to check; anything else as an internal error, with its stack only when RSN_DEBUG is set.
 */
export function describeError(error: unknown): string {
  if (error instanceof RsnError) return error.message;
  const e = error as Partial<NodeJS.ErrnoException> & { message?: string; stack?: string };
  if (typeof e?.code === 'string' && typeof e.path === 'string') {
    return `cannot ${e.syscall ?? 'access'} ${e.path}: ${ERRNO_WORDS[e.code] ?? e.code} (${e.code})\n  -> check that path (free space, permissions) and run the same command again; completed rounds are kept`;
  }
  const detail = process.env.RSN_DEBUG ? `\n${e?.stack ?? String(error)}` : '\n  -> this is a bug in rsn: please report it with the command line (RSN_DEBUG=1 prints the stack trace)';
  return `internal error: ${e?.message ?? String(error)}${detail}`;
}
