/**
 * Progress on stderr. On a terminal: one line redrawn in place, cut to the terminal's width (a line longer than
 * the terminal wraps, and \r then redraws only its last part, leaving a trail of lines). Elsewhere (logs, CI,
 * pipes): a timestamped line at most every `logEverySeconds`, never the same progress twice.
 */

import { Eta } from './eta.js';
import { COLUMNS } from './wrap.js';

/** The part of a stream the progress displays use (process.stderr, or a test's fake). */
export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): boolean;
}

/** Throttled drawing to a stream: often on a terminal, every `logEverySeconds` in logs and CI. */
export class Throttle {
  private last = -Infinity;
  readonly tty: boolean;
  constructor(readonly stream: ProgressStream, private readonly ttyMs: number, private readonly logEverySeconds: number) {
    this.tty = Boolean(stream.isTTY);
  }
  /** True when enough time has passed since the last draw (or when forced). */
  due(force = false): boolean {
    const now = performance.now();
    if (!force && now - this.last < (this.tty ? this.ttyMs : this.logEverySeconds * 1000)) return false;
    this.last = now;
    return true;
  }
  /** Usable width of a terminal line: one less than its columns, so that the cursor never wraps (80 when unknown). */
  get width(): number {
    return Math.max(20, (this.stream.columns ?? COLUMNS) - 1);
  }
}

/** `line` cut to `width` characters, the cut marked with '…'. */
export function fit(line: string, width: number): string {
  return line.length <= width ? line : `${line.slice(0, Math.max(0, width - 1))}…`;
}

/** `2026-11-28T06:21:03Z`: the prefix of progress lines outside a terminal. */
export const timestamp = (date = new Date()): string => `${date.toISOString().slice(0, 19)}Z`;

/**
 * `[=====     ]  42.0%  label  elapsed 1m05s  ETA 1m30s`; without `elapsed` when `showElapsed` is false. The ETA
 * is given (eta.ts measures it); NaN prints as '--'.
 */
export function barLine(fraction: number, label: string, elapsedSeconds: number, etaSeconds: number, width = 24, showElapsed = true): string {
  const f = Math.max(0, Math.min(1, fraction));
  const filled = Math.round(f * width);
  return `[${'='.repeat(filled)}${' '.repeat(width - filled)}] ${(f * 100).toFixed(1).padStart(5)}%  ${label}  ${showElapsed ? `elapsed ${formatDuration(elapsedSeconds)}  ` : ''}ETA ${formatDuration(etaSeconds)}`;
}

/** The bar line for a terminal line of `width` characters: the elapsed time goes first when it does not fit, then the end of the label. */
export function terminalLine(fraction: number, label: string, elapsedSeconds: number, etaSeconds: number, width: number, wideBar = 24): string {
  const bar = barWidth(width, wideBar);
  const full = barLine(fraction, label, elapsedSeconds, etaSeconds, bar);
  if (full.length <= width) return full;
  const short = barLine(fraction, label, elapsedSeconds, etaSeconds, bar, false);
  if (short.length <= width) return short;
  const eta = short.slice(short.lastIndexOf('  ETA '));
  return `${fit(short.slice(0, short.length - eta.length), width - eta.length)}${eta}`;
}

/** The bar's width for a terminal line of `width` characters: narrower on narrow terminals. */
export const barWidth = (width: number, wide = 24): number => (width >= 100 ? wide : Math.max(8, Math.min(wide, Math.floor(width / 6))));

/** A progress line in a log: timestamped, fitted into 80 columns like a terminal line of that width. */
export const logLine = (fraction: number, label: string, elapsedSeconds: number, etaSeconds: number, date = new Date()): string => {
  const stamp = `${timestamp(date)} `;
  return `${stamp}${terminalLine(fraction, label, elapsedSeconds, etaSeconds, COLUMNS - stamp.length, 12)}`;
};

/**
 * A one-line progress bar with ETA on stderr, redrawn in place on a terminal, printed as plain lines elsewhere.
 * `done` counts units of work (training steps) of the whole run, those complete on disk at the start included;
 * the ETA is the work left at the pace measured since the first update (eta.ts).
 */
export class ProgressBar {
  private readonly began = performance.now();
  private readonly throttle: Throttle;
  private readonly eta: Eta;
  /** What the last plain line said (fraction and label): a line saying the same again is not printed. */
  private lastLogged = '';
  private open = false;

  constructor(private readonly total: number, stream: ProgressStream = process.stderr, logEverySeconds = 30) {
    this.throttle = new Throttle(stream, 100, logEverySeconds);
    this.eta = new Eta(total);
  }

  update(done: number, label: string, nowSeconds = performance.now() / 1000): void {
    this.eta.observe(done, nowSeconds);
    if (!this.throttle.due(done >= this.total)) return;
    const fraction = this.total > 0 ? done / this.total : 1;
    const elapsed = nowSeconds - this.began / 1000;
    const eta = this.eta.secondsLeft();
    if (this.throttle.tty) {
      const width = this.throttle.width;
      this.throttle.stream.write(`\r${fit(terminalLine(fraction, label, elapsed, eta, width), width)}\x1b[K`);
      this.open = true;
      return;
    }
    const key = `${(Math.min(1, fraction) * 100).toFixed(1)} ${label.replace(/ \(evaluating\)$/, '')}`;
    if (key === this.lastLogged) return;
    this.lastLogged = key;
    this.throttle.stream.write(`${logLine(fraction, label, elapsed, eta)}\n`);
  }

  /** End the redrawn line (on a terminal), so that what follows starts on a line of its own. */
  done(): void {
    if (this.throttle.tty && this.open) this.throttle.stream.write('\n');
    this.open = false;
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
