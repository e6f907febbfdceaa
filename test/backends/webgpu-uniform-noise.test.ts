/**
 * The webgpu kernel uniformNoise (backends/webgpu/kernels/uniform-noise.ts) against the host draw it replaces
 * (Rng.uniformArray, TrialRngs): the same float32 bits for millions of draws, special ones among them (0, 1,
 * 2^31 +- small, 2^32 - 1, those whose product cancels low exactly or nearly: +0 and tiny magnitudes), over
 * symmetric, asymmetric and reversed ranges; the same noise from the generator for one network and three stacked,
 * at counts that need deep jumps; the generators left in the state drawing leaves them in; and PGD's result and
 * uploads with the kernel and with the host drawing. Each test checks that the kernel ran and did not decline.
 * On Mesa's llvmpipe where there is no GPU (RSN_WEBGPU_SOFTWARE=1, set here); skipped with the reason where no
 * adapter exists, a failure then under RSN_REQUIRE_WEBGPU=1.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Backend } from '../../core/autodiff/backend.js';
import { disposeAll, fromHost, keep } from '../../core/autodiff/engine.js';
import type { Shape } from '../../core/autodiff/primitives.js';
import type { Tensor } from '../../core/autodiff/tensor.js';
import { attackSpec } from '../../core/attacks/attack.js';
import { pgd } from '../../core/attacks/pgd.js';
import { customOp } from '../../core/nn/custom-ops.js';
import { classifierOf, createNetwork, createStackedNetwork, disposeNetwork, fullMasks, initialWeights, mlp } from '../../core/nn/model.js';
import { Rng } from '../../core/nn/rng.js';
import { uniformSource } from '../../core/nn/trial-rngs.js';
import { STATE_HALVES, uniformNoise } from '../../core/nn/uniform-noise.js';
import type { WebgpuBackend } from '../../backends/webgpu/index.js';
import { SOFTWARE_ENV } from '../../backends/webgpu/device.js';
import { mappingParams } from '../../backends/webgpu/kernels/uniform-noise.js';
import { RANGES, specialDraws } from '../nn/uniform-float-cases.js';
import { expectKernelRan, expectSameBits, readOutputs, readWithKernels, spyOnKernel } from './kernel-checks.js';
import { on, requireWebgpuUnderCi, tryLoad } from './support.js';

process.env[SOFTWARE_ENV] ??= '1';
const loaded = await tryLoad('webgpu');
const gpu = loaded.backend as WebgpuBackend | undefined;

requireWebgpuUnderCi(loaded, 'webgpu-uniform-noise');

/** The same backend with every kernel but uniformNoise: the host draws the noise. */
const drawingOnHost = (backend: Backend): Backend => ({ ...backend, custom: { ...backend.custom, uniformNoise: undefined } });

const INVERSE_OF_9 = 0x38e38e39;
const INVERSE_OF_5 = 0xcccccccd;

/** A generator state (its 16-bit halves) whose first xoshiro128** output is u: its word 1 inverts rotl(s1 * 5, 7) * 9. */
function stateDrawingFirst(u: number, rng: Rng): number[] {
  const rotated = Math.imul(u, INVERSE_OF_9) >>> 0;
  const s1 = Math.imul((rotated >>> 7) | (rotated << 25), INVERSE_OF_5) >>> 0;
  const words = [rng.nextUint32(), s1, rng.nextUint32(), rng.nextUint32()];
  return words.flatMap((w) => [w & 0xffff, w >>> 16]);
}

/** What Rng.uniformArray stores for draw u. */
const hostValue = (low: number, high: number, u: number): number => low + (high - low) * (u / 4294967296);

afterEach(() => {
  vi.restoreAllMocks();
});

describe.skipIf(!gpu)('webgpu uniformNoise draws the host\'s numbers', () => {
  it('maps millions of draws to the host\'s float32 bits, special draws and ranges included', async () => {
    const rng = new Rng(2024);
    const random = 1 << 18;
    let zeros = 0;
    for (const [low, high] of RANGES) {
      expect(mappingParams(low, high), `[${low}, ${high}) within the emulation's range`).toBeDefined();
      const draws = [...specialDraws(low, high), ...Array.from({ length: random }, () => rng.nextUint32())];
      const states = Float32Array.from(draws.flatMap((u) => stateDrawingFirst(u, rng)));
      const expected = Float32Array.from(draws, (u) => hostValue(low, high, u));
      const [actual] = await readWithKernels(gpu!, { uniformNoise: 1 }, () =>
        customOp('uniformNoise', { states: fromHost(states, [draws.length, STATE_HALVES]) }, { count: 1, low, high }, () => expect.fail('declined'), [[draws.length]]));
      expectSameBits(actual!, expected, `[${low}, ${high})`);
      zeros += expected.filter((v) => v === 0).length;
    }
    expect(zeros, 'exact zeros among the cases').toBeGreaterThan(0);
  }, 600_000);

  it('draws network t\'s share from its own generator, jumping to each thread\'s slice, and leaves the generators where drawing does', async () => {
    const cases: [networks: number, count: number, low: number, high: number][] = [
      [1, 47040, -0.3, 0.3], [3, 47040, -0.1, 0.1], [3, 1000, -8 / 255, 8 / 255], [2, 1, 0, 1], [1, 63, -1, 3], [1, 65, 0.25, 0.75],
      [1, (1 << 21) + 7, -0.3, 0.3],
    ];
    for (const [networks, count, low, high] of cases) {
      const generators = (): Rng[] => Array.from({ length: networks }, (_, t) => new Rng(500 + t).derive(count));
      const onDevice = generators();
      const onHost = generators();
      const shape: Shape = networks === 1 ? [count] : [networks, count];
      const [actual] = await readWithKernels(gpu!, { uniformNoise: 1 }, () => [uniformNoise(uniformSource(onDevice), shape, low, high)]);
      const expected = uniformSource(onHost).uniformArray(networks * count, low, high);
      const context = `T = ${networks}, ${count} each, [${low}, ${high})`;
      expectSameBits(actual!, expected, context);
      onDevice.forEach((g, t) => expect(g.state(), `${context}: generator ${t}`).toEqual(onHost[t]!.state()));
    }
  }, 600_000);

  it('declines where the emulation could not be exact, and the host draws', async () => {
    for (const [low, high] of [[0.3, 0.3], [-1e-39, 1e-39], [2 ** -130, 1], [-1e38, 1e38], [0, Number.POSITIVE_INFINITY]] as const) {
      expect(mappingParams(low, high), `[${low}, ${high})`).toBeUndefined();
      const spy = spyOnKernel(gpu!, 'uniformNoise');
      const [onDevice, onHost] = [new Rng(8), new Rng(8)];
      const [actual] = await readOutputs(gpu!, () => [uniformNoise(onDevice, [100], low, high)]);
      expect(spy).toHaveBeenCalledOnce();
      expect(spy.mock.results[0]!.value).toBeUndefined();
      expectSameBits(actual!, onHost.uniformArray(100, low, high), `[${low}, ${high})`);
      expect(onDevice.state()).toEqual(onHost.state());
      spy.mockRestore();
    }
  });

  it('PGD: the same adversarial examples and generator states as with the host drawing, for one network and three stacked, and uploads of at most 1 KiB per network', async () => {
    const spec = mlp('mlp-784-30-10', [784, 30, 10]);
    const batch = 60;
    const attack = attackSpec('pgd', { iterations: 2 });
    const run = async (backend: Backend, networks: number) => {
      const rng = new Rng(90 + networks);
      const weights = Array.from({ length: networks }, () => initialWeights(spec, rng));
      const masks = Array.from({ length: networks }, () => fullMasks(spec));
      const net = on(backend, () => (networks === 1 ? createNetwork(spec, weights[0]!, masks[0]!) : createStackedNetwork(spec, weights, masks)));
      const lead = networks === 1 ? [] : [networks];
      const x = on(backend, () => keep(fromHost(rng.uniformArray(networks * batch * 784, 0, 1), [...lead, batch, 784])));
      const attackRngs = Array.from({ length: networks }, (_, t) => new Rng(1000 + t));
      const source = uniformSource(attackRngs);
      const adversarial = (): Tensor => on(backend, () => keep(pgd(classifierOf(net), x, attack, source)));
      // The first attack uploads the jump tables once; the second is a step as training runs it.
      const outputs = [adversarial()];
      const before = gpu!.stats().bytesUploaded;
      outputs.push(adversarial());
      const uploaded = gpu!.stats().bytesUploaded - before;
      try {
        const values = await Promise.all(outputs.map(async (t) => (await t.data()) as Float32Array));
        return { values, states: attackRngs.map((g) => g.state()), uploaded };
      } finally {
        disposeAll([...outputs, x]);
        disposeNetwork(net);
      }
    };
    for (const networks of [1, 3]) {
      const spy = spyOnKernel(gpu!, 'uniformNoise');
      const device = await run(gpu!, networks);
      expectKernelRan(spy, 'uniformNoise', 2);
      spy.mockRestore();
      const host = await run(drawingOnHost(gpu!), networks);
      device.values.forEach((values, k) => expectSameBits(values, host.values[k]!, `T = ${networks}, attack ${k}`));
      expect(device.states).toEqual(host.states);
      console.log(`uploads per PGD step, T = ${networks}: ${device.uploaded} bytes with the kernel, ${host.uploaded} with the host drawing`);
      expect(device.uploaded).toBeLessThanOrEqual(1024 * networks);
      expect(host.uploaded).toBe(networks * batch * 784 * 4);
    }
  }, 600_000);
});
