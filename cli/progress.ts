/** Throttled drawing to a stream: often on a terminal, every `logEverySeconds` in logs and CI. */
export class Throttle {
  private last = -Infinity;
  readonly tty: boolean;
  constructor(readonly stream: NodeJS.WriteStream, private readonly ttyMs: number, private readonly logEverySeconds: number) {
    this.tty = Boolean(stream.isTTY);
  }
  /** True when enough time has passed since the last draw (or when forced). */
  due(force = false): boolean {
    const now = performance.now();
    if (!force && now - this.last < (this.tty ? this.ttyMs : this.logEverySeconds * 1000)) return false;
    this.last = now;
    return true;
  }
}

/** `[=====     ]  42.0%  label  elapsed 1m05s  ETA 1m30s`, the ETA extrapolated from the fraction done. */
export function barLine(fraction: number, label: string, elapsedSeconds: number, width = 24): string {
  const f = Math.max(0, Math.min(1, fraction));
  const filled = Math.round(f * width);
  const eta = f > 0 ? (elapsedSeconds * (1 - f)) / f : NaN;
  return `[${'='.repeat(filled)}${' '.repeat(width - filled)}] ${(f * 100).toFixed(1).padStart(5)}%  ${label}  elapsed ${formatDuration(elapsedSeconds)}  ETA ${formatDuration(eta)}`;
}

/** A one-line progress bar with ETA on stderr, redrawn in place on a terminal, printed as plain lines elsewhere. */
export class ProgressBar {
  private readonly began = performance.now();
  private readonly throttle: Throttle;

  constructor(private readonly total: number, stream: NodeJS.WriteStream = process.stderr, logEverySeconds = 30) {
    this.throttle = new Throttle(stream, 100, logEverySeconds);
  }

  update(done: number, label: string): void {
    if (!this.throttle.due(done >= this.total)) return;
    const line = barLine(this.total > 0 ? done / this.total : 1, label, (performance.now() - this.began) / 1000);
    this.throttle.stream.write(this.throttle.tty ? `\r${line}\x1b[K` : `${line}\n`);
  }

  done(): void {
    if (this.throttle.tty) this.throttle.stream.write('\n');
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
