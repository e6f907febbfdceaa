/**
 * Recycled typed arrays: the native backend's handles. A training step allocates the same few sizes over and
 * over; reusing disposed arrays skips V8's zero-filled allocation and the garbage collector. Recycled arrays
 * hold stale values, so every kernel writes all of its output.
 */
export class BufferPool {
  private readonly floats = new Map<number, Float32Array[]>();
  private readonly ints = new Map<number, Int32Array[]>();
  private live = 0;

  /** Arrays kept per size; a size is rarely needed more times at once than a step has live tensors of it. */
  constructor(private readonly perSize = 64) {}

  float32(length: number): Float32Array {
    this.live++;
    return this.floats.get(length)?.pop() ?? new Float32Array(length);
  }

  int32(length: number): Int32Array {
    this.live++;
    return this.ints.get(length)?.pop() ?? new Int32Array(length);
  }

  /** Return a handle. The core disposes each handle exactly once, and never uses it afterwards. */
  release(handle: Float32Array | Int32Array): void {
    this.live--;
    const shelves: Map<number, (Float32Array | Int32Array)[]> = handle instanceof Float32Array ? this.floats : this.ints;
    let shelf = shelves.get(handle.length);
    if (!shelf) shelves.set(handle.length, (shelf = []));
    if (shelf.length < this.perSize) shelf.push(handle);
  }

  /** A buffer that is not a handle yet (not counted live): enlist() makes it one, returnSpare() gives it back. */
  spare(length: number): Float32Array {
    return this.floats.get(length)?.pop() ?? new Float32Array(length);
  }

  /** A spare buffer becomes a handle, released like any other. */
  enlist(buffer: Float32Array): Float32Array {
    this.live++;
    return buffer;
  }

  /** Give back a spare buffer that never became a handle. */
  returnSpare(buffer: Float32Array): void {
    this.live++;
    this.release(buffer);
  }

  /** Handles handed out and not yet released. */
  liveCount(): number {
    return this.live;
  }

  clear(): void {
    this.floats.clear();
    this.ints.clear();
  }
}
