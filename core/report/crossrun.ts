/**
 * Two results directories of the same preset (typically run on two backends) side by side: accuracy agreement
 * per (configuration, round) at one iteration, and wall-clock time per round. Configurations are matched by
 * their path below each root.
 */
import { aggregateAt, percentOf, roundsOf, stat, type Stat } from './aggregate.js';
import { judge, type Verdict } from './agreement.js';
import type { ConfigResult, ResultsSet } from './results-set.js';
import { formatStat } from './tables.js';

export interface AccuracyRow {
  readonly key: string;
  readonly round: number;
  readonly percent: number;
  readonly acc: readonly [Stat, Stat];
  readonly advAcc: readonly [Stat, Stat];
  /** B - A, in percentage points. */
  readonly accDiff: number;
  readonly advAccDiff: number;
  /** The agreement rule (agreement.ts) applied to both metrics; 'differs' if either differs. */
  readonly verdict: Verdict;
}

export interface SpeedRow {
  readonly key: string;
  readonly round: number;
  readonly seconds: readonly [Stat, Stat];
  /** A / B: above 1 when B is faster. */
  readonly ratio: number;
}

export interface CrossRun {
  readonly roots: readonly [string, string];
  readonly backends: readonly [string, string];
  readonly iteration: number;
  readonly accuracy: readonly AccuracyRow[];
  readonly speed: readonly SpeedRow[];
  readonly onlyIn: readonly [readonly string[], readonly string[]];
}


const backendsOf = (set: ResultsSet): string =>
  [...new Set(set.configs.flatMap((c) => c.trials.flatMap((t) => (t.manifest ? [t.manifest.backend] : []))))].sort().join(', ') || 'unknown';

/** Seconds per trial for one round: the manifest's record when present, else the round summary's. */
function roundSeconds(config: ConfigResult, round: number): Stat {
  return stat(config.trials.flatMap((t) => {
    const r = t.rounds.find((x) => x.round === round);
    if (!r) return [];
    const m = t.manifest?.rounds.find((x) => x.round === round);
    return [m ? m.wall_seconds : r.summary.wall_seconds];
  }));
}

export function compareRuns(a: ResultsSet, b: ResultsSet, iteration: number): CrossRun {
  const inB = new Map(b.configs.filter((c) => c.trials.length > 0).map((c) => [c.key, c]));
  const inA = new Map(a.configs.filter((c) => c.trials.length > 0).map((c) => [c.key, c]));
  const accuracy: AccuracyRow[] = [];
  const speed: SpeedRow[] = [];
  for (const [key, ca] of [...inA.entries()].sort((x, y) => x[0].localeCompare(y[0]))) {
    const cb = inB.get(key);
    if (!cb) continue;
    const roundsB = new Set(roundsOf(cb).map((r) => r.round));
    for (const info of roundsOf(ca).filter((r) => roundsB.has(r.round))) {
      const ga = aggregateAt(ca, info.round, iteration);
      const gb = aggregateAt(cb, info.round, iteration);
      if (ga && gb) {
        const acc = [percentOf(ga.test.acc), percentOf(gb.test.acc)] as const;
        const advAcc = [percentOf(ga.test.adv_acc), percentOf(gb.test.adv_acc)] as const;
        const v1 = judge(acc[1], { mean: acc[0].mean, sd: acc[0].sd });
        const v2 = judge(advAcc[1], { mean: advAcc[0].mean, sd: advAcc[0].sd });
        const verdicts = [v1.verdict, v2.verdict];
        const verdict: Verdict = verdicts.includes('differs') ? 'differs' : verdicts.includes('no data') ? 'no data' : 'agrees';
        accuracy.push({ key, round: info.round, percent: info.percent, acc, advAcc, accDiff: v1.diff, advAccDiff: v2.diff, verdict });
      }
      const seconds = [roundSeconds(ca, info.round), roundSeconds(cb, info.round)] as const;
      speed.push({ key, round: info.round, seconds, ratio: seconds[0].mean / seconds[1].mean });
    }
  }
  return {
    roots: [a.root, b.root], backends: [backendsOf(a), backendsOf(b)], iteration, accuracy, speed,
    onlyIn: [[...inA.keys()].filter((k) => !inB.has(k)), [...inB.keys()].filter((k) => !inA.has(k))],
  };
}

const signed = (x: number): string => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${x.toFixed(2)}` : '—');
const seconds = (s: Stat): string => (Number.isFinite(s.mean) ? s.mean.toFixed(2) : '—');

export function crossRunMarkdown(c: CrossRun): string {
  const [ba, bb] = c.backends;
  const agree = c.accuracy.filter((r) => r.verdict === 'agrees').length;
  const maxDiff = Math.max(0, ...c.accuracy.flatMap((r) => [Math.abs(r.accDiff), Math.abs(r.advAccDiff)]).filter(Number.isFinite));
  const total = (i: 0 | 1) => c.speed.reduce((sum, r) => sum + (Number.isFinite(r.seconds[i].mean) ? r.seconds[i].mean : 0), 0);
  const lines = [
    '## Two results directories compared', '',
    `- A: \`${c.roots[0]}\` (backend ${ba})`, `- B: \`${c.roots[1]}\` (backend ${bb})`, '',
    `### Accuracy: test accuracy in %, mean±sd over trials at the evaluation at or below iteration ${c.iteration}`, '',
    `${agree} of ${c.accuracy.length} (configuration, round) pairs agree on both natural and adversarial accuracy under the ` +
      `paper-comparison rule (|B - A| <= max(2 x combined sd, 1.0 point)); largest |B - A|: ${maxDiff.toFixed(2)} points.`, '',
    '| configuration | round | % remaining | acc A | acc B | B - A | adv acc A | adv acc B | B - A | verdict |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...c.accuracy.map((r) => `| \`${r.key}\` | ${r.round} | ${r.percent.toFixed(1)} | ${formatStat(r.acc[0])} | ${formatStat(r.acc[1])} | ` +
      `${signed(r.accDiff)} | ${formatStat(r.advAcc[0])} | ${formatStat(r.advAcc[1])} | ${signed(r.advAccDiff)} | ${r.verdict} |`),
    '', '### Speed: wall-clock seconds per round, mean over trials', '',
    `Total over the rounds present in both: A ${total(0).toFixed(1)} s, B ${total(1).toFixed(1)} s, A / B = ${(total(0) / total(1)).toFixed(2)} (above 1: B is faster).`, '',
    '| configuration | round | A (s) | B (s) | A / B |', '|---|---|---|---|---|',
    ...c.speed.map((r) => `| \`${r.key}\` | ${r.round} | ${seconds(r.seconds[0])} | ${seconds(r.seconds[1])} | ${Number.isFinite(r.ratio) ? r.ratio.toFixed(2) : '—'} |`),
  ];
  if (c.onlyIn[0].length > 0) lines.push('', `Only in A: ${c.onlyIn[0].map((k) => `\`${k}\``).join(', ')}`);
  if (c.onlyIn[1].length > 0) lines.push('', `Only in B: ${c.onlyIn[1].map((k) => `\`${k}\``).join(', ')}`);
  if (c.accuracy.length === 0) lines.push('', 'The two directories share no (configuration, round) with results.');
  return `${lines.join('\n')}\n`;
}
