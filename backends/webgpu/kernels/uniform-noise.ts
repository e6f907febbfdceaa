/**
 * The webgpu kernel of the custom op uniformNoise (core/nn/custom-ops.ts): PGD's random start drawn on the
 * device, the very numbers Rng.uniformArray draws on the host, so that a step uploads each network's 16-byte
 * generator state rather than its noise.
 *
 * The generator: each thread takes SLICE consecutive draws of one network, jumps to its first (xoshiro128** is
 * linear over GF(2): the state after k steps is A^k s, core/nn/xoshiro-jump.ts) with the matrices
 * A^(SLICE * 2^b) of its slice index's set bits, then steps the generator over its slice. The matrices are
 * uploaded once per backend (JUMP_TABLES of them, 2 KiB each) and kept on the device.
 *
 * The mapping: the host computes low + span * (u / 2^32) in double precision, span = high - low, and stores it
 * as float32. WGSL has no f64, so the kernel emulates that exactly in u32 arithmetic, as the exact definition
 * does (test/nn/uniform-float-oracle.ts): low and span are split on the host into sign, 53-bit integer
 * mantissa and exponent; the product span's mantissa * u is formed exactly (85 bits) and rounded to 53 bits,
 * nearest with ties to even; the sum with low is formed exactly in a 128-bit window (the smaller term shifted
 * down by more than 64 bits keeps a sticky bit, which rounds as the exact term does since the sum then has at
 * least 116 bits) and rounded to 53 bits, then to float32's 24. Declines (the host draws) where that could not
 * be exact: non-finite or zero spans, low or span so small that a result could be subnormal in float32, or so
 * large that one could overflow; and counts beyond the jump tables' reach.
 */
import type { LibraryKernels } from '../../../core/nn/custom-ops.js';
import { STATE_HALVES } from '../../../core/nn/uniform-noise.js';
import { MATRIX_WORDS, jumpByPowerOfTwo } from '../../../core/nn/xoshiro-jump.js';
import { WORKGROUP, elementGroups } from '../shaders.js';
import type { KernelContext, WebgpuHandle } from './context.js';

/** Draws per thread (a power of two: the tables are the jumps by SLICE * 2^b). */
const SLICE_BITS = 6;
const SLICE = 1 << SLICE_BITS;
/** Jump tables: threads per network at most 2^JUMP_TABLES, so at most SLICE * 2^JUMP_TABLES draws per network. */
const JUMP_TABLES = 20;
export const MAX_DRAWS_PER_NETWORK = SLICE * 2 ** JUMP_TABLES;
/** Exponents are passed biased, as u32. */
const EXPONENT_BIAS = 1024;
/**
 * Every nonzero result is a multiple of 2^min(low's exponent, span's - 32), so at least 2^MIN_QUANTUM: a normal
 * float32. With both terms' exponents at most MAX_TERM_EXPONENT (53-bit mantissas, a carry) none overflows.
 */
const MIN_QUANTUM = -126;
const MAX_TERM_EXPONENT = 127 - 54;

/** A finite normal double as (-1)^negative * (high * 2^32 + low) * 2^exponent, the mantissa a 53-bit integer. */
interface SplitDouble {
  readonly negative: boolean;
  readonly high: number;
  readonly low: number;
  readonly exponent: number;
}

function splitDouble(x: number): SplitDouble | undefined {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const [top, bottom] = [view.getUint32(0), view.getUint32(4)];
  const biased = (top >>> 20) & 0x7ff;
  if (biased === 0 || biased === 0x7ff) return undefined;
  return { negative: top >>> 31 === 1, high: (top & 0xfffff) | 0x100000, low: bottom, exponent: biased - 1075 };
}

/** Parameter words 3 to 11 of the mapping of [low, high), or undefined where the emulation could not be exact. */
export function mappingParams(low: number, high: number): number[] | undefined {
  const span = splitDouble(high - low);
  if (!span || span.exponent - 32 < MIN_QUANTUM || span.exponent > MAX_TERM_EXPONENT) return undefined;
  const words = (s: SplitDouble) => [s.negative ? 1 : 0, s.high, s.low, s.exponent + EXPONENT_BIAS];
  // A zero low is a flag and its sign (the sum is then the product, or a signed zero where u = 0).
  if (low === 0) return [1, Object.is(low, -0) ? 1 : 0, 0, 0, EXPONENT_BIAS, ...words(span)];
  const lowSplit = splitDouble(low);
  if (!lowSplit || lowSplit.exponent < MIN_QUANTUM || lowSplit.exponent > MAX_TERM_EXPONENT) return undefined;
  return [0, ...words(lowSplit), ...words(span)];
}

/** Exact arithmetic on 128-bit unsigned integers (vec4<u32>, least significant word first) and the rounding. */
const WIDE_WGSL = /* wgsl */ `
fn bit_length(w: vec4<u32>) -> u32 {
  if (w.w != 0u) { return 128u - countLeadingZeros(w.w); }
  if (w.z != 0u) { return 96u - countLeadingZeros(w.z); }
  if (w.y != 0u) { return 64u - countLeadingZeros(w.y); }
  return 32u - countLeadingZeros(w.x);
}
fn shift_right(w: vec4<u32>, n: u32) -> vec4<u32> {
  let words = n / 32u; let bits = n % 32u;
  var out = vec4<u32>(0u);
  for (var i = 0u; i + words < 4u; i++) {
    var v = w[i + words] >> bits;
    if (bits != 0u && i + words + 1u < 4u) { v = v | (w[i + words + 1u] << (32u - bits)); }
    out[i] = v;
  }
  return out;
}
fn shift_left(w: vec4<u32>, n: u32) -> vec4<u32> {
  let words = n / 32u; let bits = n % 32u;
  var out = vec4<u32>(0u);
  for (var i = words; i < 4u; i++) {
    var v = w[i - words] << bits;
    if (bits != 0u && i > words) { v = v | (w[i - words - 1u] >> (32u - bits)); }
    out[i] = v;
  }
  return out;
}
fn bit_at(w: vec4<u32>, k: u32) -> u32 { return (w[k / 32u] >> (k % 32u)) & 1u; }
fn any_below(w: vec4<u32>, k: u32) -> bool {
  var found = (w[k / 32u] & ((1u << (k % 32u)) - 1u)) != 0u;
  for (var i = 0u; i < k / 32u; i++) { found = found || w[i] != 0u; }
  return found;
}
fn add_wide(a: vec4<u32>, b: vec4<u32>) -> vec4<u32> {
  var out = vec4<u32>(0u);
  var carry = 0u;
  for (var i = 0u; i < 4u; i++) {
    let s = a[i] + b[i];
    let t = s + carry;
    carry = select(0u, 1u, s < a[i]) + select(0u, 1u, t < s);
    out[i] = t;
  }
  return out;
}
fn sub_wide(a: vec4<u32>, b: vec4<u32>) -> vec4<u32> {
  var out = vec4<u32>(0u);
  var borrow = 0u;
  for (var i = 0u; i < 4u; i++) {
    let d = a[i] - b[i];
    out[i] = d - borrow;
    borrow = select(0u, 1u, a[i] < b[i] || d < borrow);
  }
  return out;
}
fn less_wide(a: vec4<u32>, b: vec4<u32>) -> bool {
  for (var i = 3; i >= 0; i--) {
    if (a[i] != b[i]) { return a[i] < b[i]; }
  }
  return false;
}
/** x * y as (low word, high word), through 16-bit halves. */
fn mul_wide(x: u32, y: u32) -> vec2<u32> {
  let xl = x & 0xffffu; let xh = x >> 16u; let yl = y & 0xffffu; let yh = y >> 16u;
  let ll = xl * yl; let lh = xl * yh; let hl = xh * yl; let hh = xh * yh;
  let mid = lh + hl;
  let mid_carry = select(0u, 0x10000u, mid < lh);
  let low = ll + (mid << 16u);
  let low_carry = select(0u, 1u, low < ll);
  return vec2<u32>(low, hh + (mid >> 16u) + mid_carry + low_carry);
}
struct Rounded { m: vec4<u32>, shift: u32 }
/** w (nonzero) rounded to \`bits\` significant bits, nearest with ties to even: m * 2^shift. */
fn round_to(w: vec4<u32>, bits: u32) -> Rounded {
  let significant = bit_length(w);
  if (significant <= bits) { return Rounded(w, 0u); }
  var shift = significant - bits;
  var q = shift_right(w, shift);
  if (bit_at(w, shift - 1u) == 1u && (any_below(w, shift - 1u) || (q.x & 1u) == 1u)) {
    q = add_wide(q, vec4<u32>(1u, 0u, 0u, 0u));
    if (bit_length(q) > bits) { q = shift_right(q, 1u); shift += 1u; }
  }
  return Rounded(q, shift);
}
`;

/**
 * The mapping of a draw u to float32 bits. Parameter words: 3 low is zero, 4..7 low's sign, mantissa high and low
 * words and biased exponent, 8..11 the same of span.
 */
const MAPPING_WGSL = /* wgsl */ `
fn exponent_of(word: u32) -> i32 { return i32(word) - ${EXPONENT_BIAS}; }
/** m (nonzero, at most 53 bits) * 2^e rounded to float32 (a normal one: the parameters' range ensures it). */
fn float_bits(m: vec4<u32>, e: i32, negative: bool) -> u32 {
  let r = round_to(m, 24u);
  let significant = bit_length(r.m);
  let mantissa = r.m.x << (24u - significant);
  let biased = e + i32(r.shift) + i32(significant) - 1 + 127;
  return select(0u, 0x80000000u, negative) | (u32(biased) << 23u) | (mantissa & 0x7fffffu);
}
/** A term with exponent e placed in the sum's 128-bit window, whose least significant bit is 2^(top - 64). */
fn aligned(m: vec4<u32>, top: i32, e: i32) -> vec4<u32> {
  let d = top - e;
  if (d <= 64) { return shift_left(m, u32(64 - d)); }
  let right = u32(d - 64);
  if (right >= 64u) { return vec4<u32>(1u, 0u, 0u, 0u); }
  var out = shift_right(m, right);
  if (any_below(m, right)) { out.x = out.x | 1u; }
  return out;
}
fn uniform_bits(u: u32) -> u32 {
  let low_zero = p(3u) == 1u;
  let low_negative = p(4u) == 1u;
  let low_m = vec4<u32>(p(6u), p(5u), 0u, 0u);
  let low_e = exponent_of(p(7u));
  let span_negative = p(8u) == 1u;
  if (u == 0u) {
    if (low_zero) { return select(0u, 0x80000000u, low_negative && span_negative); }
    return float_bits(low_m, low_e, low_negative);
  }
  let a = mul_wide(u, p(10u));
  let b = mul_wide(u, p(9u));
  let middle = a.y + b.x;
  let product = round_to(vec4<u32>(a.x, middle, b.y + select(0u, 1u, middle < a.y), 0u), 53u);
  let product_e = exponent_of(p(11u)) - 32 + i32(product.shift);
  if (low_zero) { return float_bits(product.m, product_e, span_negative); }
  let top = max(low_e, product_e);
  let x = aligned(low_m, top, low_e);
  let y = aligned(product.m, top, product_e);
  var sum: vec4<u32>;
  var negative: bool;
  if (low_negative == span_negative) { sum = add_wide(x, y); negative = low_negative; }
  else if (less_wide(x, y)) { sum = sub_wide(y, x); negative = span_negative; }
  else { sum = sub_wide(x, y); negative = low_negative; }
  if (all(sum == vec4<u32>(0u))) { return 0u; }
  let rounded = round_to(sum, 53u);
  return float_bits(rounded.m, top - 64 + i32(rounded.shift), negative);
}
`;

/**
 * Parameter words: 0 the threads, 1 threads per network, 2 draws per network, then the mapping's (3..11).
 * Bindings: the states [T, 8] (float32 halves), the jump tables, the output [T * count].
 */
const SOURCE = /* wgsl */ `
@group(0) @binding(1) var<storage, read> states: array<f32>;
@group(0) @binding(2) var<storage, read> tables: array<u32>;
@group(0) @binding(3) var<storage, read_write> noise: array<u32>;
${WIDE_WGSL}${MAPPING_WGSL}
fn jump(s: vec4<u32>, table: u32) -> vec4<u32> {
  var out_state = vec4<u32>(0u);
  for (var c = 0u; c < 128u; c++) {
    if (bit_at(s, c) == 1u) {
      let k = (table * 128u + c) * 4u;
      out_state = out_state ^ vec4<u32>(tables[k], tables[k + 1u], tables[k + 2u], tables[k + 3u]);
    }
  }
  return out_state;
}
/** xoshiro128**'s output for state s, s stepped (core/nn/rng.ts). */
fn next_draw(s: ptr<function, vec4<u32>>) -> u32 {
  let s1 = (*s).y;
  let product = s1 * 5u;
  let result = ((product << 7u) | (product >> 25u)) * 9u;
  let t = s1 << 9u;
  (*s).z = (*s).z ^ (*s).x;
  (*s).w = (*s).w ^ (*s).y;
  (*s).y = (*s).y ^ (*s).z;
  (*s).x = (*s).x ^ (*s).w;
  (*s).z = (*s).z ^ t;
  (*s).w = ((*s).w << 11u) | ((*s).w >> 21u);
  return result;
}
fn state_word(network: u32, k: u32) -> u32 {
  let base = network * ${STATE_HALVES}u + 2u * k;
  return u32(states[base]) | (u32(states[base + 1u]) << 16u);
}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let thread = gid.y * groups.x * ${WORKGROUP}u + gid.x;
  if (thread >= p(0u)) { return; }
  let network = thread / p(1u);
  let slice = thread % p(1u);
  var s = vec4<u32>(state_word(network, 0u), state_word(network, 1u), state_word(network, 2u), state_word(network, 3u));
  for (var b = 0u; (slice >> b) != 0u; b++) {
    if (((slice >> b) & 1u) == 1u) { s = jump(s, b); }
  }
  let first = slice * ${SLICE}u;
  let end = min(first + ${SLICE}u, p(2u));
  for (var i = first; i < end; i++) { noise[network * p(2u) + i] = uniform_bits(next_draw(&s)); }
}
`;

/** The jump tables: A^(SLICE * 2^b) for b < JUMP_TABLES, each MATRIX_WORDS words. */
function jumpTables(): Uint32Array {
  const tables = new Uint32Array(JUMP_TABLES * MATRIX_WORDS);
  for (let b = 0; b < JUMP_TABLES; b++) tables.set(jumpByPowerOfTwo(SLICE_BITS + b), b * MATRIX_WORDS);
  return tables;
}

export function uniformNoiseKernels(ctx: KernelContext): Pick<LibraryKernels<WebgpuHandle>, 'uniformNoise'> {
  return {
    uniformNoise: ({ states }, { count, low, high }) => {
      const [networks, halves] = states.shape;
      if (states.shape.length !== 2 || halves !== STATE_HALVES || !networks || states.dtype !== 'float32') return undefined;
      if (!Number.isInteger(count) || count <= 0 || count > MAX_DRAWS_PER_NETWORK || networks * count > 2 ** 31) return undefined;
      const mapping = mappingParams(low, high);
      if (!mapping) return undefined;
      const perNetwork = Math.ceil(count / SLICE);
      const threads = networks * perNetwork;
      const out = ctx.output(networks * count);
      const tables = ctx.constant('uniformNoise:jumps', jumpTables);
      const program = ctx.programs.get('custom:uniformNoise', 2, () => SOURCE);
      ctx.queue.dispatch(program, [states.handle.buffer, tables, out.buffer], [threads, perNetwork, count, ...mapping], elementGroups(threads));
      return [out];
    },
  };
}
