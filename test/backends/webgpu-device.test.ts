import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { HostData } from '../../core/autodiff/backend.js';
import { useBackend } from '../support/backend.js';
import { acquireDevice, SOFTWARE_ENV } from '../../backends/webgpu/device.js';
import { ProgramCache } from '../../backends/webgpu/programs.js';
import { CommandQueue } from '../../backends/webgpu/queue.js';
import { createWebgpuBackend, loadWebgpuBackend, type WebgpuBackend } from '../../backends/webgpu/index.js';
import { main } from '../../cli/main.js';
import { disposeAll, fromHost, setActiveBackend, tidy } from '../../core/autodiff/engine.js';
import type { Tensor } from '../../core/autodiff/tensor.js';
import * as op from '../../core/autodiff/ops.js';
import { BackendError, ShapeError } from '../../core/errors.js';
import { Rng } from '../../core/nn/rng.js';
import { compare, oracle, TOL } from './support.js';
import { autoBatchTrials, bytesPerNetwork, MAX_AUTO_BATCH } from '../../core/experiment/jobs/batch-size.js';
import { DEFAULT_CONFIG } from '../../core/experiment/config.js';
import { rsn } from '../support/rsn-cli.js';

/**
 * The webgpu backend beyond the conformance suite: how it is found (and refused), its asynchronous reads, and
 * kernel paths the suite's small shapes do not reach (several matmul tiles, the batched matmul, long command
 * batches, dispatches past 65535 workgroups). Every value is checked against the reference backend.
 */
describe('finding an adapter', () => {
  it('without RSN_WEBGPU_SOFTWARE=1, uses a hardware adapter or fails with a BackendError that says what to do', async () => {
    const env = { ...process.env };
    delete env[SOFTWARE_ENV];
    const result: WebgpuBackend | Error = await loadWebgpuBackend(env).then((b) => b, (e: Error) => e);
    if (result instanceof Error) {
      expect(result).toBeInstanceOf(BackendError);
      expect(result.message).toMatch(/found no hardware WebGPU adapter/);
      expect(result.message).toMatch(/RSN_WEBGPU_SOFTWARE=1/);
    } else {
      expect(result.adapter).toMatch(/^hardware: /);
      result.close?.();
    }
  });
});

process.env[SOFTWARE_ENV] ??= '1';
const backend = await useBackend('webgpu').then((b) => b as WebgpuBackend, (e: Error) => {
  console.warn(`webgpu-device: skipping the kernel tests: ${e.message.split('\n')[0]}`);
  return undefined;
});

describe('rsn backends', () => {
  it('reports webgpu with the adapter it found, or why it did not load', async () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    let printed = '';
    try {
      expect(await main(['node', 'rsn', 'backends', '--json'])).toBe(0);
      printed = write.mock.calls.map((c) => String(c[0])).join('');
    } finally {
      write.mockRestore();
    }
    const row = (JSON.parse(printed) as { name: string; available: boolean; description: string; reason: string }[]).find((r) => r.name === 'webgpu')!;
    if (backend) expect(row).toMatchObject({ available: true, description: expect.stringContaining(`adapter: ${backend.adapter}`) });
    else expect(row).toMatchObject({ available: false, reason: expect.stringMatching(/->/) });
  });
});

describe.skipIf(!backend)('many trials as one computation by default', () => {
  it('the backend declares its largest buffer, so --batch_trials auto stacks as many trials as that holds', () => {
    const limit = backend!.stacking?.maxBufferBytes ?? 0;
    expect(limit).toBeGreaterThan(0);
    expect(autoBatchTrials(DEFAULT_CONFIG, backend!)).toBe(Math.min(MAX_AUTO_BATCH, Math.floor(limit / bytesPerNetwork(DEFAULT_CONFIG))));
  });

  it('rsn train --backend webgpu trains its trials together without being asked', async () => {
    const base = mkdtempSync(join(tmpdir(), 'rsn-webgpu-batch-'));
    const result = await rsn(['train', '--backend', 'webgpu', '--no_download', '--base_dir', base, '--trials', '2', '--train_iters', '2',
      '--eval_every', '2', '--prune_iters', '1', '--batch_size', '10', '--valid_size', '20', '--test_size', '20'], { [SOFTWARE_ENV]: '1' });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('training 2 trials at a time as one computation');
    expect(result.stderr).toMatch(/trial 1 round 1: /);
  }, 300_000);

  it('rsn bench --list --backend webgpu shows the batches a run would train', async () => {
    const listed = await rsn(['bench', '--preset', 'smoke', '--list', '--backend', 'webgpu', '--base_dir', mkdtempSync(join(tmpdir(), 'rsn-webgpu-list-'))], { [SOFTWARE_ENV]: '1' });
    expect(listed.code, listed.stderr).toBe(0);
    // smoke: one step program per training mode, three strategies each.
    expect(listed.stdout.trim().split('\n').map((l) => l.split('\t')[4])).toEqual(['batch 1', 'batch 1', 'batch 1', 'batch 2', 'batch 2', 'batch 2']);
  });
});

describe.skipIf(!backend)('webgpu kernels and reads', () => {
  const gpu = backend!;
  const reference = oracle();
  const rng = new Rng(31);

  /** Run `fn` on both backends from the same host inputs; read both results. */
  async function both(inputs: { values: Float32Array; shape: number[] }[], fn: (...xs: ReturnType<typeof fromHost>[]) => ReturnType<typeof fromHost>): Promise<[HostData, HostData]> {
    const results: HostData[] = [];
    for (const b of [gpu, reference]) {
      setActiveBackend(b);
      const xs = inputs.map((i) => fromHost(i.values, i.shape));
      const out = fn(...xs);
      results.push(await out.data());
      disposeAll([xs, out]);
    }
    return [results[0]!, results[1]!];
  }
  const random = (...shape: number[]) => ({ values: rng.uniformArray(shape.reduce((a, b) => a * b, 1), -1, 1), shape });
  const expectClose = ([got, want]: [HostData, HostData], tol: { rtol: number; atol: number } = TOL.reduction) => {
    const { ratio, detail } = compare(got, want, tol);
    expect(ratio, detail).toBeLessThanOrEqual(1);
  };

  it('refuses synchronous reads with a BackendError that names the asynchronous one', () => {
    setActiveBackend(gpu);
    const t = fromHost(Float32Array.of(1), []);
    expect(() => t.dataSync()).toThrow(BackendError);
    expect(() => t.item()).toThrow(/await tensor\.data\(\)/);
    t.dispose();
  });

  it('reads through Tensor.data() on a synchronous backend too (the reference)', async () => {
    setActiveBackend(reference);
    const t = fromHost(Float32Array.of(1.5, -2), [2]);
    expect(Array.from(await t.data())).toEqual(Array.from(t.dataSync()));
    t.dispose();
  });

  it('moves int32 tensors through reshape, transpose and broadcastTo exactly, as the reference', async () => {
    const labels = Int32Array.from({ length: 24 }, (_, i) => (i * 7919) % 41 - 20 + (i === 5 ? 2 ** 31 - 1 : 0));
    const results: HostData[][] = [];
    for (const b of [gpu, reference]) {
      setActiveBackend(b);
      const x = fromHost(labels, [2, 3, 4], 'int32');
      const s = fromHost(Int32Array.of(-7), [], 'int32');
      const outs = [op.reshape(x, [4, 6]), op.transpose(x, [2, 0, 1]), op.broadcastTo(op.reshape(x, [2, 1, 3, 4]), [2, 5, 3, 4]), op.broadcastTo(s, [3, 2])];
      const values: HostData[] = [];
      for (const t of outs) values.push(await t.data());
      results.push(values);
      disposeAll([x, s, outs]);
    }
    results[0]!.forEach((got, i) => {
      expect(got).toBeInstanceOf(Int32Array);
      expect(Array.from(got), `output ${i}`).toEqual(Array.from(results[1]![i]!));
    });
  });

  it('multiplies across several 64x64 tiles and 16-deep steps, every transpose', async () => {
    for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const a = tA ? random(37, 130) : random(130, 37);
      const b = tB ? random(70, 37) : random(37, 70);
      expectClose(await both([a, b], (x, y) => op.matmul(x, y, tA, tB)));
    }
  });

  it('runs the batched matmul: the workgroup z index selects the product', async () => {
    const [T, m, k, n] = [3, 9, 20, 66];
    const a = random(T, m, k);
    const b = random(T, k, n);
    const ha = gpu.upload(a.values, a.shape, 'float32');
    const hb = gpu.upload(b.values, b.shape, 'float32');
    const hc = gpu.matmulBatched(ha, hb, { batch: T, m, k, n });
    const got = await gpu.readAsync!({ handle: hc, shape: [T, m, n], dtype: 'float32' });
    expect(() => gpu.matmulBatched(ha, hb, { batch: T, m, k: k + 1, n })).toThrow(ShapeError);
    [ha, hb, hc].forEach((h) => gpu.dispose(h));
    for (let t = 0; t < T; t++) {
      const slice = (x: Float32Array, size: number) => ({ values: x.slice(t * size, (t + 1) * size), shape: [] as number[] });
      const [, want] = await both([{ ...slice(a.values, m * k), shape: [m, k] }, { ...slice(b.values, k * n), shape: [k, n] }], (x, y) => op.matmul(x, y));
      expectClose([got.slice(t * m * n, (t + 1) * m * n), want]);
    }
  });

  it('keeps a long chain of kernels (several command batches) exact', async () => {
    const x = random(50);
    const [got, want] = await both([x], (t) => {
      let acc = t;
      for (let i = 0; i < 150; i++) acc = op.add(acc, t);
      return acc;
    });
    expectClose([got, want], TOL.reduction);
    expect(gpu.stats().submits).toBeGreaterThan(2);
  });

  it('keeps buffers released beyond the pool limit alive until their dispatches are submitted', async () => {
    // Pool limit 0: every released buffer is destroyed, while later dispatches of the same batch may still name
    // it as an input. Destroyed at once, the submit failed ("used in submit while destroyed"; bench:gpu at T=160).
    const limited = createWebgpuBackend(await acquireDevice(), 0);
    const x = random(50);
    const chain = (t: Tensor) => tidy(() => {
      let acc = t;
      for (let i = 0; i < 40; i++) acc = op.mul(op.add(acc, t), t);
      return acc;
    });
    setActiveBackend(limited);
    const input = fromHost(x.values, x.shape);
    const out = chain(input);
    const got = (await out.data()) as Float32Array;
    disposeAll([input, out]);
    limited.close?.();
    const [want] = await both([x], chain);
    expect(Array.from(got)).toEqual(Array.from(want));
  });

  it('reports a device error (here an invalid shader) as a BackendError at the next read', async () => {
    const acquired = await acquireDevice();
    const queue = new CommandQueue(acquired.device);
    const programs = new ProgramCache(acquired.device);
    const bad = programs.get('invalid', 0, () => '@compute @workgroup_size(1) fn main() { let x: u32 = undefined_name; }');
    const out = acquired.device.createBuffer({ size: 4, usage: 0x80 | 0x4 });
    queue.dispatch(bad, [out], [], [1, 1, 1]);
    await expect(queue.read(out, 4)).rejects.toThrow(BackendError);
    await expect(queue.read(out, 4)).resolves.toBeInstanceOf(ArrayBuffer);
    queue.destroy();
    acquired.device.destroy();
  });

  it('covers outputs past 65535 workgroups of 64 (dispatch folded into y)', async () => {
    const n = 65535 * 64 + 1000;
    const x = { values: rng.uniformArray(n, -1, 1), shape: [n] };
    const y = { values: rng.uniformArray(1, -1, 1), shape: [1] };
    const [got, want] = await both([x, y], (a, b) => op.mul(a, b));
    expectClose([got, want], TOL.exact);
  });
});
