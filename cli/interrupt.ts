/**
 * Ctrl-C (SIGINT) and SIGTERM: the long-running commands stop their workers, keep every completed round, and
 * say what was kept and the exact command that resumes.
 */
import { RsnError } from '../core/errors.js';

/** The run was stopped by a signal; the CLI exits with 128 + the signal's number (130 for SIGINT, 143 for SIGTERM). */
export class InterruptedError extends RsnError {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

export const signalExitCode = (signal: NodeJS.Signals): number => (signal === 'SIGTERM' ? 143 : 130);

/**
 * Runs `work` with an AbortSignal that SIGINT and SIGTERM abort; resolves to its result and the signal that
 * stopped it, if any. The handlers stay until the work has stopped (they must: signal-exit, which proper-lockfile uses, re-raises a signal nobody else listens to).
 */
export async function withInterrupts<T>(work: (signal: AbortSignal) => Promise<T>): Promise<{ result: T; signal: NodeJS.Signals | undefined }> {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const handler = (signal: NodeJS.Signals) => {
    received ??= signal;
    controller.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  try {
    const result = await work(controller.signal);
    return { result, signal: received };
  } finally {
    process.removeListener('SIGINT', handler);
    process.removeListener('SIGTERM', handler);
  }
}

const quote = (arg: string): string => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

/** The command that resumes this run: the same arguments without --force (which would delete what was kept). */
export function resumeCommand(argv: readonly string[]): string {
  return ['rsn', ...argv.filter((a) => a !== '--force')].map(quote).join(' ');
}
