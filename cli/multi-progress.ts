import { Eta } from './eta.js';
import { fit, logLine, terminalLine, Throttle, timestamp, type ProgressStream } from './progress.js';

/** Progress measured by a cost estimate (rsn bench's EstimatedProgress): the fraction of the estimated seconds done, and its ETA. */
export interface ProgressEstimate {
  fraction(): number;
  eta(elapsedSeconds: number): number;
}

/**
 * An overall bar plus one status line per worker. On a terminal the block is redrawn in place, each line cut to
 * the terminal's width; otherwise the overall line is printed, timestamped, at most every `logEverySeconds` and
 * never twice with the same progress. `done` and `total` count units of work (training steps) of the whole
 * suite, those complete on disk at the start included; the ETA is the work left at the measured pace (eta.ts),
 * or, given an estimate, the fraction and the ETA the estimate gives.
 */
export class MultiProgress {
  private readonly began = performance.now();
  private readonly lines: string[];
  private readonly throttle: Throttle;
  private readonly eta: Eta;
  private drawn = 0;
  private lastLogged = '';

  constructor(
    workers: number, private readonly total: number, stream: ProgressStream = process.stderr, logEverySeconds = 30,
    private readonly estimate?: ProgressEstimate,
  ) {
    this.lines = new Array<string>(workers).fill('idle');
    this.throttle = new Throttle(stream, 200, logEverySeconds);
    this.eta = new Eta(total);
  }

  setWorker(worker: number, text: string): void {
    this.lines[worker] = text;
  }

  /** Redraw with the units done so far and a label. */
  draw(done: number, label: string, force = false, nowSeconds = performance.now() / 1000): void {
    this.eta.observe(done, nowSeconds);
    if (!this.throttle.due(force)) return;
    const elapsed = nowSeconds - this.began / 1000;
    const fraction = this.estimate?.fraction() ?? (this.total > 0 ? done / this.total : 1);
    const eta = this.estimate?.eta(elapsed) ?? this.eta.secondsLeft();
    if (!this.throttle.tty) {
      const key = `${(Math.min(1, fraction) * 100).toFixed(1)} ${label}`;
      if (key === this.lastLogged) return;
      this.lastLogged = key;
      this.throttle.stream.write(`${logLine(fraction, label, elapsed, eta)}\n`);
      return;
    }
    const width = this.throttle.width;
    const block = [terminalLine(fraction, label, elapsed, eta, width, 30), ...this.lines.map((l, i) => `  worker ${i}: ${l}`)].map((l) => fit(l, width));
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
