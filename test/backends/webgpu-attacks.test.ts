/**
 * The webgpu backend's kernels of the custom ops mlpForward, fgsmAttack and pgdAttack (backends/webgpu/kernels/
 * mlp-forward.ts, mlp-attacks.ts) against the compositions that define them (nn/model.ts, logits; attacks/fgsm.ts,
 * pgd.ts), run by the same backend without custom kernels (withoutCustomKernels): the same float32 operations in
 * the same order on the same device, so the logits and adversarial examples must be identical bit for bit
 * (compared as float32 bits), for dense-300-100's widths and small odd ones, odd batch sizes, PGD with and without
 * its random start, stacked networks (and a stack's attack equals each network's alone), values with zeros, -0,
 * NaN and tied logits. Each whole attack is one dispatch, and the kernels decline what they do not handle. Each
 * test checks that the kernel ran and did not decline, so a silent fallback to the composition cannot pass for it.
 * On Mesa's llvmpipe where there is no GPU (RSN_WEBGPU_SOFTWARE=1, set here); skipped with the reason where no
 * adapter exists, a failure then under RSN_REQUIRE_WEBGPU=1.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { withoutCustomKernels, type Backend } from '../../core/autodiff/backend.js';
import { fromHost, tidy } from '../../core/autodiff/engine.js';
import * as op from '../../core/autodiff/ops.js';
import type { Tensor } from '../../core/autodiff/tensor.js';
import { attackSpec, type AttackSpec } from '../../core/attacks/attack.js';
import { craft } from '../../core/attacks/index.js';
import { ShapeError } from '../../core/errors.js';
import { customOp } from '../../core/nn/custom-ops.js';
import { logits, mlp, type Classifier } from '../../core/nn/model.js';
import { Rng } from '../../core/nn/rng.js';
import type { UniformSource } from '../../core/nn/trial-rngs.js';
import type { WebgpuBackend } from '../../backends/webgpu/index.js';
import { SOFTWARE_ENV } from '../../backends/webgpu/device.js';
import { on, requireWebgpuUnderCi, tryLoad } from './support.js';
import { trainStackedSteps } from './stacked-training.js';
import { expectKernelRan, expectSameBits, readOutputs, readWithKernels, spyOnKernel } from './kernel-checks.js';

process.env[SOFTWARE_ENV] ??= '1';
const loaded = await tryLoad('webgpu');
const gpu = loaded.backend as WebgpuBackend | undefined;

requireWebgpuUnderCi(loaded, 'webgpu-attacks');

afterEach(() => {
  vi.restoreAllMocks();
});

/** The kernels these tests cover, and the ones a whole attack replaces (which must then not run). */
type Kernel = 'mlpForward' | 'fgsmAttack' | 'pgdAttack';
const REPLACED = ['mlpInputGradient', 'signStep', 'pgdStep'] as const;

interface Case {
  readonly widths: readonly number[];
  /** Stacked networks (a leading axis T on x and the weights), or 0 for plain matrices. */
  readonly networks: number;
  readonly rows: number;
  /** Whether NaN is among x's special values (else zeros, -0 and values outside [0, 1]). */
  readonly nan: boolean;
  /** Whether the last layer's first two columns are equal, so every row's first two logits tie. */
  readonly tie: boolean;
  readonly seed: number;
}

const CASES: readonly Case[] = [
  { widths: [784, 300, 100, 10], networks: 0, rows: 3, nan: false, tie: false, seed: 1 },
  { widths: [784, 300, 100, 10], networks: 1, rows: 1, nan: false, tie: false, seed: 2 },
  { widths: [784, 300, 100, 10], networks: 3, rows: 2, nan: false, tie: false, seed: 3 },
  { widths: [5, 3, 3], networks: 0, rows: 1, nan: false, tie: true, seed: 4 },
  { widths: [7, 1, 4], networks: 0, rows: 5, nan: false, tie: false, seed: 5 },
  { widths: [17, 33, 65, 9, 5], networks: 0, rows: 7, nan: true, tie: false, seed: 6 },
  { widths: [300, 257, 19, 3], networks: 0, rows: 3, nan: false, tie: true, seed: 7 },
  { widths: [9, 18, 5, 3], networks: 3, rows: 9, nan: true, tie: true, seed: 8 },
  { widths: [20, 4], networks: 2, rows: 5, nan: false, tie: false, seed: 9 },
];

/** Uniform values in [low, high] with about one in `every` replaced by one of `specials`. */
function valuesWithSpecials(rng: Rng, n: number, [low, high]: readonly [number, number], every: number, specials: readonly number[]): Float32Array {
  const values = rng.uniformArray(n, low, high);
  for (let i = 0; i < n; i++) if (rng.int(every) === 0) values[i] = specials[rng.int(specials.length)]!;
  return values;
}

interface Inputs {
  readonly weights: Float32Array[];
  readonly x: Float32Array;
  /** PGD's random start, drawn once, for all networks. */
  readonly noise: Float32Array;
}

function inputsOf({ widths, networks, rows, nan, tie, seed }: Case, eps: number): Inputs {
  const rng = new Rng(seed);
  const copies = Math.max(networks, 1);
  const weights = widths.slice(1).map((out, l) => {
    const w = valuesWithSpecials(rng, copies * widths[l]! * out, [-1, 1], 20, [-0, 0]);
    if (tie && l === widths.length - 2) for (let r = 0; r < w.length / out; r++) w[r * out + 1] = w[r * out]!;
    return w;
  });
  const x = valuesWithSpecials(rng, copies * rows * widths[0]!, [0, 1], 8, nan ? [Number.NaN, -0, 0, 1.5] : [-0, 0, 1, 1.5, -0.25]);
  return { weights, x, noise: rng.uniformArray(x.length, -eps, eps) };
}

/** A network's share of a stacked array of `networks` copies. */
const slice = (values: Float32Array, networks: number, t: number): Float32Array => {
  const size = values.length / networks;
  return values.slice(t * size, (t + 1) * size);
};

/** A random source that returns the given draw (a network's noise alone or the stack's). */
const fixedSource = (values: Float32Array): UniformSource => ({
  uniformArray: (n) => {
    expect(n, 'noise draw').toBe(values.length);
    return values.slice();
  },
});

type Run = (c: Case, inputs: Inputs) => () => Tensor[];

/** The classifier and x of a case's inputs, with `networks` stacked (0: plain matrices). */
function tensorsOf({ widths, networks, rows }: Case, { weights, x }: Inputs): { classifier: Classifier; x: Tensor } {
  const lead = networks === 0 ? [] : [networks];
  const params = weights.map((w, l) => fromHost(w, [...lead, widths[l]!, widths[l + 1]!]));
  return { classifier: { spec: mlp(`mlp-${widths.join('-')}`, widths), params }, x: fromHost(x, [...lead, rows, widths[0]!]) };
}

const logitsOf: Run = (c, inputs) => () => {
  const { classifier, x } = tensorsOf(c, inputs);
  return [logits(classifier, x)];
};

const attackOf = (spec: AttackSpec): Run => (c, inputs) => () => {
  const { classifier, x } = tensorsOf(c, inputs);
  return [craft(spec, classifier, x, fixedSource(inputs.noise))];
};

const ATTACKS: readonly [string, Kernel, AttackSpec][] = [
  ['FGSM', 'fgsmAttack', attackSpec('fgsm')],
  ['PGD-10 with its random start', 'pgdAttack', attackSpec('pgd')],
  ['PGD-3 from x, eps 0.1, step 0.03', 'pgdAttack', attackSpec('pgd', { randomStart: false, iterations: 3, eps: 0.1, step: 0.03 })],
];

/** The run's outputs through `kernel` (once; the kernels it replaces never), checked against the composition. */
async function expectComposition(kernel: Kernel, run: () => Tensor[], context: string): Promise<Float32Array> {
  const replaced = kernel === 'mlpForward' ? [] : REPLACED.map((name) => spyOnKernel(gpu!, name));
  const [fused] = await readWithKernels(gpu!, { [kernel]: 1 }, run);
  for (const spy of replaced) expect(spy, 'a kernel the whole attack replaces').not.toHaveBeenCalled();
  const [composed] = await readOutputs(withoutCustomKernels(gpu!), run);
  expectSameBits(fused!, composed!, context);
  return fused!;
}

describe.skipIf(!gpu)('webgpu mlpForward, fgsmAttack and pgdAttack equal their compositions', () => {
  it.each(CASES)('mlpForward: widths $widths, $networks stacked, $rows rows, NaN $nan, tie $tie', async (c) => {
    const logitsValues = await expectComposition('mlpForward', logitsOf(c, inputsOf(c, 0)), `logits ${c.widths.join('-')}`);
    if (c.tie) expect(logitsValues[0], 'tied logits').toBe(logitsValues[1]);
  }, 120_000);

  for (const [name, kernel, spec] of ATTACKS) {
    it.each(CASES)(`${name}: widths $widths, $networks stacked, $rows rows, NaN $nan, tie $tie`, async (c) => {
      const inputs = inputsOf(c, spec.eps);
      const adversarial = await expectComposition(kernel, attackOf(spec)(c, inputs), `${name} ${c.widths.join('-')}`);
      expect(adversarial.some((v, i) => v !== inputs.x[i] && Number.isFinite(v)), 'a moved element').toBe(true);
      if (c.nan) expect(adversarial.some(Number.isNaN), 'a NaN element').toBe(true);
    }, 300_000);
  }

  it.each(ATTACKS)('%s: a stack of 3 networks attacks as each network alone', async (_name, kernel, spec) => {
    const stacked: Case = { widths: [23, 12, 6], networks: 3, rows: 5, nan: false, tie: false, seed: 21 };
    const inputs = inputsOf(stacked, spec.eps);
    const [together] = await readWithKernels(gpu!, { [kernel]: 1 }, attackOf(spec)(stacked, inputs));
    for (let t = 0; t < stacked.networks; t++) {
      const alone = { weights: inputs.weights.map((w) => slice(w, 3, t)), x: slice(inputs.x, 3, t), noise: slice(inputs.noise, 3, t) };
      const [own] = await readWithKernels(gpu!, { [kernel]: 1 }, attackOf(spec)({ ...stacked, networks: 0 }, alone));
      expectSameBits(slice(together!, 3, t), own!, `network ${t}`);
    }
  }, 120_000);

  it('each whole attack is one dispatch, where the composition takes many', async () => {
    const c = CASES[0]!;
    const dispatches = async (backend: Backend, run: () => Tensor[]): Promise<number> => {
      const before = gpu!.stats().dispatches;
      await readOutputs(backend, run);
      return gpu!.stats().dispatches - before;
    };
    for (const [name, , spec] of ATTACKS) {
      const run = attackOf(spec)(c, inputsOf(c, spec.eps));
      expect(await dispatches(gpu!, run), name).toBe(1);
      expect(await dispatches(withoutCustomKernels(gpu!), run), name).toBeGreaterThan(5);
    }
    expect(await dispatches(gpu!, logitsOf(c, inputsOf(c, 0))), 'logits').toBe(1);
  }, 300_000);

  it('stacked training steps of 3 networks (natural, FGSM, PGD-3): losses and weights identical with and without the kernels', async () => {
    const train = (backend: Backend) => trainStackedSteps(backend, { seed: 91, pgdIterations: 3 });
    const spies = (['fgsmAttack', 'pgdAttack'] as const).map((name) => [name, spyOnKernel(gpu!, name)] as const);
    const fused = await train(gpu!);
    for (const [name, spy] of spies) expectKernelRan(spy, name, 1);
    vi.restoreAllMocks();
    const composed = await train(withoutCustomKernels(gpu!));
    fused.forEach((values, k) => expectSameBits(values, composed[k]!, `tensor ${k}`));
  }, 120_000);
});

describe.skipIf(!gpu)('webgpu mlpForward, fgsmAttack and pgdAttack decline what they do not handle', () => {
  /** The kernel's calls all declined (and there was one at least); the composition then ran. */
  const expectDeclined = (kernel: Kernel, run: () => Tensor[]): Promise<Float32Array[]> => {
    const spy = spyOnKernel(gpu!, kernel);
    return readOutputs(gpu!, run).then((outputs) => {
      expect(spy, kernel).toHaveBeenCalled();
      for (const result of spy.mock.results) expect(result.value, `${kernel} ran`).toBeUndefined();
      return outputs;
    });
  };
  const pgdSpec = attackSpec('pgd', { iterations: 2 });

  it('more layers than the device binds storage buffers for (8: the weights and up to three others)', async () => {
    // FGSM binds x, the weights and its output: 7 layers are 9 buffers; PGD with noise 6 layers, 9 buffers.
    const deep = (layers: number): Case => ({ widths: Array.from({ length: layers + 1 }, (_, l) => 3 + l), networks: 0, rows: 2, nan: false, tie: false, seed: 31 });
    await expectDeclined('fgsmAttack', attackOf(attackSpec('fgsm'))(deep(7), inputsOf(deep(7), 0.3)));
    await expectDeclined('pgdAttack', attackOf(pgdSpec)(deep(6), inputsOf(deep(6), 0.3)));
    await readWithKernels(gpu!, { fgsmAttack: 1 }, attackOf(attackSpec('fgsm'))(deep(6), inputsOf(deep(6), 0.3)));
    await readWithKernels(gpu!, { pgdAttack: 1 }, attackOf(pgdSpec)(deep(5), inputsOf(deep(5), 0.3)));
  }, 120_000);

  it('PGD whose current point would pass workgroup memory (16 KiB), where FGSM needs none', async () => {
    const wide: Case = { widths: [4090, 3], networks: 0, rows: 1, nan: false, tie: false, seed: 32 };
    const inputs = inputsOf(wide, 0.3);
    const [declined] = await expectDeclined('pgdAttack', attackOf(pgdSpec)(wide, inputs));
    const [composed] = await readOutputs(withoutCustomKernels(gpu!), attackOf(pgdSpec)(wide, inputs));
    expectSameBits(declined!, composed!, 'the composition');
    await readWithKernels(gpu!, { fgsmAttack: 1 }, attackOf(attackSpec('fgsm'))(wide, inputs));
  }, 120_000);

  it('an x shared by stacked networks (its composition broadcasts it)', async () => {
    const c: Case = { widths: [6, 4, 3], networks: 2, rows: 3, nan: false, tie: false, seed: 33 };
    const inputs = inputsOf(c, 0);
    await expectDeclined('mlpForward', () => {
      const { classifier } = tensorsOf(c, inputs);
      return [logits(classifier, fromHost(inputs.x.slice(0, 3 * 6), [3, 6]))];
    });
  });

  it('an empty clip range (the composition reports it), a negative eps, noise of another shape, a fractional iteration count', async () => {
    const c: Case = { widths: [6, 4, 3], networks: 0, rows: 3, nan: false, tie: false, seed: 34 };
    const inputs = inputsOf(c, 0.3);
    const unusable = { ...attackSpec('fgsm'), clipMin: 1, clipMax: 0 };
    const fgsmSpy = spyOnKernel(gpu!, 'fgsmAttack');
    expect(() => on(gpu!, () => tidy(attackOf(unusable)(c, inputs)))).toThrow(ShapeError);
    expect(fgsmSpy.mock.results.map((r) => r.value)).toEqual([undefined]);
    const pgd = (noise: readonly number[][], attrs: { eps?: number; iterations?: number }) => (): Tensor[] => {
      const { classifier, x } = tensorsOf(c, inputs);
      const full = { step: 0.05, eps: 0.3, min: 0, max: 1, iterations: 2, ...attrs };
      // A stand-in that does not reach the kernel again, as the attack's composition would.
      const composition = () => [op.mul(x, 1)];
      const noiseTensors = noise.map((shape) => fromHost(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape));
      return customOp('pgdAttack', { x, noise: noiseTensors, weights: classifier.params }, full, composition, [x.shape]);
    };
    await expectDeclined('pgdAttack', pgd([], { eps: -0.1 }));
    await expectDeclined('pgdAttack', pgd([], { iterations: 1.5 }));
    await expectDeclined('pgdAttack', pgd([[3, 5]], {}));
    await expectDeclined('pgdAttack', pgd([[3, 6], [3, 6]], {}));
  });
});
