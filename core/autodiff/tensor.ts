import type { Backend, HostData } from './backend.js';
import { DisposedTensorError, ShapeError } from '../errors.js';
import type { DType, Shape } from './primitives.js';
import { sizeOf } from './shapes.js';

let nextId = 0;
let live = 0;

/** Tensors created and not yet disposed, over all backends. */
export const liveTensorCount = (): number => live;

/** An immutable n-dimensional array living on one backend. Create tensors with the functions in ops.ts. */
export class Tensor {
  readonly id = nextId++;
  readonly size: number;
  #disposed = false;

  constructor(
    readonly shape: Shape,
    readonly dtype: DType,
    private readonly handleValue: unknown,
    readonly backend: Backend,
  ) {
    this.size = sizeOf(shape);
    live++;
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this.#disposed;
  }

  get handle(): unknown {
    if (this.#disposed) {
      throw new DisposedTensorError(
        `tensor #${this.id} [${this.shape}] was used after dispose`,
        'return it from the tidy() scope that created it, or keep() it',
      );
    }
    return this.handleValue;
  }

  /** A copy of the values on the host. */
  dataSync(): HostData {
    return this.backend.read({ handle: this.handle, shape: this.shape, dtype: this.dtype });
  }

  /** A copy of the values on the host, on every backend (a GPU backend's reads are asynchronous only). */
  async data(): Promise<HostData> {
    const info = { handle: this.handle, shape: this.shape, dtype: this.dtype };
    return this.backend.readAsync ? this.backend.readAsync(info) : this.backend.read(info);
  }

  toArray(): number[] {
    return Array.from(this.dataSync());
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new ShapeError(`item() needs a one-element tensor, got [${this.shape}]`, 'reduce it first (sum, mean) or read it with dataSync()');
    return this.dataSync()[0]!;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    live--;
    this.backend.dispose(this.handleValue);
  }
}
