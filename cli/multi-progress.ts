import { formatDuration } from './progress.js';

/**
 * An overall bar plus one status line per worker. On a terminal the block is redrawn in place; otherwise a
 * plain summary line is printed at most every `logEverySeconds`.
 */
export class MultiProgress {
  private readonly began = performance.now();
  private readonly lines: string[];
  private drawn = 0;
  private lastDraw = 0;
  private readonly tty: boolean;

  constructor(
    private readonly workers: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly logEverySeconds = 30,
  ) {
    this.lines = new Array<string>(workers).fill('idle');
    this.tty = Boolean(stream.isTTY);
  }

  setWorker(worker: number, text: string): void {
    this.lines[worker] = text;
  }

  /** Redraw with the overall fraction done (0..1) and a label. */
  draw(fraction: number, label: string, force = false): void {
    const now = performance.now();
    if (!force && now - this.lastDraw < (this.tty ? 200 : this.logEverySeconds * 1000)) return;
    this.lastDraw = now;
    const elapsed = (now - this.began) / 1000;
    const eta = fraction > 0 ? (elapsed * (1 - fraction)) / fraction : NaN;
    const width = 30;
    const filled = Math.round(Math.min(1, fraction) * width);
    const head = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(1)}%  ${label}  elapsed ${formatDuration(elapsed)}  ETA ${formatDuration(eta)}`;
    if (!this.tty) {
      this.stream.write(`${head}\n`);
      return;
    }
    const block = [head, ...this.lines.map((l, i) => `  worker ${i}: ${l}`)];
    this.stream.write(`${this.drawn > 0 ? `\x1b[${this.drawn}F` : ''}${block.map((l) => `${l}\x1b[K`).join('\n')}\n`);
    this.drawn = block.length;
  }

  /** Print a line above the block (a finished or failed job). */
  log(text: string): void {
    if (this.tty && this.drawn > 0) {
      this.stream.write(`\x1b[${this.drawn}F\x1b[J`);
      this.drawn = 0;
    }
    this.stream.write(`${text}\n`);
  }
}
