/** Starting a worker process: it loads its backend and data once, then says it is ready (or why it cannot be). */
import { fork, type ChildProcess } from 'node:child_process';
import { RsnError } from '../../errors.js';
import type { FromWorker, ToWorker, WorkerReady, WorkerStart } from './messages.js';

/** How to start a worker process: a Node module and its arguments (the CLI's `rsn _worker`). */
export interface WorkerEntry {
  readonly module: string;
  readonly args: readonly string[];
}

/** A worker could not load its backend or data (userError: an rsn error that the user can fix). */
export class WorkerUnusableError extends RsnError {
  constructor(message: string, readonly userError: boolean, readonly stoppedBy?: NodeJS.Signals) {
    super(message);
  }
}

/** A started worker process; `ready` settles once it has loaded its backend and data (or could not). */
export interface StartedWorker {
  readonly child: ChildProcess;
  readonly ready: Promise<WorkerReady>;
}

/** Fork a worker and send it its start settings once it listens. */
export function startWorker(entry: WorkerEntry, start: WorkerStart): StartedWorker {
  const child = fork(entry.module, [...entry.args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
  const ready = new Promise<WorkerReady>((resolve, reject) => {
    const onMessage = (message: FromWorker) => {
      if (message.type === 'listening') child.send({ type: 'start', start } satisfies ToWorker);
      else if (message.type === 'ready') settle(() => resolve({ backend: message.backend, ...(message.stacking ? { stacking: message.stacking } : {}) }));
      else if (message.type === 'unusable') settle(() => reject(new WorkerUnusableError(message.message, message.userError)));
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      settle(() => reject(new WorkerUnusableError(`a worker process exited (${signal ?? `code ${code}`}) before it was ready`, false, signal ?? undefined)));
    const onError = (error: Error) => settle(() => reject(new WorkerUnusableError(`cannot start a worker process: ${error.message}`, false)));
    const settle = (how: () => void) => {
      child.off('message', onMessage);
      child.off('exit', onExit);
      child.off('error', onError);
      how();
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
    child.on('error', onError);
  });
  ready.catch(() => undefined); // the caller awaits it; a worker never awaited must not be an unhandled rejection
  return { child, ready };
}
