/**
 * Jumping ahead in xoshiro128** (rng.ts) without drawing. Its state transition is linear over GF(2): the state
 * after k steps is A^k s for a 128 x 128 bit matrix A, so a jump by n is the product of the matrices A^(2^b)
 * for the set bits b of n, each the square of the one before (computed once, cached).
 *
 * A state is four u32 words, bit c of the state being bit (c mod 32) of word floor(c / 32). A matrix is stored
 * by columns: column c (words 4c..4c+3) is the image of the state with only bit c set, so applying it is the
 * XOR of the columns of the state's set bits.
 */

export const STATE_WORDS = 4;
const STATE_BITS = 128;
/** Words of one jump matrix (128 columns of 4 words). */
export const MATRIX_WORDS = STATE_BITS * STATE_WORDS;

export type JumpMatrix = Uint32Array;

/** One step of xoshiro128**'s state, in place (rng.ts, nextUint32, without the output). */
export function stepState(s: Uint32Array): void {
  const t = (s[1]! << 9) >>> 0;
  s[2]! ^= s[0]!;
  s[3]! ^= s[1]!;
  s[1]! ^= s[2]!;
  s[0]! ^= s[3]!;
  s[2]! ^= t;
  s[3] = ((s[3]! << 11) | (s[3]! >>> 21)) >>> 0;
}

/** m applied to state s (a new state). */
export function applyJump(m: JumpMatrix, s: Uint32Array): Uint32Array {
  const out = new Uint32Array(STATE_WORDS);
  for (let c = 0; c < STATE_BITS; c++) {
    if (((s[c >>> 5]! >>> (c & 31)) & 1) === 0) continue;
    for (let w = 0; w < STATE_WORDS; w++) out[w]! ^= m[c * STATE_WORDS + w]!;
  }
  return out;
}

/** a after b: column c of the product is a applied to column c of b. */
function compose(a: JumpMatrix, b: JumpMatrix): JumpMatrix {
  const out = new Uint32Array(MATRIX_WORDS);
  for (let c = 0; c < STATE_BITS; c++) out.set(applyJump(a, b.subarray(c * STATE_WORDS, (c + 1) * STATE_WORDS)), c * STATE_WORDS);
  return out;
}

function stepMatrix(): JumpMatrix {
  const m = new Uint32Array(MATRIX_WORDS);
  for (let c = 0; c < STATE_BITS; c++) {
    const column = new Uint32Array(STATE_WORDS);
    column[c >>> 5] = (1 << (c & 31)) >>> 0;
    stepState(column);
    m.set(column, c * STATE_WORDS);
  }
  return m;
}

/** A^(2^b) at index b, extended on demand. */
const powersOfTwo: JumpMatrix[] = [];

/** The jump by 2^b steps (b < 53: every draw count is a safe integer). */
export function jumpByPowerOfTwo(b: number): JumpMatrix {
  if (!Number.isInteger(b) || b < 0 || b > 52) throw new RangeError(`a jump by 2^${b} steps: the exponent must be an integer in [0, 52]`);
  if (powersOfTwo.length === 0) powersOfTwo.push(stepMatrix());
  while (powersOfTwo.length <= b) {
    const last = powersOfTwo[powersOfTwo.length - 1]!;
    powersOfTwo.push(compose(last, last));
  }
  return powersOfTwo[b]!;
}

/** The state n steps after s (n a non-negative safe integer): the jumps of n's set bits applied in turn. */
export function advanceState(s: Uint32Array, n: number): Uint32Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`cannot advance a generator by ${n} draws: a non-negative safe integer is needed`);
  let state: Uint32Array = Uint32Array.from(s);
  for (let b = 0, rest = n; rest > 0; b++, rest = Math.floor(rest / 2)) {
    if (rest % 2 === 1) state = applyJump(jumpByPowerOfTwo(b), state);
  }
  return state;
}
