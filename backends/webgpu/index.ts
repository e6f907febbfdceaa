/**
 * The webgpu backend: rsn's own WGSL kernels (kernels/*) on a WebGPU device from the `webgpu` npm package
 * (Dawn). Handles are storage buffers, recycled through a pool; kernels are recorded into batched command
 * buffers (queue.ts). Reads are asynchronous only (Tensor.data(), Backend.readAsync): see queue.ts for why.
 * Whole steps of a bias-free ReLU MLP run as a few fused kernels (kernels/custom.ts: the masked weights, a whole
 * attack, the loss with every weight gradient, Adam on the masked gradient), as do Adam, the attacks' steps, the
 * cross-entropy and a hidden layer for other models; PGD's random start is drawn on the device
 * (kernels/uniform-noise.ts) and a batch's rows are gathered from a data set kept there (kernels/gather-rows.ts).
 */
import type { Primitive } from '../../core/autodiff/primitives.js';
import { BackendError, ShapeError, UnsupportedOpError } from '../../core/errors.js';
import { optionalPrimitivesOf, type Backend, type HostData, type Kernel, type KernelTable } from '../../core/autodiff/backend.js';
import { BufferPool, bytesFor } from './buffers.js';
import { acquireDevice, type AcquiredDevice } from './device.js';
import type { KernelContext, WebgpuHandle } from './kernels/context.js';
import { conv2d, conv2dFilterGrad, conv2dInputGrad } from './kernels/convolution.js';
import { webgpuCustomKernels } from './kernels/custom.js';
import { binary, clip, unary, where } from './kernels/elementwise.js';
import { broadcastTo, reshape, transpose } from './kernels/layout.js';
import { matmul, matmulInto } from './kernels/matmul.js';
import { maxPool, maxPoolGrad } from './kernels/pooling.js';
import { argmax, max, oneHot, sum } from './kernels/reduce.js';
import { ProgramCache } from './programs.js';
import { CommandQueue } from './queue.js';

export type { WebgpuHandle } from './kernels/context.js';

/** Counts since the backend was created; a step's are the difference of two snapshots (counts.ts). */
export interface WebgpuStats {
  readonly dispatches: number;
  readonly submits: number;
  /** Dispatches whose pipeline differs from the previous dispatch's in the same pass. */
  readonly pipelineSwitches: number;
  /** Host data uploaded into buffers (tensors from the host: batches, random starts, weights). */
  readonly bytesUploaded: number;
  /** The dispatches' parameter words, written with each submitted batch. */
  readonly paramBytes: number;
  readonly bytesRead: number;
  readonly programs: number;
}

export interface WebgpuBackend extends Backend<WebgpuHandle> {
  /** The adapter in words ("hardware: ..." or "software: ..."). */
  readonly adapter: string;
  readonly software: boolean;
  /** The Dawn instance (GPU object): kept alive with the device. */
  readonly instance: GPU;
  /**
   * [T,m,k] x [T,k,n] -> [T,m,n] in one dispatch (z = T), as the matmul primitive runs with leading batch axes
   * (kernels/matmul.ts).
   */
  matmulBatched(a: WebgpuHandle, b: WebgpuHandle, shape: { batch: number; m: number; k: number; n: number }): WebgpuHandle;
  /** What the device was asked for so far (WebgpuStats), and the number of compiled programs. */
  stats(): WebgpuStats;
}

/** Find a device (device.ts decides which) and build the backend on it. */
export async function loadWebgpuBackend(env: NodeJS.ProcessEnv = process.env): Promise<WebgpuBackend> {
  return createWebgpuBackend(await acquireDevice(env));
}

/** @param poolLimitBytes buffers kept for reuse at most (tests set it low to exercise buffers destroyed while in use). */
export function createWebgpuBackend(acquired: AcquiredDevice, poolLimitBytes?: number): WebgpuBackend {
  const { device, adapter, software } = acquired;
  const pool = new BufferPool(device, poolLimitBytes);
  const queue = new CommandQueue(device, () => pool.destroyReleased());
  const programs = new ProgramCache(device);
  let live = 0;
  let bytesUploaded = 0;
  const handle = (length: number): WebgpuHandle => {
    live++;
    return { buffer: pool.acquire(bytesFor(length)), length };
  };
  const release = (h: WebgpuHandle): void => {
    live--;
    pool.release(h.buffer);
  };
  const constants = new Map<string, GPUBuffer>();
  const constant = (key: string, words: () => Uint32Array): GPUBuffer => {
    let buffer = constants.get(key);
    if (!buffer) {
      const data = words();
      buffer = pool.filled(new Int32Array(data.buffer, data.byteOffset, data.length));
      bytesUploaded += data.byteLength;
      constants.set(key, buffer);
    }
    return buffer;
  };
  const ctx: KernelContext = { queue, programs, output: handle, release, constant };

  const kernels: KernelTable<WebgpuHandle> = {
    add: (inputs, _, out) => binary(ctx, 'add', inputs, out.shape),
    sub: (inputs, _, out) => binary(ctx, 'sub', inputs, out.shape),
    mul: (inputs, _, out) => binary(ctx, 'mul', inputs, out.shape),
    div: (inputs, _, out) => binary(ctx, 'div', inputs, out.shape),
    maximum: (inputs, _, out) => binary(ctx, 'maximum', inputs, out.shape),
    minimum: (inputs, _, out) => binary(ctx, 'minimum', inputs, out.shape),
    greater: (inputs, _, out) => binary(ctx, 'greater', inputs, out.shape),
    greaterEqual: (inputs, _, out) => binary(ctx, 'greaterEqual', inputs, out.shape),
    equal: (inputs, _, out) => binary(ctx, 'equal', inputs, out.shape),
    where: (inputs, _, out) => where(ctx, inputs, out.shape),
    neg: (inputs) => unary(ctx, 'neg', inputs),
    exp: (inputs) => unary(ctx, 'exp', inputs),
    log: (inputs) => unary(ctx, 'log', inputs),
    sqrt: (inputs) => unary(ctx, 'sqrt', inputs),
    sign: (inputs) => unary(ctx, 'sign', inputs),
    clip: (inputs, { min, max: hi }) => clip(ctx, inputs, min, hi),
    matmul: (inputs, { transposeA, transposeB }, out) => matmul(ctx, inputs, transposeA, transposeB, out.shape),
    sum: ([x], { axes }) => sum(ctx, x!, axes),
    max: ([x], { axes }) => max(ctx, x!, axes),
    reshape: ([x], { shape }) => reshape(ctx, x!, shape),
    transpose: ([x], { perm }) => transpose(ctx, x!, perm),
    broadcastTo: ([x], { shape }) => broadcastTo(ctx, x!, shape),
    argmax: ([x], { axis }) => argmax(ctx, x!, axis < 0 ? axis + x!.shape.length : axis),
    oneHot: ([x], { depth }) => oneHot(ctx, x!, depth),
    conv2d: (inputs, { padding }, out) => conv2d(ctx, inputs, padding, out.shape),
    conv2dInputGrad: (inputs, { padding, inputShape }) => conv2dInputGrad(ctx, inputs, padding, inputShape),
    conv2dFilterGrad: (inputs, { padding, filterShape }) => conv2dFilterGrad(ctx, inputs, padding, filterShape),
    maxPool: ([x], { size }, out) => maxPool(ctx, x!, size, out.shape),
    maxPoolGrad: (inputs, { size }) => maxPoolGrad(ctx, inputs, size),
  };

  let closed = false;
  return {
    name: 'webgpu',
    // Holds the Dawn instance for as long as the backend lives (see AcquiredDevice.gpu).
    instance: acquired.gpu,
    adapter,
    software,
    stacking: { maxBufferBytes: Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize) },
    upload(values, _shape, dtype) {
      const data = dtype === 'int32'
        ? (values instanceof Int32Array ? values : Int32Array.from(values))
        : (values instanceof Float32Array ? values : Float32Array.from(values));
      live++;
      bytesUploaded += data.byteLength;
      return { buffer: pool.filled(data), length: data.length };
    },
    read() {
      throw new BackendError(
        "backend 'webgpu' reads asynchronously: a synchronous read (dataSync(), item(), toArray()) cannot wait for the GPU",
        'read with `await tensor.data()` (Backend.readAsync), or run this command on a CPU backend',
      );
    },
    async readAsync(info): Promise<HostData> {
      const bytes = await queue.read(info.handle.buffer, info.handle.length * 4);
      return info.dtype === 'int32' ? new Int32Array(bytes) : new Float32Array(bytes);
    },
    dispose: release,
    liveHandles: () => live,
    optionalPrimitives: optionalPrimitivesOf(kernels),
    custom: webgpuCustomKernels(ctx, device.limits.maxStorageBuffersPerShaderStage),
    run(primitive, inputs, attrs, out) {
      const kernel = Object.hasOwn(kernels, primitive) ? (kernels[primitive] as Kernel<Primitive, WebgpuHandle>) : undefined;
      if (!kernel) throw new UnsupportedOpError(primitive, inputs[0]?.dtype ?? 'none', 'webgpu');
      return kernel(inputs, attrs, out);
    },
    matmulBatched(a, b, { batch, m, k, n }) {
      if (a.length !== batch * m * k || b.length !== batch * k * n) {
        throw new ShapeError(`matmulBatched: [${batch},${m},${k}] x [${batch},${k},${n}] needs ${batch * m * k} and ${batch * k * n} elements, got ${a.length} and ${b.length}`);
      }
      const out = handle(batch * m * n);
      matmulInto(ctx, a, b, out, { m, n, k, transposeA: false, transposeB: false, batch, strides: [m * k, k * n, m * n] });
      return out;
    },
    stats: () => ({ ...queue.stats, bytesUploaded, programs: programs.size }),
    close() {
      if (closed) return;
      closed = true;
      queue.flush();
      pool.clear();
      for (const buffer of constants.values()) buffer.destroy();
      queue.destroy();
      device.destroy();
    },
  };
}
