/**
 * npm run bench:gpu [-- --quick] [--trials 1,40,160] [--json FILE]: the GPU check of the webgpu backend.
 *
 * Prints, as each part finishes: the WebGPU adapter; the conformance cases (backends/conformance) on it against
 * the reference backend; the time per network-step of the natural, FGSM and PGD-10 training steps of T stacked
 * dense-300-100 networks (batch 60); PyTorch's figures for the same steps when python3 has torch with CUDA; the
 * projected wall time of the paper preset and of the Tables 1-2 configurations (formula in projection.ts); and
 * the issue's targets, met or not. Progress goes to stderr.
 *
 * Exit status: 0 when it ran and every conformance case passed (targets not met are reported, not failures);
 * 1 when a conformance case failed or no adapter was found (the backend's BackendError); 2 for bad options.
 */
import { writeFileSync } from 'node:fs';
import { loadBackend } from '../../../backends/registry.js';
import type { WebgpuBackend } from '../../../backends/webgpu/index.js';
import { runConformance } from '../../../backends/conformance/index.js';
import { setActiveBackend } from '../../../core/autodiff/engine.js';
import { ConfigError, RsnError } from '../../../core/errors.js';
import { trainingBytesPerNetwork } from '../../../core/experiment/jobs/batch-size.js';
import { DENSE_300_100 } from '../../../core/nn/model.js';
import { timeEvalPass } from './eval-pass.js';
import { parseOptions, type GpuCheckOptions } from './options.js';
import { project, type Measured } from './projection.js';
import { conformanceLines, countLines, evalCountLines, evalLine, formulaLines, projectionLines, stepTable, targetLines, torchLine } from './report.js';
import { countEvaluations, type EvalCounts } from './eval-counts.js';
import { BATCH, countStackedSteps, hostRandomStartMs, timeStackedSteps, type StepCounts, type StepTiming } from './stacked-steps.js';
import { checkTargets } from './targets.js';
import { runTorch } from './torch.js';
import { paperPresetWorkload, STEP_KINDS, tablesWorkload, type StepKind } from './workloads.js';

const print = (...lines: string[]) => process.stdout.write(lines.map((l) => `${l}\n`).join(''));
const progress = (text: string) => process.stderr.write(`bench:gpu: ${text}\n`);

/** Stack sizes at which each step's dispatches, submits and transfers are counted (they should not depend on T). */
const COUNT_TRIALS = [1, 10, 160];
/** Stacks and images per set an evaluation is counted at (--quick: llvmpipe's pace), each set in two batches. */
const evalCountTrials = (quick: boolean): number[] => (quick ? [1, 2] : [1, 10]);
const evalCountImages = (quick: boolean, images: number): number => (quick ? 20 : images);
const evalCountBatch = (images: number): number => Math.ceil(images / 2);

async function check(options: GpuCheckOptions): Promise<number> {
  const started = performance.now();
  const backend = (await loadBackend('webgpu')) as WebgpuBackend;
  try {
    print(`rsn GPU check: the webgpu backend, dense-300-100 at batch ${BATCH}${options.quick ? ' (--quick)' : ''}`);
    print(`adapter: ${backend.adapter}`);

    progress('conformance cases against the reference backend');
    const conformance = await runConformance(backend);
    print(...conformanceLines(conformance, backend.adapter));
    print('  (the seeded fast-check property over random broadcast shapes runs under vitest only: fast-check is a devDependency)');
    setActiveBackend(backend);

    const steps: StepTiming[] = [];
    for (const trials of options.timedTrials) {
      progress(`stacked steps at T=${trials}`);
      steps.push(...(await timeStackedSteps(trials, options.stepPlan)));
    }
    progress('counting each step\'s dispatches, submits and transfers');
    const counts: StepCounts[] = [];
    const uncounted: string[] = [];
    for (const trials of COUNT_TRIALS) {
      const bytes = trials * trainingBytesPerNetwork(DENSE_300_100, BATCH);
      if (backend.stacking && bytes > backend.stacking.maxBufferBytes) {
        uncounted.push(`  T=${trials} not counted: its largest buffer (${bytes} bytes) exceeds the device's ${backend.stacking.maxBufferBytes}`);
      } else {
        counts.push(...(await countStackedSteps(trials, () => backend.stats())));
      }
    }
    progress('counting an evaluation\'s dispatches, submits and transfers');
    const evalCounts: EvalCounts[] = [];
    const countImages = evalCountImages(options.quick, options.evalImages);
    for (const trials of evalCountTrials(options.quick)) evalCounts.push(...(await countEvaluations(trials, countImages, evalCountBatch(countImages), () => backend.stats())));
    progress(`evaluation pass at T=${options.evalTrials} x ${options.evalImages} images`);
    const evals = await timeEvalPass(options.evalTrials, options.evalImages, options.evalPlan);
    progress('PyTorch');
    const torch = runTorch(options.python, options.torchDevice, options.trials, options.quick);

    const plan = options.stepPlan;
    const added = options.timedTrials.filter((t) => !options.trials.includes(t));
    print('',
      'training steps of T stacked networks (core/nn/train-step.ts trainStep; eps 0.3, PGD-10 step 0.05): wall time of one stacked step / T;',
      `  ${plan.warmup} warm-up step${plan.warmup === 1 ? '' : 's'} and one probe step, then ${plan.rounds} round${plan.rounds === 1 ? '' : 's'} of ` +
        `${plan.minUnits === plan.maxUnits ? plan.minUnits : `${plan.minUnits}-${plan.maxUnits}`} steps each read at the end (the device's queue drained); median of the rounds`,
      `  T = ${options.trials.join(', ')} (--trials)${added.length ? `; ${added.join(', ')} added for the projection (--fit-trials)` : ''}`,
      ...stepTable(steps, torch),
      torchLine(torch));
    const largest = Math.max(...options.timedTrials);
    print(`PGD's random start is drawn on the device where the kernel takes it (core/nn/uniform-noise.ts); drawn on the host, as the CPU backends draw it, it would add ${hostRandomStartMs(largest).toFixed(2)} ms per stacked step at T=${largest}`);
    print(evalLine(evals));
    print('', ...countLines(counts), ...uncounted);
    print('', ...evalCountLines(evalCounts, countImages, evalCountBatch(countImages)));

    const stepMs = Object.fromEntries(STEP_KINDS.map((k) => [k, new Map(steps.filter((s) => s.kind === k).map((s) => [s.trials, s.stackedMs]))])) as Record<StepKind, Map<number, number>>;
    const measured: Measured = { stepMs, evalUsPerImage: { fgsm: evals.find((e) => e.attack === 'fgsm')!.usPerImage, pgd: evals.find((e) => e.attack === 'pgd')!.usPerImage } };
    const paper = project(paperPresetWorkload(), measured);
    const tables = project(tablesWorkload(), measured);
    print('', ...formulaLines(), ...projectionLines(paper), ...projectionLines(tables));

    const targets = checkTargets(steps, torch, tables);
    print('', ...targetLines(targets));
    const seconds = (performance.now() - started) / 1000;
    print('', `finished in ${seconds.toFixed(1)} s`);

    if (options.json) {
      writeFileSync(options.json, `${JSON.stringify({
        date: new Date().toISOString(), node: process.version, adapter: backend.adapter, software: backend.software, quick: options.quick,
        conformance, steps, evaluation: evals, counts, evaluationCounts: evalCounts, torch, projections: [paper, tables], targets, seconds,
      }, null, 2)}\n`);
    }
    return conformance.failed.length === 0 ? 0 : 1;
  } finally {
    backend.close?.();
  }
}

async function main(): Promise<number> {
  try {
    return await check(parseOptions(process.argv.slice(2)));
  } catch (error) {
    if (!(error instanceof RsnError)) throw error;
    process.stderr.write(`bench:gpu: ${error.name}: ${error.message}\n`);
    return error instanceof ConfigError ? 2 : 1;
  }
}

process.exitCode = await main();
