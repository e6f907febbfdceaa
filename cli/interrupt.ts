/**
 * Ctrl-C (SIGINT), SIGTERM, and SIGUSR1 and SIGUSR2 (what schedulers such as Slurm's --signal send before a time
 * limit): the long-running commands stop their workers, keep every completed round, release their leases, and
 * say what was kept and the exact command that resumes.
 */
import { constants } from 'node:os';
import { RsnError } from '../core/errors.js';

/** Marks the listener of a run in progress, for bin/rsn.js's guard of SIGUSR1 and SIGUSR2. */
export const STOP_LISTENER = Symbol.for('rsn.stop-listener');

/** The signals that stop a run gracefully. */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2'];

/** The run was stopped by a signal; the CLI exits with 128 + the signal's number (130 for SIGINT, 143 for SIGTERM). */
export class InterruptedError extends RsnError {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

export const signalExitCode = (signal: NodeJS.Signals): number => 128 + (constants.signals[signal] ?? constants.signals.SIGINT);

/**
 * Runs `work` with an AbortSignal that any of STOP_SIGNALS aborts; resolves to its result and the signal that
 * stopped it, if any. The handlers stay until the work has stopped (they must: signal-exit, which proper-lockfile uses, re-raises a signal nobody else listens to).
 */
export async function withInterrupts<T>(work: (signal: AbortSignal) => Promise<T>): Promise<{ result: T; signal: NodeJS.Signals | undefined }> {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const handler = Object.assign((signal: NodeJS.Signals) => {
    received ??= signal;
    controller.abort();
  }, { [STOP_LISTENER]: true });
  for (const signal of STOP_SIGNALS) process.on(signal, handler);
  try {
    const result = await work(controller.signal);
    return { result, signal: received };
  } finally {
    for (const signal of STOP_SIGNALS) process.removeListener(signal, handler);
  }
}

const quote = (arg: string): string => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

/** The command that resumes this run: the same arguments without --force (which would delete what was kept). */
export function resumeCommand(argv: readonly string[]): string {
  return ['rsn', ...argv.filter((a) => a !== '--force')].map(quote).join(' ');
}
