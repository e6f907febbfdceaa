import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { broadcastIndices } from '../../backends/reference/elementwise.js';
import { transpose } from '../../backends/reference/layout.js';
import { accessOf, broadcastStrides, coalesce, rowMajorStrides, type StridedPlan } from '../../backends/webgpu/layout.js';
import { elementGroups, floatBits, WORKGROUP } from '../../backends/webgpu/shaders.js';
import { broadcastShapes, sizeOf } from '../../core/autodiff/shapes.js';

/**
 * The webgpu backend's host-side index plans, without a device: the offsets a coalesced plan gives (what the
 * WGSL `offsets` function computes) must equal the reference backend's broadcast indices and transposes.
 */
function offsetsOf(plan: StridedPlan, k: number, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let rem = i;
    let o = 0;
    for (let d = plan.shape.length - 1; d >= 0; d--) {
      o += (rem % plan.shape[d]!) * plan.strides[k]![d]!;
      rem = Math.floor(rem / plan.shape[d]!);
    }
    out.push(o);
  }
  return out;
}

describe('webgpu index plans', () => {
  it('broadcast plans read the elements the reference reads (fast-check, seeded)', () => {
    const dim = fc.integer({ min: 1, max: 4 });
    fc.assert(
      fc.property(fc.array(fc.tuple(dim, fc.boolean(), fc.boolean()), { maxLength: 5 }), fc.nat(2), (dims, drop) => {
        const a = dims.map(([d, keep]) => (keep ? d : 1));
        const b = dims.map(([d, , keep]) => (keep ? d : 1)).slice(Math.min(drop, dims.length));
        const out = broadcastShapes(a, b);
        const n = sizeOf(out);
        const plan = coalesce(out, [broadcastStrides(a, out), broadcastStrides(b, out)], 'test');
        const [ia, ib] = broadcastIndices([a, b], out);
        expect(offsetsOf(plan, 0, n)).toEqual(Array.from(ia!));
        expect(offsetsOf(plan, 1, n)).toEqual(Array.from(ib!));
        expect(plan.shape.length).toBeLessThanOrEqual(out.length);
      }),
      { seed: 99, numRuns: 200 },
    );
  });

  it('transpose plans read the elements the reference transpose moves', () => {
    const shape = [2, 3, 4, 5];
    const x = Float32Array.from({ length: 120 }, (_, i) => i);
    for (const perm of [[0, 1, 2, 3], [3, 2, 1, 0], [1, 0, 2, 3], [0, 2, 3, 1], [2, 3, 0, 1]]) {
      const strides = rowMajorStrides(shape);
      const plan = coalesce(perm.map((p) => shape[p]!), [perm.map((p) => strides[p]!)], 'test');
      expect(offsetsOf(plan, 0, 120), `perm [${perm}]`).toEqual(Array.from(transpose(x, shape, perm)));
    }
  });

  it('merges axes: same-shape inputs read element i, scalars element 0', () => {
    const out = [3, 4, 5];
    const plan = coalesce(out, [broadcastStrides(out, out), broadcastStrides([], out), broadcastStrides([4, 5], out)], 'test');
    expect(plan.shape).toEqual([3, 20]);
    expect([accessOf(plan, 0), accessOf(plan, 1), accessOf(plan, 2)]).toEqual(['full', 'scalar', 'strided']);
  });

  it('folds dispatches past 65535 workgroups into y, covering every element', () => {
    for (const n of [1, 64, 65535 * WORKGROUP, 65535 * WORKGROUP + 1, 10_000_000]) {
      const [x, y, z] = elementGroups(n);
      expect(x).toBeLessThanOrEqual(65535);
      expect(y).toBeLessThanOrEqual(65535);
      expect(z).toBe(1);
      expect(x * y * WORKGROUP).toBeGreaterThanOrEqual(n);
    }
    expect(floatBits(-0)).toBe(0x80000000);
    expect(floatBits(1)).toBe(0x3f800000);
  });
});
