import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { FileWriteError } from '../errors.js';

/** What to do when a results file cannot be written, by the error's code. */
export function writeFailureHint(path: string, code: string): string {
  const where = dirname(path);
  if (code === 'ENOSPC' || code === 'EDQUOT') return `free space on that disk (df -h '${where}') or choose another folder, then run the same command again: completed rounds are kept`;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return `make ${where} writable or choose another folder, then run the same command again: completed rounds are kept`;
  return `check that path, then run the same command again: completed rounds are kept`;
}

/**
 * Write a file so that readers see either the old content or the whole new content, never a partial file. A
 * write that fails (a full disk, a quota) leaves no temporary file and raises a FileWriteError naming the file.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const temporary = `${path}.tmp-${process.pid}`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(temporary, data);
    renameSync(temporary, path);
  } catch (error) {
    try {
      rmSync(temporary, { force: true });
    } catch {
      // its folder could not be made either: there is no temporary file
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code !== 'string') throw error;
    throw new FileWriteError(path, code, writeFailureHint(path, code));
  }
}
