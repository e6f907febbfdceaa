/**
 * The matrix product of the addon as built here (oneDNN or OpenBLAS, native/install.cjs): against float64, its
 * epilogues against the kernels they fuse, the same bits on every call, and the library's threads.
 */
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadAddon } from '../../../backends/native/addon.js';
import { createNativeBackend } from '../../../backends/native/index.js';
import { Rng } from '../../../core/nn/rng.js';
import { expectProductsConform } from './products-support.js';
import { expectClose, expectIdentical, native, reference, runKernel, suiteTitle } from './support.js';

describe.skipIf(!native.backend)(suiteTitle('matrix products'), () => {
  it('agree with float64 to float32 accumulation; relu and relu-gradient epilogues equal maximum and reluGrad after the product', () => {
    expectProductsConform(loadAddon(), 40);
  });

  it('give the same bits on every call (lane-layout shapes of dense-300-100)', () => {
    const addon = loadAddon();
    const rng = new Rng(4);
    for (const [m, n, k, tA, tB] of [[300, 64, 784, 1, 0], [784, 64, 300, 0, 0], [784, 300, 128, 0, 1]] as const) {
      const [a, b] = [rng.uniformArray(m * k, -1, 1), rng.uniformArray(k * n, -1, 1)];
      const first = new Float32Array(m * n);
      addon.matmul(a, b, first, m, n, k, tA, tB);
      for (let call = 0; call < 3; call++) {
        const again = new Float32Array(m * n);
        addon.matmul(a, b, again, m, n, k, tA, tB);
        expectIdentical(again, first, `[${m}, ${n}, ${k}] call ${call + 2}`);
      }
    }
  });

  it('run one thread by default; the threads option (or RSN_NATIVE_THREADS) asks for more', () => {
    const addon = loadAddon();
    expect(addon.getThreads()).toBe(Number(process.env.RSN_NATIVE_THREADS ?? 1));
    const threaded = createNativeBackend({ threads: 2 });
    try {
      // OpenBLAS caps its threads at the cores it finds; OpenMP (oneDNN) takes the count as given.
      expect(addon.getThreads()).toBe(addon.library() === 'openblas' ? Math.min(2, availableParallelism()) : 2);
      const a = { values: Array.from({ length: 200 * 300 }, (_, i) => Math.sin(i)), shape: [200, 300] };
      const b = { values: Array.from({ length: 300 * 250 }, (_, i) => Math.cos(i)), shape: [300, 250] };
      const got = runKernel(threaded, 'matmul', [a, b], { transposeA: false, transposeB: false }).values;
      const want = runKernel(reference, 'matmul', [a, b], { transposeA: false, transposeB: false }).values;
      expectClose(got, want, 1e-4, 1e-3, 'threaded matmul');
    } finally {
      addon.setThreads(1);
    }
  });

  it('throw on an unknown epilogue or a gate too short for the output', () => {
    const addon = loadAddon();
    const [a, b, out] = [new Float32Array(6), new Float32Array(6), new Float32Array(4)];
    expect(() => addon.matmul(a, b, out, 2, 2, 3, 0, 0, 7)).toThrow(/unknown epilogue/);
    expect(() => addon.matmul(a, b, out, 2, 2, 3, 0, 0, 2, new Float32Array(3))).toThrow(/too short/);
  });
});
