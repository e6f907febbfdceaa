/**
 * The exact definition of Rng.uniformArray's mapping of a draw u to a float32, in integer arithmetic (BigInt):
 * low + span * (u / 2^32) in IEEE double precision, span = high - low, each operation exact then rounded to 53
 * bits (nearest, ties to even), and the sum rounded again to float32's 24 bits when stored in a Float32Array.
 * It is the reference for the webgpu kernel's emulation of that mapping in u32 arithmetic
 * (backends/webgpu/kernels/uniform-noise.ts), which follows the same steps; its own test checks it against
 * the JavaScript expression. Finite values, results in float32's normal range (or zero).
 */

/** A finite value as an exact signed integer times a power of two. */
interface Exact {
  readonly n: bigint;
  readonly e: number;
}

function exactOf(x: number): Exact {
  if (x === 0) return { n: 0n, e: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const magnitude = biased === 0 ? fraction : fraction | (1n << 52n);
  const n = bits >> 63n === 1n ? -magnitude : magnitude;
  return { n, e: biased === 0 ? -1074 : biased - 1075 };
}

const bitLength = (n: bigint): number => (n === 0n ? 0 : n.toString(2).length);

/** |x| rounded to `bits` significant bits, nearest with ties to even (the sign kept). */
function round(x: Exact, bits: number): Exact {
  const negative = x.n < 0n;
  const m = negative ? -x.n : x.n;
  const shift = bitLength(m) - bits;
  if (shift <= 0) return x;
  let q = m >> BigInt(shift);
  const rest = m - (q << BigInt(shift));
  const half = 1n << BigInt(shift - 1);
  if (rest > half || (rest === half && (q & 1n) === 1n)) q += 1n;
  return { n: negative ? -q : q, e: x.e + shift };
}

function add(a: Exact, b: Exact): Exact {
  const e = Math.min(a.e, b.e);
  return { n: (a.n << BigInt(a.e - e)) + (b.n << BigInt(b.e - e)), e };
}

const valueOf = (x: Exact): number => Number(x.n) * 2 ** x.e;

/** The float32 that Rng.uniformArray stores for draw u (as a number); signed zeros as IEEE addition gives them. */
export function exactUniformFloat(low: number, high: number, u: number): number {
  const span = high - low;
  const product = round({ n: exactOf(span).n * BigInt(u), e: exactOf(span).e - 32 }, 53);
  const sum = round(add(exactOf(low), product), 53);
  if (sum.n === 0n) {
    // An exact zero sum is +0, unless both terms are -0 (IEEE 754, round to nearest).
    const productNegative = span < 0 || Object.is(span, -0);
    return Object.is(low, -0) && productNegative ? -0 : 0;
  }
  return valueOf(round(sum, 24));
}
