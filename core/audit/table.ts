/**
 * An audit as tables: audit.csv (tidy, long: one row per trial x round x attack, and one per eps of the sweep),
 * the flags in words (Markdown), and the figure (accuracy vs % weights remaining, one line per attack).
 */
import type { TopLevelSpec } from 'vega-lite';
import type { CsvRow } from '../results/csv.js';
import { percentTicks } from '../report/figures.js';
import type { RoundAudit } from './run.js';

export const AUDIT_COLUMNS: readonly string[] = [
  'experiment_id', 'config', 'dataset', 'model', 'experiment', 'run_attack', 'adv_train', 'reset_to', 'trial', 'round', 'percent_remaining',
  'part', 'attack', 'kind', 'loss', 'eps', 'iterations', 'restarts', 'accuracy', 'images', 'seconds',
];

/** audit.csv's rows: the clean accuracy, each rung, the ladder's worst case, and the sweep's points. */
export function auditRows(audits: readonly RoundAudit[]): CsvRow[] {
  return audits.flatMap((a) => {
    const c = a.config.config;
    const base: CsvRow = {
      experiment_id: a.config.experimentId, config: a.config.key, dataset: c.dataset, model: c.model, experiment: c.experiment,
      run_attack: c.attack, adv_train: c.adv_train ? 'True' : 'False', reset_to: c.reset_to, trial: a.trial, round: a.round,
      percent_remaining: a.percentRemaining,
    };
    const images = a.rungs[0]?.images ?? NaN;
    return [
      { ...base, part: 'ladder', attack: 'none', kind: 'clean', loss: '', eps: 0, iterations: 0, restarts: 0, accuracy: a.clean, images, seconds: NaN },
      ...a.rungs.map((r) => ({
        ...base, part: 'ladder', attack: r.rung, kind: r.kind, loss: r.loss, eps: r.eps, iterations: r.iterations, restarts: r.restarts,
        accuracy: r.accuracy, images: r.images, seconds: r.seconds,
      })),
      { ...base, part: 'ladder', attack: 'worst-case', kind: 'ladder', loss: '', eps: c.eps, iterations: 0, restarts: 0, accuracy: a.robustAccuracy, images, seconds: a.rungs.reduce((s, r) => s + r.seconds, 0) },
      ...(a.sweep?.points ?? []).map((p) => ({
        ...base, part: 'sweep', attack: a.sweep!.attack, kind: 'white-box', loss: 'ce', eps: p.eps, iterations: a.rungs.find((r) => r.rung === 'apgd-ce')?.iterations ?? NaN,
        restarts: 1, accuracy: p.accuracy, images: a.sweep!.images, seconds: p.seconds,
      })),
    ];
  });
}

const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;

/** The flags in words, per round, raised ones first; and whether the run's own attack was reproduced. */
export function auditFindings(audits: readonly RoundAudit[]): string {
  const lines = ['# Audit findings', ''];
  const raised = audits.flatMap((a) => a.flags.filter((f) => f.raised).map((f) => ({ a, f })));
  lines.push(raised.length === 0
    ? `No masking flag is raised in ${audits.length} audited round(s).`
    : `${raised.length} flag(s) raised in ${new Set(raised.map(({ a }) => `${a.config.key}/${a.trial}/${a.round}`)).size} of ${audits.length} audited round(s).`, '');
  for (const a of audits) {
    lines.push(`## ${a.config.key}, trial ${a.trial}, round ${a.round} (${a.percentRemaining.toFixed(1)}% of weights)`, '');
    const run = a.rungs.find((r) => r.reproduces);
    if (run) lines.push(`- The run's ${run.rung}: ${run.reproduces!.equal ? 'reproduces' : 'does NOT reproduce'} test.csv's last row (audit ${pct(run.reproduces!.adv_acc)}, test.csv ${pct(run.reproduces!.test_csv.adv_acc)}).`);
    lines.push(`- Clean ${pct(a.clean)}; worst case over the ladder ${pct(a.robustAccuracy)}; ${a.rungs.map((r) => `${r.rung} ${pct(r.accuracy)}`).join(', ')}.`);
    for (const f of [...a.flags].sort((x, y) => Number(y.raised) - Number(x.raised))) lines.push(`- ${f.raised ? '**FLAG**' : 'ok'} ${f.name}: ${f.detail}.`);
    lines.push('');
  }
  return lines.join('\n');
}

/** Accuracy vs % remaining per configuration: each rung's mean over trials, and the worst case. */
export function auditFigure(audits: readonly RoundAudit[]): TopLevelSpec {
  const rows = auditRows(audits).filter((r) => r.part === 'ladder' && r.attack !== 'none');
  const label = (r: CsvRow) => `${r.dataset}, ${r.model}, ${r.experiment}, ${r.adv_train === 'True' ? `${String(r.run_attack).toUpperCase()} adversarial training` : 'natural training'}`;
  const values = rows.map((r) => ({ config: label(r), percent: r.percent_remaining, attack: r.attack, accuracy: 100 * (r.accuracy as number) }));
  const percents = values.map((v) => v.percent as number);
  const [lo, hi] = [Math.min(...percents), Math.max(...percents)];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Robust accuracy under the audit ladder', subtitle: ["the run's PGD-10 against the worst case over every attack; means over trials"] },
    data: { values },
    facet: { row: { field: 'config', type: 'nominal', title: null, header: { labelAngle: 0, labelOrient: 'top', labelAnchor: 'start', labelFontWeight: 'bold' } } },
    spec: {
      width: 420, height: 220,
      mark: { type: 'line', point: true },
      encoding: {
        x: {
          field: 'percent', type: 'quantitative', title: '% of weights remaining',
          scale: { type: 'log', reverse: true, domain: lo === hi ? [lo * 0.95, hi * 1.05] : [lo, hi], nice: false }, axis: { values: percentTicks(lo, hi) },
        },
        y: { field: 'accuracy', type: 'quantitative', title: 'accuracy (%)', aggregate: 'mean' },
        color: { field: 'attack', type: 'nominal', title: 'attack' },
        strokeDash: { condition: { test: "datum.attack === 'worst-case'", value: [1, 0] }, value: [4, 2] },
        strokeWidth: { condition: { test: "datum.attack === 'worst-case' || datum.attack === 'pgd-10'", value: 3 }, value: 1.5 },
      },
    },
  } as unknown as TopLevelSpec;
}
