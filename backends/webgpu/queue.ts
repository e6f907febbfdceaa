/**
 * The command stream of the webgpu backend. Kernels are recorded into one compute pass and submitted in
 * batches (at most MAX_BATCH dispatches, and before any read), so that a training step costs a few
 * submits rather than one per primitive. Each dispatch's parameters live in a slot of one uniform "arena",
 * written with a single writeBuffer just before its batch is submitted.
 *
 * Reads are asynchronous: Dawn's Node binding resolves a buffer map only from the Node event loop (measured:
 * a busy-waiting caller sees mapState 'pending' forever; the binding exposes no way to process events).
 */
import { BackendError } from '../../core/errors.js';
import { MAP_READ_MODE, USAGE } from './buffers.js';
import { PARAM_BYTES, PARAM_WORDS, type Program } from './programs.js';

/** Dispatches per submitted batch at most. */
export const MAX_BATCH = 64;

export type Workgroups = readonly [number, number, number];

export class CommandQueue {
  #encoder: GPUCommandEncoder | undefined;
  #pass: GPUComputePassEncoder | undefined;
  readonly #params = new Uint32Array(MAX_BATCH * PARAM_WORDS);
  readonly #arena: GPUBuffer;
  #count = 0;
  readonly #errors: string[] = [];
  #pipeline: GPUComputePipeline | undefined;
  /**
   * What the device was asked for so far (for tests, bench:gpu and profiling): dispatches, submits, pipeline
   * switches within a pass (a dispatch whose pipeline differs from the previous one's), the parameter words
   * written with each batch (bytes), and the bytes read back to the host.
   */
  readonly stats = { dispatches: 0, submits: 0, pipelineSwitches: 0, paramBytes: 0, bytesRead: 0 };

  /** @param afterSubmit runs after every submit (the pool destroys the buffers it released beyond its limit). */
  constructor(private readonly device: GPUDevice, private readonly afterSubmit: () => void = () => {}) {
    this.#arena = device.createBuffer({ size: MAX_BATCH * PARAM_BYTES, usage: USAGE.UNIFORM | USAGE.COPY_DST });
    device.addEventListener('uncapturederror', (event) => {
      this.#errors.push((event as GPUUncapturedErrorEvent).error.message);
    });
  }

  /** Record one dispatch of `program` over `buffers` (inputs, then the outputs) with u32 parameter words. */
  dispatch(program: Program, buffers: readonly GPUBuffer[], params: ArrayLike<number>, groups: Workgroups): void {
    if (buffers.length !== program.buffers) throw new Error(`${program.key}: ${buffers.length} buffers bound, ${program.buffers} expected`);
    if (params.length > PARAM_WORDS) throw new Error(`${program.key}: ${params.length} parameter words (at most ${PARAM_WORDS})`);
    if (groups[0] === 0 || groups[1] === 0 || groups[2] === 0) return;
    if (this.#count === MAX_BATCH) this.flush();
    const slot = this.#count++;
    this.#params.fill(0, slot * PARAM_WORDS, (slot + 1) * PARAM_WORDS);
    this.#params.set(params, slot * PARAM_WORDS);
    this.#encoder ??= this.device.createCommandEncoder();
    this.#pass ??= this.#encoder.beginComputePass();
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: this.#arena, offset: slot * PARAM_BYTES, size: PARAM_BYTES } }];
    buffers.forEach((buffer, i) => entries.push({ binding: i + 1, resource: { buffer } }));
    if (this.#pipeline !== program.pipeline) {
      this.#pass.setPipeline(program.pipeline);
      this.#pipeline = program.pipeline;
      this.stats.pipelineSwitches++;
    }
    this.#pass.setBindGroup(0, this.device.createBindGroup({ layout: program.layout, entries }));
    this.#pass.dispatchWorkgroups(groups[0], groups[1], groups[2]);
    this.stats.dispatches++;
  }

  /** Submit what is recorded. */
  flush(): void {
    if (!this.#encoder) return;
    this.#pass?.end();
    this.device.queue.writeBuffer(this.#arena, 0, this.#params, 0, this.#count * PARAM_WORDS);
    this.stats.paramBytes += this.#count * PARAM_WORDS * 4;
    this.device.queue.submit([this.#encoder.finish()]);
    this.stats.submits++;
    this.afterSubmit();
    this.#encoder = undefined;
    this.#pass = undefined;
    this.#pipeline = undefined;
    this.#count = 0;
  }

  /**
   * Copy the first `bytes` of a buffer to the host. The copy is enqueued before this returns, so the buffer
   * may be released (and reused) at once; only the mapping is awaited.
   */
  async read(buffer: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
    this.flush();
    if (bytes === 0) return new ArrayBuffer(0);
    const staging = this.device.createBuffer({ size: bytes, usage: USAGE.MAP_READ | USAGE.COPY_DST });
    const encoder = this.device.createCommandEncoder();
    encoder.copyBufferToBuffer(buffer, 0, staging, 0, bytes);
    this.device.queue.submit([encoder.finish()]);
    this.stats.submits++;
    this.afterSubmit();
    this.stats.bytesRead += bytes;
    try {
      await staging.mapAsync(MAP_READ_MODE);
      this.#throwErrors();
      return staging.getMappedRange().slice(0);
    } catch (error) {
      this.#throwErrors();
      throw new BackendError(`webgpu: reading a result failed: ${(error as Error).message}`);
    } finally {
      staging.destroy();
    }
  }

  /** Errors Dawn reported since the last check (validation of a kernel, out of memory), as a BackendError. */
  #throwErrors(): void {
    if (this.#errors.length === 0) return;
    const messages = this.#errors.splice(0);
    throw new BackendError(`webgpu: the device reported ${messages.length} error(s): ${messages[0]}`, 'this is a bug in rsn\'s webgpu kernels: please report it');
  }

  destroy(): void {
    this.#encoder = undefined;
    this.#pass = undefined;
    this.#arena.destroy();
  }
}
