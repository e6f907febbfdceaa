import { barLine, fit, terminalLine, Throttle, timestamp, type ProgressStream } from './progress.js';

/**
 * An overall bar plus one status line per worker. On a terminal the block is redrawn in place, each line cut to
 * the terminal's width; otherwise the overall line is printed, timestamped, at most every `logEverySeconds` and
 * never twice with the same progress.
 */
export class MultiProgress {
  private readonly began = performance.now();
  private readonly lines: string[];
  private readonly throttle: Throttle;
  private drawn = 0;
  private lastLogged = '';

  constructor(workers: number, stream: ProgressStream = process.stderr, logEverySeconds = 30) {
    this.lines = new Array<string>(workers).fill('idle');
    this.throttle = new Throttle(stream, 200, logEverySeconds);
  }

  setWorker(worker: number, text: string): void {
    this.lines[worker] = text;
  }

  /** Redraw with the overall fraction done (0..1) and a label. */
  draw(fraction: number, label: string, force = false): void {
    if (!this.throttle.due(force)) return;
    const elapsed = (performance.now() - this.began) / 1000;
    if (!this.throttle.tty) {
      const key = `${(Math.min(1, fraction) * 100).toFixed(1)} ${label}`;
      if (key === this.lastLogged) return;
      this.lastLogged = key;
      this.throttle.stream.write(`${timestamp()} ${barLine(fraction, label, elapsed, 30)}\n`);
      return;
    }
    const width = this.throttle.width;
    const block = [terminalLine(fraction, label, elapsed, width, 30), ...this.lines.map((l, i) => `  worker ${i}: ${l}`)].map((l) => fit(l, width));
    this.throttle.stream.write(`${this.drawn > 0 ? `\x1b[${this.drawn}F` : ''}${block.map((l) => `${l}\x1b[K`).join('\n')}\n`);
    this.drawn = block.length;
  }

  /** Print a line above the block (a finished or failed job); timestamped outside a terminal. */
  log(text: string): void {
    if (this.throttle.tty && this.drawn > 0) {
      this.throttle.stream.write(`\x1b[${this.drawn}F\x1b[J`);
      this.drawn = 0;
    }
    this.throttle.stream.write(this.throttle.tty ? `${text}\n` : `${timestamp()} ${text}\n`);
  }
}
