/**
 * PyTorch's figures for the same stacked steps (torch_stacked_steps.py), when `python3` has torch with CUDA.
 * Otherwise a reason, printed as a skip line.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { StepKind } from './workloads.js';

export interface TorchStep {
  readonly kind: StepKind;
  readonly trials: number;
  readonly stackedMs: number;
  readonly perNetworkUs: number;
}

export type TorchResult =
  | { readonly ran: true; readonly version: string; readonly device: string; readonly steps: readonly TorchStep[] }
  | { readonly ran: false; readonly reason: string };

const SCRIPT = fileURLToPath(new URL('./torch_stacked_steps.py', import.meta.url));
const lastLine = (text: string | null | undefined): string => (text ?? '').trim().split('\n').pop() ?? '';

/** Whether `python` has torch (and, for device 'cuda', a CUDA device): undefined when it does, else why not. */
export function torchMissing(python: string, device: string): string | undefined {
  const probe = spawnSync(python, ['-c', 'import torch; print(torch.__version__, torch.cuda.is_available())'], { encoding: 'utf8', timeout: 120_000 });
  if (probe.error) return `${python} did not run (${probe.error.message})`;
  if (probe.status !== 0) return `${python} has no usable torch (${lastLine(probe.stderr) || `exit ${probe.status}`})`;
  const [version, cuda] = lastLine(probe.stdout).split(' ');
  return device !== 'cuda' || cuda === 'True' ? undefined : `torch ${version} in ${python} sees no CUDA device`;
}

/**
 * Run the PyTorch peer at the given stack sizes on `device` (cuda; cpu only to try the check itself on a machine
 * without CUDA); `quick` times one round of two steps.
 */
export function runTorch(python: string, device: string, trials: readonly number[], quick: boolean): TorchResult {
  const missing = torchMissing(python, device);
  if (missing) return { ran: false, reason: missing };
  const args = [SCRIPT, '--trials', trials.join(','), '--device', device, ...(quick ? ['--quick'] : [])];
  const run = spawnSync(python, args, { encoding: 'utf8', maxBuffer: 16 << 20, timeout: 240_000 });
  const line = lastLine(run.stdout);
  if (run.status !== 0 || !line.startsWith('{')) {
    const why = run.error?.message ?? (lastLine(run.stderr) || `exit ${run.status}`);
    return { ran: false, reason: `torch_stacked_steps.py failed (${why})` };
  }
  const parsed = JSON.parse(line) as { version: string; device: string; steps: TorchStep[] };
  return { ran: true, ...parsed };
}
