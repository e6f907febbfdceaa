/**
 * The time left of a run, from the measured pace of the work this process has done: the steps of training left
 * times the seconds a step took lately (evaluations included, as they recur with the steps). Work found complete
 * on disk at the start (a resumed run) counts as done but not as measured, so a resume is not mistaken for speed;
 * the wait before the first step (workers starting, data loading) is not measured either.
 */

/** How far back the pace is measured: long enough to span several evaluations, short enough to follow a change. */
export const PACE_WINDOW_SECONDS = 300;

interface Sample {
  readonly seconds: number;
  readonly done: number;
}

export class Eta {
  /** Samples of (time, work done), oldest first; the first one anchors the pace until the window moves on. */
  private readonly samples: Sample[] = [];

  /**
   * @param total work units of the whole run (steps of training), including those complete at the start
   * @param windowSeconds the pace is measured over about this much of the most recent time
   */
  constructor(private readonly total: number, private readonly windowSeconds = PACE_WINDOW_SECONDS) {}

  /** Record that `done` units (completed-at-start ones included) are done at `seconds` (any monotonic clock). */
  observe(done: number, seconds: number): void {
    const last = this.samples.at(-1);
    if (last && done < last.done) return;
    if (last && seconds - last.seconds < 1 && this.samples.length > 1) {
      // Keep at most one sample a second: replace the newest rather than grow.
      this.samples[this.samples.length - 1] = { seconds, done };
    } else {
      this.samples.push({ seconds, done });
    }
    // Drop samples older than the window, keeping one at or before its start as the anchor.
    while (this.samples.length > 2 && seconds - this.samples[1]!.seconds >= this.windowSeconds) this.samples.shift();
  }

  /** Seconds per unit over the window; NaN before any unit was measured. */
  secondsPerUnit(): number {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last.done <= first.done) return NaN;
    return (last.seconds - first.seconds) / (last.done - first.done);
  }

  /** Seconds left: the units left at the measured pace (0 when all is done; NaN before a pace is measured). */
  secondsLeft(): number {
    const last = this.samples.at(-1);
    if (last && last.done >= this.total) return 0;
    return (this.total - (last?.done ?? 0)) * this.secondsPerUnit();
  }
}
