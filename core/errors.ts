/** Base class of every error rsn raises on purpose. `hint` says what the user can do about it. */
export class RsnError extends Error {
  constructor(message: string, readonly hint?: string) {
    super(hint ? `${message}\n  -> ${hint}` : message);
    this.name = new.target.name;
  }
}

/** Shapes or dtypes that a primitive cannot take. */
export class ShapeError extends RsnError {}

/** A backend lacks a kernel for a primitive at a dtype. */
export class UnsupportedOpError extends RsnError {
  constructor(readonly op: string, readonly dtype: string, readonly backend: string) {
    super(
      `backend '${backend}' does not implement '${op}' for dtype ${dtype}`,
      `run this step on the reference backend (--backend reference) or report the missing kernel`,
    );
  }
}

/** A tensor was used after it was disposed (usually: it was created inside a tidy() scope that has ended). */
export class DisposedTensorError extends RsnError {}

/** A backend name that is not registered, or one that cannot load on this machine. */
export class BackendError extends RsnError {}

/** Invalid user input: flags, configuration values, attack parameters. */
export class ConfigError extends RsnError {}

/** A data file that is missing, corrupt, or could not be downloaded. The message names the file or places looked. */
export class DataError extends RsnError {}

/** A data file whose MD5 does not match the published one. */
export class ChecksumError extends DataError {
  constructor(readonly file: string, readonly expected: string, readonly actual: string, hint: string) {
    super(`checksum mismatch for ${file}: expected MD5 ${expected}, got ${actual}`, hint);
  }
}

/** A results file that cannot be read back (truncated, not JSON, wrong shape). The message names it and what to delete. */
export class ResultsDamagedError extends RsnError {}

/** Work (a trial of a configuration) that another live process holds the lease of. The message names the holder. */
export class LeaseHeldError extends RsnError {}

/** A lease this process held was taken over (it looked stale to another process): the work was stopped unwritten. */
export class LeaseLostError extends RsnError {}

/** What an operating-system error code means, in words, for messages that name the file. */
export const ERRNO_WORDS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied', EPERM: 'operation not permitted', ENOENT: 'no such file or folder', ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'is a folder, not a file', ENOSPC: 'no space left on the device', EROFS: 'read-only file system', EDQUOT: 'disk quota exceeded',
  EMFILE: 'too many open files', EIO: 'input/output error',
};

/** A results file could not be written (full disk, quota, permissions); the message names it and what to do. */
export class FileWriteError extends RsnError {
  constructor(readonly path: string, readonly code: string, hint: string) {
    super(`cannot write ${path}: ${ERRNO_WORDS[code] ?? code} (${code})`, hint);
  }
}

/** A trial would hold rounds trained on different backends (allowed only when asked for). */
export class MixedBackendsError extends RsnError {}
