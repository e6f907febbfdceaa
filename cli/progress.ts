/**
 * A one-line progress bar with ETA on stderr. On a terminal it redraws in place (at most ~10 times a second);
 * elsewhere (logs, CI) it prints a plain line at most every `logEverySeconds`.
 */
export class ProgressBar {
  private readonly began = performance.now();
  private lastDraw = 0;
  private readonly tty: boolean;

  constructor(
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly logEverySeconds = 30,
  ) {
    this.tty = Boolean(stream.isTTY);
  }

  update(done: number, label: string): void {
    const now = performance.now();
    const interval = this.tty ? 100 : this.logEverySeconds * 1000;
    if (now - this.lastDraw < interval && done < this.total) return;
    this.lastDraw = now;
    const fraction = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const elapsed = (now - this.began) / 1000;
    const eta = fraction > 0 ? (elapsed * (1 - fraction)) / fraction : NaN;
    const width = 24;
    const filled = Math.round(fraction * width);
    const bar = `[${'='.repeat(filled)}${' '.repeat(width - filled)}]`;
    const line = `${bar} ${(fraction * 100).toFixed(1).padStart(5)}%  ${label}  elapsed ${formatDuration(elapsed)}  ETA ${formatDuration(eta)}`;
    this.stream.write(this.tty ? `\r${line}\x1b[K` : `${line}\n`);
  }

  done(): void {
    if (this.tty) this.stream.write('\n');
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
