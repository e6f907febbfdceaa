/**
 * Paths a run will write, checked before anything is written or anything slow happens (loading data, training):
 * the results directory (--base_dir) must be named and be a folder, or creatable as one, that this user can
 * write; a log file must be a file that can be created or appended to. Nothing is created here: a run that is
 * refused leaves no folder behind.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../errors.js';

/** The path itself when it exists, else its nearest existing ancestor. */
function nearestExisting(path: string): string {
  let existing = path;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  return existing;
}

/**
 * Refuse a folder path that cannot be a folder (a file, or under a file) or cannot be written; returns it
 * absolute. `what` names it in the message (a flag and its value, or "the results folder X"), `flag` in the hint.
 */
export function checkFolderPath(given: string, flag: string, what = `${flag} ${resolve(given)}`): string {
  const dir = resolve(given);
  const existing = nearestExisting(dir);
  if (!statSync(existing).isDirectory()) {
    throw new ConfigError(
      existing === dir ? `${what} is a file, not a folder` : `${what} lies under ${existing}, which is a file, not a folder`,
      `choose another ${flag}, or move the file ${existing} away`,
    );
  }
  try {
    accessSync(existing, constants.W_OK | constants.X_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError(`${what} is not writable (${code})`, `choose a folder you can write to, or fix its permissions (e.g. chmod u+w ${existing})`);
  }
  return dir;
}

/** Check --base_dir (named, a folder or creatable as one, writable) without creating it; returns its absolute path. */
export function checkBaseDir(given: string, flag = '--base_dir'): string {
  if (given.trim() === '') throw new ConfigError(`${flag} is empty`, `name a folder, e.g. ${flag} results`);
  return checkFolderPath(given, flag);
}

/** Check a file that will be appended to (--log_jsonl): a writable file, or creatable in a writable folder. */
export function checkAppendableFile(given: string, flag: string): string {
  const hint = `choose a ${flag} path in a folder you can write to`;
  if (given.trim() === '') throw new ConfigError(`${flag} is empty`, hint);
  const file = resolve(given);
  if (existsSync(file)) {
    if (statSync(file).isDirectory()) throw new ConfigError(`cannot open the log ${file}: it is a folder (${flag})`, hint);
    try {
      accessSync(file, constants.W_OK);
    } catch (error) {
      throw new ConfigError(`cannot open the log ${file}: not writable (${(error as NodeJS.ErrnoException).code}) (${flag})`, hint);
    }
    return file;
  }
  const existing = nearestExisting(dirname(file));
  if (!statSync(existing).isDirectory()) throw new ConfigError(`cannot open the log ${file}: ${existing} is a file, not a folder (${flag})`, hint);
  try {
    accessSync(existing, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw new ConfigError(`cannot open the log ${file}: ${existing} is not writable (${(error as NodeJS.ErrnoException).code}) (${flag})`, hint);
  }
  return file;
}
