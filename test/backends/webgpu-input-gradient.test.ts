/**
 * The webgpu backend's kernel for the custom op mlpInputGradient (backends/webgpu/kernels/mlp-input-gradient.ts)
 * against the composition that defines it (attacks/attack.ts, inputGradient: the gradient of the cross-entropy of a
 * bias-free ReLU MLP's logits by autodiff), run by the same backend without custom kernels (withoutCustomKernels):
 * the same float32 operations in the same order on the same device, so the gradients must be identical bit for bit
 * (compared as float32 bits: NaN payloads and -0 included), for dense-300-100's widths and small odd ones, one to
 * four layers, with zeros, -0, NaN and negative values, one-hot and label-smoothed targets. FGSM and PGD training
 * steps give the same weights and losses with and without the kernel, and the kernel is one dispatch. Each test
 * checks that the kernel ran and did not decline, so a silent fallback to the composition cannot pass for it.
 * On Mesa's llvmpipe where there is no GPU (RSN_WEBGPU_SOFTWARE=1, set here); skipped with the reason where no
 * adapter exists, a failure then under RSN_REQUIRE_WEBGPU=1.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { withoutCustomKernels, type Backend } from '../../core/autodiff/backend.js';
import { disposeAll, fromHost, keep } from '../../core/autodiff/engine.js';
import type { Tensor } from '../../core/autodiff/tensor.js';
import { attackSpec, inputGradient } from '../../core/attacks/attack.js';
import { craft } from '../../core/attacks/index.js';
import { ADAM_DEFAULTS, Adam } from '../../core/nn/adam.js';
import { smoothedTargets } from '../../core/nn/loss.js';
import { classifierOf, createNetwork, disposeNetwork, fullMasks, initialWeights, mlp, type Classifier } from '../../core/nn/model.js';
import { Rng } from '../../core/nn/rng.js';
import { trainStep } from '../../core/nn/train-step.js';
import type { WebgpuBackend } from '../../backends/webgpu/index.js';
import { SOFTWARE_ENV } from '../../backends/webgpu/device.js';
import { on, requireWebgpuUnderCi, tryLoad } from './support.js';
import { expectKernelRan, expectSameBits, readOutputs, spyOnKernel, withoutKernels, type KernelSpy } from './kernel-checks.js';

process.env[SOFTWARE_ENV] ??= '1';
const loaded = await tryLoad('webgpu');
const gpu = loaded.backend as WebgpuBackend | undefined;

requireWebgpuUnderCi(loaded, 'webgpu-input-gradient');


/** Uniform values in [-scale, scale] with about one in `every` replaced by one of `specials`. */
function valuesWithSpecials(rng: Rng, n: number, scale: number, every: number, specials: readonly number[]): Float32Array {
  const values = rng.uniformArray(n, -scale, scale);
  for (let i = 0; i < n; i++) if (rng.int(every) === 0) values[i] = specials[rng.int(specials.length)]!;
  return values;
}

interface Case {
  readonly widths: readonly number[];
  /** Stacked networks (a leading axis T on every input), or 0 for plain matrices. */
  readonly networks: number;
  readonly rows: number;
  readonly smoothing: number;
  /** Whether NaN is among the special values of x (else zeros, -0 and negatives only; the weights never have NaN). */
  readonly nan: boolean;
  readonly seed: number;
}

const CASES: readonly Case[] = [
  { widths: [784, 300, 100, 10], networks: 0, rows: 3, smoothing: 0, nan: false, seed: 1 },
  { widths: [784, 300, 100, 10], networks: 0, rows: 2, smoothing: 0.1, nan: false, seed: 2 },
  { widths: [784, 300, 100, 10], networks: 1, rows: 2, smoothing: 0, nan: false, seed: 10 },
  { widths: [5, 3, 2], networks: 0, rows: 1, smoothing: 0, nan: false, seed: 3 },
  { widths: [7, 1, 4], networks: 0, rows: 5, smoothing: 0.1, nan: false, seed: 4 },
  { widths: [3, 2], networks: 0, rows: 9, smoothing: 0, nan: false, seed: 5 },
  { widths: [17, 33, 65, 9, 5], networks: 0, rows: 70, smoothing: 0.1, nan: false, seed: 6 },
  { widths: [300, 257, 19, 3], networks: 0, rows: 4, smoothing: 0, nan: false, seed: 7 },
  { widths: [6, 5, 4, 3], networks: 0, rows: 11, smoothing: 0.1, nan: true, seed: 8 },
  { widths: [13, 40, 7], networks: 0, rows: 6, smoothing: 0, nan: true, seed: 9 },
  { widths: [9, 18, 5, 3], networks: 3, rows: 7, smoothing: 0.1, nan: true, seed: 11 },
  { widths: [20, 4], networks: 2, rows: 3, smoothing: 0, nan: false, seed: 12 },
];

/** The attack's input gradient of a case (attack.ts, inputGradient), through the MLP's kernels. */
const evaluate = ({ widths, networks, rows, smoothing, nan, seed }: Case) => (): Tensor[] => {
  const rng = new Rng(seed);
  const specials = [-0, 0, -0.5];
  const spec = mlp(`mlp-${widths.join('-')}`, widths);
  const [lead, copies] = networks === 0 ? [[], 1] : [[networks], networks];
  const weights = widths.slice(1).map((out, l) => fromHost(valuesWithSpecials(rng, copies * widths[l]! * out, 1, 20, specials), [...lead, widths[l]!, out]));
  const x = fromHost(valuesWithSpecials(rng, copies * rows * widths[0]!, 2, 8, nan ? [Number.NaN, ...specials] : specials), [...lead, rows, widths[0]!]);
  const labels = Array.from({ length: copies * rows }, () => rng.int(widths.at(-1)!));
  const targets = fromHost(smoothedTargets(labels, widths.at(-1)!, smoothing), [...lead, rows, widths.at(-1)!]);
  return [inputGradient({ spec, params: weights }, x, targets)];
};

const spyKernel = () => spyOnKernel(gpu!, 'mlpInputGradient');
const expectRan = (spy: KernelSpy, calls?: number): void => expectKernelRan(spy, 'mlpInputGradient', calls);

afterEach(() => {
  vi.restoreAllMocks();
});

describe.skipIf(!gpu)('webgpu mlpInputGradient equals its composition', () => {
  it.each(CASES)('widths $widths, $networks stacked, $rows rows, smoothing $smoothing, NaN $nan: identical gradients', async (c) => {
    const spy = spyKernel();
    const [fused] = await readOutputs(gpu!, evaluate(c));
    expectRan(spy, 1);
    spy.mockRestore();
    const [composed] = await readOutputs(withoutCustomKernels(gpu!), evaluate(c));
    expectSameBits(fused!, composed!, `widths ${c.widths.join('-')}`);
    expect([...fused!].some((v) => Number.isFinite(v) && v !== 0), 'a nonzero gradient').toBe(true);
    if (c.nan) expect([...fused!].some(Number.isNaN), 'a NaN row').toBe(true);
  }, 120_000);

  it('is one dispatch, where the composition takes several', async () => {
    const c = CASES[0]!;
    const dispatches = async (backend: Backend): Promise<number> => {
      const before = gpu!.stats().dispatches;
      await readOutputs(backend, evaluate(c));
      return gpu!.stats().dispatches - before;
    };
    expect(await dispatches(gpu!)).toBe(1);
    expect(await dispatches(withoutCustomKernels(gpu!))).toBeGreaterThan(1);
  }, 120_000);

  it('declines an x shared by stacked networks, and the composition then runs', async () => {
    const spy = spyKernel();
    const rng = new Rng(12);
    const stacked = () => {
      const weights = [fromHost(rng.uniformArray(2 * 4 * 3, -1, 1), [2, 4, 3]), fromHost(rng.uniformArray(2 * 3 * 2, -1, 1), [2, 3, 2])];
      const x = fromHost(rng.uniformArray(5 * 4, -1, 1), [5, 4]);
      const targets = fromHost(smoothedTargets([0, 1, 1, 0, 1, 0, 0, 1, 1, 1], 2, 0), [2, 5, 2]);
      return [inputGradient({ spec: mlp('mlp-4-3-2', [4, 3, 2]), params: weights }, x, targets)];
    };
    await readOutputs(gpu!, stacked);
    expect(spy).toHaveBeenCalled();
    for (const result of spy.mock.results) expect(result.value).toBeUndefined();
  });

  it('FGSM and PGD training steps: weights and losses identical with and without the kernel', async () => {
    const spec = mlp('mlp-20-12-7-4', [20, 12, 7, 4]);
    const batch = 6;
    const train = async (backend: Backend): Promise<Float32Array[]> => {
      const rng = new Rng(71);
      const net = on(backend, () => createNetwork(spec, initialWeights(spec, rng), fullMasks(spec)));
      const labels = Array.from({ length: batch }, () => rng.int(4));
      const [x, y] = on(backend, () => [keep(fromHost(rng.uniformArray(batch * 20, 0, 1), [batch, 20])), keep(fromHost(smoothedTargets(labels, 4, 0.1), [batch, 4]))]);
      const adam = new Adam({ ...ADAM_DEFAULTS, learningRate: 0.05 });
      const attacks = [attackSpec('fgsm'), attackSpec('pgd'), attackSpec('pgd', { randomStart: false })];
      const losses = attacks.map((attack) => on(backend, () => trainStep(net, adam, x!, y!, 0, (c: Classifier) => craft(attack, c, x!, rng))));
      const adversarial = on(backend, () => keep(craft(attackSpec('pgd'), classifierOf(net), x!, rng)));
      try {
        return await Promise.all([...losses, ...net.weights, adversarial].map(async (t) => (await t.data()) as Float32Array));
      } finally {
        disposeAll([losses, x!, y!, adversarial]);
        disposeNetwork(net);
        adam.reset();
      }
    };
    const spy = spyKernel();
    // Without the whole attacks' kernels (webgpu-attacks.test.ts), which would replace this one.
    const withKernel = await train(withoutKernels(gpu!, ['fgsmAttack', 'pgdAttack']));
    // One gradient per FGSM step, ten per PGD attack (two in training, one alone).
    expectRan(spy, 1 + 3 * attackSpec('pgd').iterations);
    spy.mockRestore();
    const composed = await train(withoutCustomKernels(gpu!));
    withKernel.forEach((values, k) => expectSameBits(values, composed[k]!, `tensor ${k}`));
  }, 300_000);
});
