import { barLine, Throttle } from './progress.js';

/**
 * An overall bar plus one status line per worker. On a terminal the block is redrawn in place; otherwise the
 * overall line is printed at most every `logEverySeconds`.
 */
export class MultiProgress {
  private readonly began = performance.now();
  private readonly lines: string[];
  private readonly throttle: Throttle;
  private drawn = 0;

  constructor(workers: number, stream: NodeJS.WriteStream = process.stderr, logEverySeconds = 30) {
    this.lines = new Array<string>(workers).fill('idle');
    this.throttle = new Throttle(stream, 200, logEverySeconds);
  }

  setWorker(worker: number, text: string): void {
    this.lines[worker] = text;
  }

  /** Redraw with the overall fraction done (0..1) and a label. */
  draw(fraction: number, label: string, force = false): void {
    if (!this.throttle.due(force)) return;
    const head = barLine(fraction, label, (performance.now() - this.began) / 1000, 30);
    if (!this.throttle.tty) {
      this.throttle.stream.write(`${head}\n`);
      return;
    }
    const block = [head, ...this.lines.map((l, i) => `  worker ${i}: ${l}`)];
    this.throttle.stream.write(`${this.drawn > 0 ? `\x1b[${this.drawn}F` : ''}${block.map((l) => `${l}\x1b[K`).join('\n')}\n`);
    this.drawn = block.length;
  }

  /** Print a line above the block (a finished or failed job). */
  log(text: string): void {
    if (this.throttle.tty && this.drawn > 0) {
      this.throttle.stream.write(`\x1b[${this.drawn}F\x1b[J`);
      this.drawn = 0;
    }
    this.throttle.stream.write(`${text}\n`);
  }
}
