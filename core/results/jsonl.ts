import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { RsnError } from '../errors.js';

/** The JSONL log cannot be opened or written; the message names the file. */
export class JsonlLogError extends RsnError {}

/**
 * An append-only JSON Lines file: one record per line, each written with one write(2) as soon as it is logged,
 * so that a tracker tailing the file (tail -f, a W&B or MLflow shim) sees every record at once and a crash
 * loses none that were logged. Existing lines are kept (a resumed run appends).
 */
export class JsonlLog {
  private fd: number | undefined;

  constructor(readonly path: string) {
    try {
      mkdirSync(dirname(path), { recursive: true });
      this.fd = openSync(path, 'a');
    } catch (error) {
      throw new JsonlLogError(`cannot open the log ${path}: ${(error as Error).message}`, 'choose a --log_jsonl path in a folder you can write to');
    }
  }

  /** Append one record (NaN and infinities become null, as JSON has no such numbers). */
  append(record: object): void {
    if (this.fd === undefined) throw new JsonlLogError(`the log ${this.path} is closed`);
    try {
      writeSync(this.fd, `${JSON.stringify(record)}\n`);
    } catch (error) {
      throw new JsonlLogError(`cannot write to the log ${this.path}: ${(error as Error).message}`, 'check the disk and the path given to --log_jsonl');
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
