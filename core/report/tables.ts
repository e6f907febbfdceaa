/**
 * The paper's tables, one row per pruning round the runs made (the paper's show the sparsities {100, 51.3, 16.9,
 * 8.7, 3.6, 1.8} of rounds 0, 3, 8, 11, 15, 18): for each dataset, test natural / adversarial accuracy (mean ± sd
 * over trials, in %) at one iteration, for natural / adversarial training, FGSM and PGD. Each cell reads 'naturally
 * trained / adversarially trained', as in docs/paper-results.md.
 */
import type { DatasetName } from '../data/index.js';
import { STRATEGIES, type Strategy } from '../experiment/config.js';
import { aggregateAt, percentOf, roundNear, roundsOf, stat, type Stat } from './aggregate.js';
import { DATASET_LABEL, settings, STRATEGY_LABEL } from './groups.js';
import type { ConfigResult, ResultsSet } from './results-set.js';

export const COLUMNS = ['fgsm_nat', 'fgsm_adv', 'pgd_nat', 'pgd_adv'] as const;
export type Column = (typeof COLUMNS)[number];
export const COLUMN_LABEL: Readonly<Record<Column, string>> = { fgsm_nat: 'FGSM nat', fgsm_adv: 'FGSM adv', pgd_nat: 'PGD nat', pgd_adv: 'PGD adv' };
export type Training = 'natural' | 'adversarial';

/** One measured accuracy: the statistic in %, and where it comes from. */
export interface CellValue {
  readonly stat: Stat;
  readonly round: number;
  readonly percent: number;
  readonly iterations: readonly number[];
  readonly config: ConfigResult;
}

export type TableCell = Readonly<Record<Training, CellValue | undefined>>;

export interface AccuracyTable {
  readonly setting: string;
  readonly dataset: DatasetName;
  readonly strategy: Strategy;
  readonly iteration: number;
  readonly rows: readonly { readonly round: number; readonly percent: number; readonly cells: Readonly<Record<Column, TableCell>> }[];
}


/** Test accuracy ('nat') or adversarial test accuracy ('adv') in % of one configuration near a sparsity. */
export function accuracyCell(config: ConfigResult | undefined, percent: number, iteration: number, kind: 'nat' | 'adv'): CellValue | undefined {
  const info = config && roundNear(config, percent);
  return info && roundCell(config, info.round, iteration, kind);
}

/** Test accuracy ('nat') or adversarial test accuracy ('adv') in % of one configuration in one round. */
export function roundCell(config: ConfigResult | undefined, round: number, iteration: number, kind: 'nat' | 'adv'): CellValue | undefined {
  const aggregate = config && aggregateAt(config, round, iteration);
  if (!config || !aggregate) return undefined;
  const s = aggregate.test[kind === 'nat' ? 'acc' : 'adv_acc'];
  if (s.n === 0) return undefined;
  return { stat: percentOf(s), round: aggregate.round, percent: aggregate.percent, iterations: aggregate.iterations, config };
}

/** The configuration of a setting for (dataset, strategy, attack, training), if present. */
export const findConfig = (configs: readonly ConfigResult[], dataset: string, strategy: Strategy, attack: string, training: Training) =>
  configs.find((c) => c.config.dataset === dataset && c.config.experiment === strategy && c.config.attack === attack && c.config.adv_train === (training === 'adversarial'));

export function accuracyTables(set: ResultsSet, iteration: number): AccuracyTable[] {
  const tables: AccuracyTable[] = [];
  for (const setting of settings(set)) {
    for (const strategy of STRATEGIES.filter((s) => setting.configs.some((c) => c.config.experiment === s))) {
      const datasets = [...new Set(setting.configs.filter((c) => c.config.experiment === strategy).map((c) => c.config.dataset))].sort();
      for (const dataset of datasets) {
        // Every round one of the table's configurations made; its % remaining the mean over them (the same
        // pruning schedule gives them the same sparsity in each round).
        const infos = setting.configs.filter((c) => c.config.experiment === strategy && c.config.dataset === dataset).flatMap(roundsOf);
        const rounds = [...new Set(infos.map((i) => i.round))].sort((a, b) => a - b);
        const rows = rounds.map((round) => {
          const percent = stat(infos.filter((i) => i.round === round).map((i) => i.percent)).mean;
          const cells = Object.fromEntries(COLUMNS.map((column) => {
            const [attack, kind] = column.split('_') as [string, 'nat' | 'adv'];
            const cell = (training: Training) => roundCell(findConfig(setting.configs, dataset, strategy, attack, training), round, iteration, kind);
            return [column, { natural: cell('natural'), adversarial: cell('adversarial') }];
          })) as Record<Column, TableCell>;
          return { round, percent, cells };
        });
        tables.push({ setting: setting.key, dataset, strategy, iteration, rows });
      }
    }
  }
  return tables;
}

/** 'mean±sd' with two decimals; the sd is left out when there is only one trial. */
export const formatStat = (s: Stat): string => (Number.isFinite(s.sd) ? `${s.mean.toFixed(2)}±${s.sd.toFixed(2)}` : s.mean.toFixed(2));
const formatCell = (cell: TableCell, dash: string): string =>
  `${cell.natural ? formatStat(cell.natural.stat) : dash} / ${cell.adversarial ? formatStat(cell.adversarial.stat) : dash}`;

const cellValues = (t: AccuracyTable): CellValue[] =>
  t.rows.flatMap((r) => COLUMNS.flatMap((c) => [r.cells[c].natural, r.cells[c].adversarial])).filter((v): v is CellValue => v !== undefined);

/** What the caption says about the iteration and trial counts. */
export function iterationNote(t: AccuracyTable): string {
  const values = cellValues(t);
  const used = [...new Set(values.flatMap((v) => v.iterations))].sort((a, b) => a - b);
  const trials = [...new Set(values.map((v) => v.stat.n))].sort((a, b) => a - b);
  const n = trials.length === 1 ? `${trials[0]}` : `${trials[0]}-${trials[trials.length - 1]}`;
  const at = used.length === 1 && used[0] === t.iteration
    ? `at training step ${t.iteration}`
    : `at the last evaluation at or below training step ${t.iteration}: step ${used.join(', ')}`;
  return `mean ± sample sd over ${n} trial(s), ${at}`;
}

export const tableTitle = (t: AccuracyTable): string =>
  `${DATASET_LABEL[t.dataset] ?? t.dataset}, ${STRATEGY_LABEL[t.strategy]} [${t.setting}]`;

const caption = (t: AccuracyTable): string =>
  `Test accuracy in %, ${iterationNote(t)}. Each cell: naturally trained / adversarially trained; 'nat' is clean test ` +
  `accuracy of the model trained (or not) against that attack, 'adv' its accuracy on that attack's adversarial test examples.`;

export function tableMarkdown(t: AccuracyTable): string {
  const lines = [
    `### ${tableTitle(t)}`, '', caption(t), '',
    `| round | % remaining | ${COLUMNS.map((c) => COLUMN_LABEL[c]).join(' | ')} |`,
    `|---|---|${COLUMNS.map(() => '---').join('|')}|`,
    ...t.rows.map((r) => `| ${r.round} | ${r.percent.toFixed(1)} | ${COLUMNS.map((c) => formatCell(r.cells[c], '—')).join(' | ')} |`),
  ];
  return `${lines.join('\n')}\n`;
}

const latexEscape = (s: string): string => s.replace(/\\/g, '\\textbackslash{}').replace(/([%&_#$])/g, '\\$1').replace(/±/g, '$\\pm$').replace(/—/g, '---');

export function tableLatex(t: AccuracyTable): string {
  const lines = [
    '\\begin{table}[ht]', '\\centering',
    `\\caption{${latexEscape(`${tableTitle(t)}. ${caption(t)}`)}}`,
    '\\begin{tabular}{rlllll}', '\\toprule',
    `round & \\% remaining & ${COLUMNS.map((c) => COLUMN_LABEL[c]).join(' & ')} \\\\`, '\\midrule',
    ...t.rows.map((r) => `${r.round} & ${r.percent.toFixed(1)} & ${COLUMNS.map((c) => latexEscape(formatCell(r.cells[c], '—'))).join(' & ')} \\\\`),
    '\\bottomrule', '\\end{tabular}', '\\end{table}',
  ];
  return `${lines.join('\n')}\n`;
}
