import type { TensorInfo } from '../../../core/autodiff/backend.js';
import type { ProgramCache } from '../programs.js';
import type { CommandQueue } from '../queue.js';

/** A tensor's storage on the device: `length` 4-byte elements (float32 or int32) at the start of `buffer`. */
export interface WebgpuHandle {
  readonly buffer: GPUBuffer;
  readonly length: number;
}

export type Info = TensorInfo<WebgpuHandle>;

/** What a kernel needs: the command stream, the program cache, a fresh output of n elements, and a way to free a temporary. */
export interface KernelContext {
  readonly queue: CommandQueue;
  readonly programs: ProgramCache;
  output(n: number): WebgpuHandle;
  /** Free a kernel's temporary output (dispatches recorded after this may reuse its buffer; the queue keeps order). */
  release(h: WebgpuHandle): void;
  /** A read-only buffer of `words()`, uploaded the first time `key` is asked for and kept until the backend closes. */
  constant(key: string, words: () => Uint32Array): GPUBuffer;
}
