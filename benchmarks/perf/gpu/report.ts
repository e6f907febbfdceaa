/** The GPU check's printed lines (run.ts prints them as each part finishes). */
import type { ConformanceResult } from '../../../backends/conformance/index.js';
import type { EvalCounts } from './eval-counts.js';
import type { EvalTiming } from './eval-pass.js';
import { FORMULA, type Projection } from './projection.js';
import type { StepCounts, StepTiming } from './stacked-steps.js';
import type { TargetCheck } from './targets.js';
import type { TorchResult } from './torch.js';
import { STEP_KINDS, STEP_LABELS } from './workloads.js';

const ATTACK_LABELS = { fgsm: 'FGSM', pgd: 'PGD-10' } as const;

export function conformanceLines(result: ConformanceResult, adapter: string): string[] {
  return [
    `conformance: ${result.passed} passed, ${result.failed.length} failed on ${adapter} ` +
      `(backends/conformance: every primitive and gradient, natural / FGSM / PGD-10 training steps, determinism and leaks, against the reference backend; ${result.seconds.toFixed(1)} s)`,
    ...result.failed.map((f) => `  FAILED ${f.group} > ${f.name}: ${f.reason}`),
  ];
}

const pad = (cells: string[], widths: number[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 12)).join(' ').trimEnd();
const WIDTHS = [9, 5, 12, 17, 21, 12];

/** The timing table: one row per step kind and T, with PyTorch's figures beside when it ran. */
export function stepTable(steps: readonly StepTiming[], torch: TorchResult): string[] {
  const lines = [pad(['step', 'T', 'stacked ms', 'us/network-step', 'PyTorch us/network', 'rsn/PyTorch'], WIDTHS)];
  for (const kind of STEP_KINDS) {
    for (const s of steps.filter((x) => x.kind === kind).sort((a, b) => a.trials - b.trials)) {
      const peer = torch.ran ? torch.steps.find((p) => p.kind === kind && p.trials === s.trials) : undefined;
      lines.push(pad([
        STEP_LABELS[kind], String(s.trials), s.stackedMs.toFixed(3), s.perNetworkUs.toFixed(1),
        peer ? peer.perNetworkUs.toFixed(1) : '-', peer ? `${(s.perNetworkUs / peer.perNetworkUs).toFixed(2)}x` : '-',
      ], WIDTHS));
    }
  }
  return lines;
}

export function torchLine(torch: TorchResult): string {
  return torch.ran
    ? `PyTorch: torch ${torch.version} on ${torch.device}, eager, the same stacked steps (benchmarks/perf/gpu/torch_stacked_steps.py)`
    : `PyTorch: skipped: ${torch.reason}`;
}

export function evalLine(evals: readonly EvalTiming[]): string {
  const e = evals[0]!;
  const parts = evals.map((x) => `${ATTACK_LABELS[x.attack]} ${x.usPerImage.toFixed(2)} us (${x.passMs.toFixed(1)} ms a pass)`);
  return `evaluation pass (forward + attack + forward, losses, predictions), T=${e.trials} networks x ${e.images} images: ${parts.join(', ')} per network-image`;
}

const hours = (seconds: number) => `${(seconds / 3600).toFixed(2)} h`;

export function projectionLines(p: Projection): string[] {
  const w = p.workload;
  return [
    `projection ${w.name}: ${hours(p.totalSeconds)} (training ${hours(p.trainingSeconds)}, evaluation ${hours(p.evaluationSeconds)}); ${w.networks} networks: ${w.summary}`,
    ...p.training.map((t) =>
      `  training ${STEP_LABELS[t.kind]}: ${t.networks} networks x ${t.steps.toLocaleString('en-US')} steps as ${t.groups} x T=${t.trials} ` +
      `(${t.stepMs.toFixed(3)} ms a stacked step): ${hours(t.seconds)}`),
    ...p.evaluation.map((e) =>
      `  evaluation ${ATTACK_LABELS[e.attack]}: ${e.networkImages.toExponential(3)} network-images x ${e.usPerImage.toFixed(2)} us: ${hours(e.seconds)}`),
  ];
}

export const formulaLines = (): string[] => ['projection formula:', ...FORMULA.map((f) => `  ${f}`)];

export function targetLines(checks: readonly TargetCheck[]): string[] {
  return checks.map((c) => {
    const verdict = c.met === undefined ? 'not measured' : c.met ? 'met' : 'not met';
    return `target: ${c.target}: ${c.value ? `${c.value}: ` : ''}${verdict}${c.note ? ` (${c.note})` : ''}`;
  });
}

/** The counts of one stacked step per kind and T (stacked-steps.ts countStackedSteps), a line each. */
/** The evaluation's counts: one line per attack and T. */
export function evalCountLines(counts: readonly EvalCounts[], images: number, batchSize: number): string[] {
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
  return [
    `what one evaluation asks of the device (a validation and a test set of ${images} images each kept there, batches of ${batchSize}; counted after a warm-up evaluation):`,
    '  attack    T  batches  dispatches  submits  pipeline switches  uploaded (per network)  read',
    ...counts.map((c) => `  ${c.attack === 'fgsm' ? 'FGSM   ' : 'PGD-10 '} ${String(c.trials).padStart(3)}  ${String(c.batches).padStart(7)}  ${String(c.dispatches).padStart(10)}  ` +
      `${String(c.submits).padStart(7)}  ${String(c.pipelineSwitches).padStart(17)}  ${`${kib(c.bytesUploaded)} (${kib(c.bytesUploaded / c.trials)})`.padStart(22)}  ${c.bytesRead} B`),
  ];
}

export function countLines(counts: readonly StepCounts[]): string[] {
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
  return [
    'what one stacked step asks of the device (counted, not timed; the step after a warm-up one, its loss read back):',
    '  step      T   dispatches  submits  pipeline switches  uploaded (per network)  parameters  read',
    ...counts.map((c) => `  ${STEP_LABELS[c.kind].padEnd(7)} ${String(c.trials).padStart(3)}  ${String(c.dispatches).padStart(10)}  ${String(c.submits).padStart(7)}  ` +
      `${String(c.pipelineSwitches).padStart(17)}  ${`${kib(c.bytesUploaded)} (${kib(c.bytesUploaded / c.trials)})`.padStart(22)}  ${kib(c.paramBytes).padStart(10)}  ${c.bytesRead} B`),
  ];
}
