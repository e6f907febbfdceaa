/**
 * The engine's host fallback for optional primitives on a backend whose reads are asynchronous only (as webgpu's
 * are): it cannot read the inputs inside bind, so it must stop with a BackendError that says what to do, and
 * leave every other primitive and every other read failure as it was.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../../backends/reference/index.js';
import { withoutOptionalPrimitives, type Backend, type HostData } from '../../core/autodiff/backend.js';
import { setActiveBackend } from '../../core/autodiff/engine.js';
import * as op from '../../core/autodiff/ops.js';
import { BackendError, RsnError } from '../../core/errors.js';

const reference = createReferenceBackend('float32');
afterEach(() => setActiveBackend(reference));

/** The reference backend without optional kernels, whose synchronous read throws `readError`. */
function unreadable(readError: Error, asynchronous: boolean): Backend<HostData> {
  const inner = withoutOptionalPrimitives(createReferenceBackend('float32'));
  return {
    ...inner,
    name: 'async-only',
    read: () => {
      throw readError;
    },
    readAsync: asynchronous ? async (info) => inner.read(info) : undefined,
  };
}

describe('the host fallback on a backend that reads asynchronously only', () => {
  const image = () => op.tensor(Float32Array.from({ length: 16 }, (_, i) => i), [1, 4, 4, 1]);

  it.each([
    ['conv2d', () => op.conv2d(image(), op.ones([3, 3, 1, 1]), 'same')],
    ['maxPool', () => op.maxPool(image(), 2)],
  ])('%s fails with a BackendError that names the primitive and what to do', (primitive, apply) => {
    setActiveBackend(unreadable(new BackendError('reads are asynchronous'), true));
    expect(apply).toThrow(BackendError);
    expect(apply).toThrow(new RegExp(`backend 'async-only' has no kernel of the optional primitive '${primitive}'.*reads asynchronously only`));
    expect(apply).toThrow(/list it in its optionalPrimitives.*or run on a backend with synchronous reads/s);
  });

  it('leaves the required primitives and asynchronous reads working', async () => {
    setActiveBackend(unreadable(new BackendError('reads are asynchronous'), true));
    expect(Array.from(await op.add(image(), 1).data())).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
  });

  it('passes a read failure of a backend with synchronous reads through unchanged', () => {
    const failure = new RsnError('the device was lost');
    setActiveBackend(unreadable(failure, false));
    expect(() => op.maxPool(image(), 2)).toThrow(failure);
  });
});
