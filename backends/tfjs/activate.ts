import { BackendError } from '../../core/errors.js';
import type { TfModule } from './types.js';

/**
 * tfjs has one global engine per process with one active backend. Open adapters hold the tfjs backend they
 * activated; activating a different one while any is held is refused (its tensors would silently move to
 * the new backend), and close() releases the hold.
 */
const holds = new Map<string, number>();

/** The tfjs backend currently held by an open adapter, if any. */
export const heldTfjsBackend = (): string | undefined => [...holds.keys()][0];

/**
 * Make `tfBackend` tfjs' active backend and check that it is (tfjs falls back to another registered backend
 * without an error when one fails to initialise). Returns the function that releases the hold.
 */
export async function activateTfjs(tf: TfModule, tfBackend: string, rsnName: string, hint: string): Promise<() => void> {
  const other = heldTfjsBackend();
  if (other !== undefined && other !== tfBackend) {
    throw new BackendError(
      `tfjs backend '${other}' is already in use in this process, and tfjs runs one backend per process`,
      `run '${rsnName}' in a process of its own (RSN_BACKEND=${rsnName}), or close the other backend first`,
    );
  }
  let ok: boolean;
  try {
    ok = await tf.setBackend(tfBackend);
    await tf.ready();
  } catch (error) {
    throw new BackendError(`tfjs could not initialise its '${tfBackend}' backend: ${(error as Error).message}`, hint);
  }
  const active = tf.getBackend();
  if (!ok || active !== tfBackend) {
    throw new BackendError(
      `tfjs is running on '${active ?? 'no backend'}' instead of '${tfBackend}' (its initialisation failed; tfjs falls back silently)`,
      hint,
    );
  }
  holds.set(tfBackend, (holds.get(tfBackend) ?? 0) + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const n = holds.get(tfBackend)! - 1;
    if (n > 0) holds.set(tfBackend, n);
    else holds.delete(tfBackend);
  };
}
