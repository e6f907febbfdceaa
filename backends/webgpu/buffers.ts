/**
 * Storage buffers of the webgpu backend, recycled by byte size. A disposed tensor's buffer goes back to the
 * pool and may become the output of the next kernel at once: kernels and read-back copies are operations on
 * the one queue, in recording order, so earlier readers stay ahead of later writers. Uploads never reuse a
 * buffer (filled()), so they need no ordering.
 */

// Numeric values of GPUBufferUsage (WebGPU spec); the globals object is not installed by rsn.
export const USAGE = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80 } as const;
export const MAP_READ_MODE = 0x1;

/** Pooled bytes kept for reuse at most; beyond it, released buffers are destroyed (after the next submit). */
export const POOL_LIMIT_BYTES = 256 * 1024 * 1024;

/** Bytes of a buffer holding `elements` 4-byte values (never 0: WebGPU cannot bind an empty buffer). */
export const bytesFor = (elements: number): number => Math.max(4, elements * 4);

export class BufferPool {
  readonly #free = new Map<number, GPUBuffer[]>();
  #pooledBytes = 0;
  /** Released beyond the limit: still named by dispatches recorded but not yet submitted, so destroyed after the submit. */
  #doomed: GPUBuffer[] = [];

  constructor(private readonly device: GPUDevice, private readonly limitBytes = POOL_LIMIT_BYTES) {}

  acquire(bytes: number): GPUBuffer {
    const reused = this.#free.get(bytes)?.pop();
    if (reused) {
      this.#pooledBytes -= bytes;
      return reused;
    }
    return this.device.createBuffer({ size: bytes, usage: USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST });
  }

  /**
   * A new buffer holding `data`, written through a mapping at creation: no queue operation, so uploads do not
   * split the pending command batch (a recycled buffer would need a queue write ordered after its readers).
   */
  filled(data: Float32Array | Int32Array): GPUBuffer {
    const buffer = this.device.createBuffer({ size: bytesFor(data.length), usage: USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST, mappedAtCreation: true });
    new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    buffer.unmap();
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    const bytes = buffer.size;
    if (this.#pooledBytes + bytes > this.limitBytes) {
      this.#doomed.push(buffer);
      return;
    }
    const list = this.#free.get(bytes) ?? [];
    list.push(buffer);
    this.#free.set(bytes, list);
    this.#pooledBytes += bytes;
  }

  /** Destroy the buffers released beyond the limit; the queue calls this after each submit (work already submitted completes). */
  destroyReleased(): void {
    const doomed = this.#doomed;
    this.#doomed = [];
    for (const buffer of doomed) buffer.destroy();
  }

  clear(): void {
    this.destroyReleased();
    for (const list of this.#free.values()) list.forEach((b) => b.destroy());
    this.#free.clear();
    this.#pooledBytes = 0;
  }
}
