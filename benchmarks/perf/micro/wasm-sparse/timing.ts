/**
 * Side-by-side CPU timing of a few functions in one process: each sample times a batch of calls of every
 * function in turn (the order rotating from sample to sample), so that a shared machine's drift reaches all of
 * them alike. CPU time of this process (process.cpuUsage) is disturbed less by other work than wall time.
 */

/** Calls per batch so that a batch takes about `targetMicros` of CPU time. */
function calibrate(fn: () => void, targetMicros: number): number {
  for (let i = 0; i < 3; i++) fn();
  let reps = 1;
  for (;;) {
    const start = process.cpuUsage();
    for (let i = 0; i < reps; i++) fn();
    const used = process.cpuUsage(start);
    const micros = used.user + used.system;
    if (micros >= targetMicros / 4 || reps >= 1 << 16) return Math.max(1, Math.round((reps * targetMicros) / Math.max(micros, 1)));
    reps *= 4;
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** CPU microseconds per call of each function: the median over `samples` alternating batches. */
export function cpuMicros(fns: Record<string, () => void>, samples: number, targetMicros = 3000): Record<string, number> {
  const names = Object.keys(fns);
  const reps = Object.fromEntries(names.map((name) => [name, calibrate(fns[name]!, targetMicros)]));
  const times = Object.fromEntries(names.map((name) => [name, [] as number[]]));
  for (let s = 0; s < samples; s++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + s) % names.length]!;
      const [fn, n] = [fns[name]!, reps[name]!];
      const start = process.cpuUsage();
      for (let r = 0; r < n; r++) fn();
      const used = process.cpuUsage(start);
      times[name]!.push((used.user + used.system) / n);
    }
  }
  return Object.fromEntries(names.map((name) => [name, median(times[name]!)]));
}
