/**
 * The results directory (--base_dir), checked before anything slow happens (loading data, training): it must
 * be named, must be a folder or creatable as one, and must be writable.
 */
import { accessSync, constants, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';

const flagOf = (flag: string, dir: string) => `${flag} ${dir}`;

/** Resolve --base_dir, create it if needed, and prove it writable; returns the absolute path. */
export function prepareBaseDir(given: string, flag = '--base_dir'): string {
  if (given.trim() === '') throw new ConfigError(`${flag} is empty`, `name a folder, e.g. ${flag} results`);
  const dir = resolve(given);
  // The nearest part of the path that exists must be a folder.
  let existing = dir;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  if (!statSync(existing).isDirectory()) {
    throw new ConfigError(
      existing === dir ? `${flagOf(flag, dir)} is a file, not a folder` : `${flagOf(flag, dir)} lies under ${existing}, which is a file, not a folder`,
      `choose another ${flag}, or move the file ${existing} away`,
    );
  }
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK | constants.X_OK);
    const probe = join(dir, `.rsn-write-test-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe, { force: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError(`${flagOf(flag, dir)} is not writable (${code})`, `choose a folder you can write to, or fix its permissions (e.g. chmod u+w ${existing})`);
  }
  return dir;
}
