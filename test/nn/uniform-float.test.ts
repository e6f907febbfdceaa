/**
 * The exact integer definition of Rng.uniformArray's float mapping (uniform-float-oracle.ts, the reference for
 * the webgpu kernel's emulation) equals the JavaScript expression, low + (high - low) * (u / 2^32) stored as
 * float32, bit for bit, over special draws (0, 1, 2^31 +- small, 2^32 - 1, those that cancel low exactly or
 * nearly) and random ones, for symmetric and asymmetric ranges.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/nn/rng.js';
import { exactUniformFloat } from './uniform-float-oracle.js';
import { RANGES, specialDraws } from './uniform-float-cases.js';

const asFloat32 = (x: number): number => new Float32Array([x])[0]!;
const bitsOf = (x: number): number => new Uint32Array(new Float32Array([x]).buffer)[0]!;

describe('the exact definition of the uniform float mapping', () => {
  it('equals the double-precision expression rounded to float32, signed zeros included', () => {
    const rng = new Rng(4);
    for (const [low, high] of RANGES) {
      const draws = [...specialDraws(low, high), ...Array.from({ length: 20000 }, () => rng.nextUint32())];
      for (const u of draws) {
        const expected = asFloat32(low + (high - low) * (u / 4294967296));
        const exact = exactUniformFloat(low, high, u);
        if (bitsOf(exact) !== bitsOf(expected)) expect.fail(`[${low}, ${high}) u = ${u}: exact ${exact}, the expression ${expected}`);
      }
    }
  });

  it('the cases reach exact zeros and tiny magnitudes', () => {
    const values = RANGES.flatMap(([low, high]) => specialDraws(low, high).map((u) => exactUniformFloat(low, high, u)));
    expect(values.some((v) => v === 0)).toBe(true);
    expect(values.some((v) => v !== 0 && Math.abs(v) < 1e-9)).toBe(true);
  });
});
