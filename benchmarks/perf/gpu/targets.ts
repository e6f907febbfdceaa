/**
 * The targets for the GPU (issue 13): per network-step at T = 160 within 1.2x of PyTorch, natural at most
 * 15 us, FGSM at most 30 us, PGD-10 at most 100 us; the Tables 1-2 configurations projected under one hour.
 */
import type { Projection } from './projection.js';
import type { StepTiming } from './stacked-steps.js';
import type { TorchResult } from './torch.js';
import { STEP_KINDS, STEP_LABELS, type StepKind } from './workloads.js';

export const TARGET_TRIALS = 160;
export const TARGET_US: Readonly<Record<StepKind, number>> = { natural: 15, fgsm: 30, pgd: 100 };
export const TARGET_TORCH_RATIO = 1.2;
export const TARGET_TABLES_SECONDS = 3600;

export interface TargetCheck {
  readonly target: string;
  /** The measured or projected value, in words; undefined when it could not be measured. */
  readonly value?: string;
  readonly met?: boolean;
  /** Why it was not measured, or a caveat (measured at another T than the target's). */
  readonly note?: string;
}

const fmt = (us: number) => `${us.toFixed(1)} us`;

export function checkTargets(steps: readonly StepTiming[], torch: TorchResult, tables: Projection): TargetCheck[] {
  const largest = Math.max(...steps.map((s) => s.trials));
  const at = steps.some((s) => s.trials === TARGET_TRIALS) ? TARGET_TRIALS : largest;
  const note = at === TARGET_TRIALS ? undefined : `measured at T=${at}; the target is at T=${TARGET_TRIALS}`;
  const ours = (kind: StepKind) => steps.find((s) => s.kind === kind && s.trials === at)!;
  const checks: TargetCheck[] = STEP_KINDS.map((kind) => {
    const us = ours(kind).perNetworkUs;
    return { target: `${STEP_LABELS[kind]} per network-step at T=${TARGET_TRIALS} <= ${TARGET_US[kind]} us`, value: fmt(us), met: us <= TARGET_US[kind], note };
  });
  for (const kind of STEP_KINDS) {
    const target = `${STEP_LABELS[kind]} per network-step at T=${TARGET_TRIALS} within ${TARGET_TORCH_RATIO}x of PyTorch`;
    const peer = torch.ran ? torch.steps.find((s) => s.kind === kind && s.trials === at) : undefined;
    if (!peer) {
      checks.push({ target, note: torch.ran ? `PyTorch not measured at T=${at}` : `PyTorch skipped: ${torch.reason}` });
      continue;
    }
    const ratio = ours(kind).perNetworkUs / peer.perNetworkUs;
    checks.push({ target, value: `${ratio.toFixed(2)}x (${fmt(ours(kind).perNetworkUs)} vs ${fmt(peer.perNetworkUs)})`, met: ratio <= TARGET_TORCH_RATIO, note });
  }
  const hours = tables.totalSeconds / 3600;
  checks.push({ target: 'Tables 1-2 projected under one hour', value: `${hours.toFixed(2)} h`, met: tables.totalSeconds < TARGET_TABLES_SECONDS });
  return checks;
}
