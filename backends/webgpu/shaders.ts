/**
 * WGSL shared by the kernels. Values travel as u32 bit patterns and are compared through integer keys, so
 * that comparisons, max/min, sign, neg, where and every copy are exact whatever the GPU does with subnormal
 * floats (WGSL lets an implementation flush them to zero in arithmetic).
 */
import type { Workgroups } from './queue.js';

/** Invocations per workgroup of the one-thread-per-element kernels. */
export const WORKGROUP = 64;
const MAX_GROUPS_PER_DIM = 65535;

/** Bit-level helpers: float32 in u32, IEEE comparisons (NaN compares false; -0 equals +0). */
export const FLOAT_BITS_WGSL = /* wgsl */ `
const ONE: u32 = 0x3f800000u;
fn f(x: u32) -> f32 { return bitcast<f32>(x); }
fn u(x: f32) -> u32 { return bitcast<u32>(x); }
fn is_nan(x: u32) -> bool { return (x & 0x7fffffffu) > 0x7f800000u; }
fn both_zero(x: u32, y: u32) -> bool { return ((x | y) & 0x7fffffffu) == 0u; }
fn key(x: u32) -> i32 { let b = bitcast<i32>(x); return select(b, b ^ 0x7fffffff, b < 0); }
fn gt(x: u32, y: u32) -> bool { return !is_nan(x) && !is_nan(y) && !both_zero(x, y) && key(x) > key(y); }
fn eq(x: u32, y: u32) -> bool { return !is_nan(x) && !is_nan(y) && (x == y || both_zero(x, y)); }
`;

/** The entry point of a one-thread-per-element kernel over p(0) elements; `body` sees the element index i. */
export function perElement(body: string): string {
  return /* wgsl */ `
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.y * groups.x * ${WORKGROUP}u + gid.x;
  if (i >= p(0u)) { return; }
${body}
}
`;
}

/** Workgroups covering n elements at WORKGROUP per group, folded into y past the per-dimension limit. */
export function elementGroups(n: number): Workgroups {
  const total = Math.ceil(n / WORKGROUP);
  if (total <= MAX_GROUPS_PER_DIM) return [total, 1, 1];
  const y = Math.ceil(total / MAX_GROUPS_PER_DIM);
  return [Math.ceil(total / y), y, 1];
}

/** The float32 bits of a number, as a parameter word. */
export function floatBits(x: number): number {
  FLOAT_VIEW[0] = x;
  return WORD_VIEW[0]!;
}
const FLOAT_VIEW = new Float32Array(1);
const WORD_VIEW = new Uint32Array(FLOAT_VIEW.buffer);
