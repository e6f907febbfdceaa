/**
 * Data sets kept on the device (core/experiment/batch-source.ts, core/nn/gather-rows.ts and the webgpu kernel
 * backends/webgpu/kernels/gather-rows.ts). The oracles: the host's gather (core/data, what round.ts uploaded
 * before), bit for bit; the composition (the same backend without its custom kernels); and trainRounds with host
 * batches (RoundOptions.residency.host), whose rows, weights and evaluations the resident path must reproduce
 * exactly. Each test checks that the gather kernel ran and did not decline. On Mesa's llvmpipe where there is no
 * GPU (RSN_WEBGPU_SOFTWARE=1, set here); skipped with the reason where no adapter exists, a failure then under
 * RSN_REQUIRE_WEBGPU=1.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { withoutCustomKernels } from '../../core/autodiff/backend.js';
import { fromHost } from '../../core/autodiff/engine.js';
import { attackSpec } from '../../core/attacks/index.js';
import { BatchSampler, gather } from '../../core/data/index.js';
import { GATHER_MAX_PARTS, TrainingBatches, isResident, residentTable } from '../../core/experiment/batch-source.js';
import { DEFAULT_CONFIG, type ExperimentConfig } from '../../core/experiment/config.js';
import { trainRounds, type PreparedData, type RoundOptions } from '../../core/experiment/round.js';
import { gatherRows } from '../../core/nn/gather-rows.js';
import { fullMasks, initialWeights, modelSpec } from '../../core/nn/model.js';
import { Rng } from '../../core/nn/rng.js';
import { stackSlices } from '../../core/nn/stack.js';
import type { WebgpuBackend } from '../../backends/webgpu/index.js';
import { SOFTWARE_ENV } from '../../backends/webgpu/device.js';
import { on, requireWebgpuUnderCi, tryLoad } from './support.js';
import { expectKernelRan, expectSameBits, readOutputs, spyOnKernel, type KernelSpy } from './kernel-checks.js';
import { syntheticSet } from '../support/synthetic.js';

process.env[SOFTWARE_ENV] ??= '1';
const loaded = await tryLoad('webgpu');
const gpu = loaded.backend as WebgpuBackend | undefined;

requireWebgpuUnderCi(loaded, 'webgpu-resident-batches');

const WIDTH = 784;
const CLASSES = 10;
const train = syntheticSet(50, 1, 0.1);

/** What round.ts uploaded before: each network's rows gathered on the host, stacked when several. */
function hostBatch(picks: readonly Int32Array[]): { images: Float32Array; targets: Float32Array } {
  const images = stackSlices(picks.map((pick) => gather(train, pick).images));
  const targets = stackSlices(picks.map((pick) => Float32Array.from({ length: pick.length * CLASSES }, (_, i) => train.targets[pick[Math.floor(i / CLASSES)]! * CLASSES + (i % CLASSES)]!)));
  return { images, targets };
}

/** The first `steps` batches of `networks` samplers over the training set (batch 20 of 50: the third is partial). */
function picksOf(networks: number, steps: number): Int32Array[][] {
  const samplers = Array.from({ length: networks }, (_, t) => new BatchSampler(train.count, 20, new Rng(10 + t)));
  return Array.from({ length: steps }, () => samplers.map((s) => s.next()));
}

describe.skipIf(!gpu)('gatherRows on webgpu', () => {
  let spy: KernelSpy | undefined;
  afterEach(() => {
    spy?.mockRestore();
    spy = undefined;
  });

  it('copies the rows bit for bit from one table or several parts, equal to the composition; other indices give rows of +0', async () => {
    const backend = gpu!;
    const rows = 7;
    const width = 5;
    const table = Float32Array.from({ length: rows * width }, (_, i) => (i % 3 === 0 ? i / 7 : 1e-40 * i));
    const indices = Float32Array.of(6, 0, 3, 3, 2.5, -1, 7, Number.NaN);
    for (const cuts of [[7], [3, 4], [2, 2, 3]]) {
      const compute = () => {
        let first = 0;
        const parts = cuts.map((count) => {
          const part = fromHost(table.subarray(first * width, (first + count) * width), [count, width]);
          first += count;
          return part;
        });
        return [gatherRows(parts, fromHost(indices, [2, 4]))];
      };
      spy = spyOnKernel(backend, 'gatherRows');
      const [kernel] = await readOutputs(backend, compute);
      expectKernelRan(spy, 'gatherRows', 1);
      spy.mockRestore();
      const [composition] = await readOutputs(withoutCustomKernels(backend), compute);
      const expected = new Float32Array(indices.length * width);
      indices.forEach((index, i) => {
        if (Number.isInteger(index) && index >= 0 && index < rows) expected.set(table.subarray(index * width, (index + 1) * width), i * width);
      });
      // Subnormal table values: the copy keeps them; the composition's product keeps them on llvmpipe, and where
      // a device flushes them the copy is still the host's rows.
      expectSameBits(kernel!, expected, `cut ${cuts}`);
      if (new Uint32Array(composition!.buffer).every((b, i) => b === new Uint32Array(expected.buffer)[i])) expectSameBits(composition!, kernel!, `composition, cut ${cuts}`);
      else expect(backend.software, 'only a device that flushes subnormals may differ').toBe(false);
    }
  });

  for (const networks of [1, 3]) {
    it(`TrainingBatches: the device's batches equal the host's bit for bit, T = ${networks}, a partial last batch; each step uploads the indices only`, async () => {
      const backend = gpu!;
      const sets = Array.from({ length: networks }, () => train);
      const source = on(backend, () => new TrainingBatches(sets, WIDTH, CLASSES));
      try {
        expect(source.reason).toBeUndefined();
        spy = spyOnKernel(backend, 'gatherRows');
        for (const picks of picksOf(networks, 3)) {
          const before = backend.stats().bytesUploaded;
          const [x, y] = await readOutputs(backend, () => {
            const batch = source.batch(picks);
            expect(batch.labels).toEqual(picks.map((pick) => gather(train, pick).labels));
            return [batch.x, batch.y];
          });
          const uploaded = backend.stats().bytesUploaded - before;
          expect(uploaded).toBe(4 * networks * picks[0]!.length);
          expect(uploaded / networks).toBeLessThanOrEqual(1024);
          const host = hostBatch(picks);
          expectSameBits(x!, host.images, `images of ${picks[0]!.length} rows`);
          expectSameBits(y!, host.targets, `targets of ${picks[0]!.length} rows`);
        }
        expectKernelRan(spy, 'gatherRows', 6);
      } finally {
        source.release();
      }
    });
  }

  it('cuts a table larger than one buffer into parts, and says why it gathers on the host when it needs more than one gather binds', async () => {
    const backend = gpu!;
    const rowBytes = WIDTH * 4;
    const split = on(backend, () => new TrainingBatches([train], WIDTH, CLASSES, { maxBufferBytes: 20 * rowBytes }));
    try {
      expect(split.reason).toBeUndefined();
      const picks = picksOf(1, 1)[0]!;
      const [x] = await readOutputs(backend, () => [split.batch(picks).x]);
      expectSameBits(x!, hostBatch(picks).images, 'images from three parts');
    } finally {
      split.release();
    }
    const live = backend.liveHandles();
    const tooSmall = on(backend, () => new TrainingBatches([train], WIDTH, CLASSES, { maxBufferBytes: 10 * rowBytes }));
    expect(tooSmall.reason).toBe(
      `the training images (0.2 MB) would need 5 device buffers of at most ${10 * rowBytes} bytes, and one gather binds ${GATHER_MAX_PARTS}: `
      + 'each batch is gathered on the host and uploaded at every step instead',
    );
    expect(backend.liveHandles(), 'nothing kept').toBe(live);
    const picks = picksOf(1, 1)[0]!;
    const [x] = await readOutputs(backend, () => [tooSmall.batch(picks).x]);
    expectSameBits(x!, hostBatch(picks).images, 'host batch');
    tooSmall.release();
  });

  it('keeps the host path for tables the gather is not defined on, and for networks with sets of their own', () => {
    const backend = gpu!;
    const odd = on(backend, () => residentTable(Float32Array.of(1, -0, 2, 3), 2, 2, 'training images'));
    expect(isResident(odd) ? undefined : odd.reason).toBe('the training images stay on the host: value 1 is -0, and the gather is defined on finite values other than -0');
    const own = on(backend, () => new TrainingBatches([train, syntheticSet(50, 2, 0.1)], WIDTH, CLASSES));
    expect(own.reason).toBe('the networks trained together have training sets of their own');
    expect(on(withoutCustomKernels(backend), () => new TrainingBatches([train], WIDTH, CLASSES)).reason).toBe("backend 'webgpu' gathers batches on the host");
  });
});

describe.skipIf(!gpu)('trainRounds with the sets on the device', () => {
  const data: PreparedData = { train, valid: syntheticSet(12, 2, 0.1), test: syntheticSet(12, 3, 0) };
  const config: ExperimentConfig = {
    ...DEFAULT_CONFIG, trials: 1, train_iters: 4, eval_every: 2, prune_iters: 1, batch_size: 20, eval_batch_size: 8,
    attack: 'fgsm', adv_train: true,
  };
  const spec = modelSpec(config.model);
  const attack = attackSpec(config.attack, { eps: config.eps, step: config.pgd_step, iterations: config.pgd_iters });

  /** One round of `networks` stacked networks, with the bytes uploaded by each training step (none evaluated at). */
  async function round(networks: number, options: RoundOptions, sets: PreparedData = data) {
    const members = Array.from({ length: networks }, (_, t) => {
      const rng = new Rng(40 + t);
      return {
        data: sets, start: initialWeights(spec, rng, config.init), masks: fullMasks(spec),
        rngs: { batches: rng.derive(1, 0), attack: rng.derive(2, 0), evaluation: rng.derive(3, 0) },
      };
    });
    const stepUploads: number[] = [];
    /** Reads from each evaluation to the next step (the last evaluation's, followed by the weights', not counted). */
    const evaluationReads: number[] = [];
    let mark = 0;
    const reads = vi.spyOn(gpu as Required<Pick<WebgpuBackend, 'readAsync'>>, 'readAsync');
    let evaluating = false;
    const result = await on(gpu!, () => trainRounds(config, spec, attack, members, (iteration, phase) => {
      const now = gpu!.stats().bytesUploaded;
      if (phase === 'train' && iteration % config.eval_every !== 1) stepUploads.push(now - mark);
      if (evaluating) evaluationReads.push(reads.mock.calls.length);
      evaluating = phase === 'eval';
      reads.mockClear();
      mark = now;
    }, options));
    reads.mockRestore();
    return { result, stepUploads, evaluationReads };
  }

  for (const networks of [1, 3]) {
    it(`gives the host path's results exactly (rows, evaluations, weights), T = ${networks}`, async () => {
      const spy = spyOnKernel(gpu!, 'gatherRows');
      const live = gpu!.liveHandles();
      const notices = vi.fn();
      const resident = await round(networks, { onNotice: notices });
      expectKernelRan(spy, 'gatherRows');
      spy.mockRestore();
      expect(notices).not.toHaveBeenCalled();
      const host = await round(networks, { residency: { host: true } });
      expect(resident.result).toEqual(host.result);
      expect(gpu!.liveHandles(), 'no handle left').toBe(live);
      // An FGSM-adversarial step uploads its batch's indices and nothing else that grows with the batch.
      console.info(`T=${networks}: bytes uploaded per step, resident ${resident.stepUploads.join(', ')}; host ${host.stepUploads.join(', ')}`);
      for (const bytes of resident.stepUploads) expect(bytes / networks).toBeLessThanOrEqual(1024);
      for (const bytes of host.stepUploads) expect(bytes / networks).toBeGreaterThan(20 * WIDTH * 4);
      // Each evaluation reads one buffer of losses and counts instead of four values per batch (two batches of the
      // validation set, two of the test set).
      console.info(`T=${networks}: reads per evaluation, resident ${resident.evaluationReads.join(', ')}; host ${host.evaluationReads.join(', ')}`);
      expect(resident.evaluationReads).toEqual(host.evaluationReads.map((r) => r - 4 * 4 + 1));
    });
  }

  it('evaluates on the test set alone where there is no validation set, as the host path does', async () => {
    const spy = spyOnKernel(gpu!, 'gatherRows');
    const noValidation = { ...data, valid: undefined };
    const resident = await round(2, {}, noValidation);
    expectKernelRan(spy, 'gatherRows');
    spy.mockRestore();
    expect(resident.result).toEqual((await round(2, { residency: { host: true } }, noValidation)).result);
    expect(Number.isNaN(resident.result[0]!.valid[0]!.loss)).toBe(true);
  });

  it('tells why batches are gathered on the host when the tables cannot stay', async () => {
    const notices = vi.fn();
    const tight = await round(1, { residency: { maxBufferBytes: 5 * WIDTH * 4 }, onNotice: notices });
    expect(notices).toHaveBeenCalledWith(expect.stringMatching(/^batches are gathered on the host: the training images \(0\.2 MB\) would need 10 device buffers/));
    const host = await round(1, { residency: { host: true } });
    expect(tight.result).toEqual(host.result);
  });
});
