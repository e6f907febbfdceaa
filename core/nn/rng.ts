import { advanceState } from './xoshiro-jump.js';

/**
 * The seeded random generator: xoshiro128** (Blackman & Vigna), its 128-bit state filled by SplitMix32 from a
 * 32-bit seed. All randomness in rsn flows from instances of this class; there is no other source.
 */
export class Rng {
  /** The xoshiro128** state as int32 (typed storage keeps the arithmetic in 32-bit integers, unboxed). */
  private readonly s = new Int32Array(4);
  private spareNormal: number | undefined;

  constructor(readonly seed: number) {
    let x = seed >>> 0;
    const splitmix = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    for (let i = 0; i < 4; i++) this.s[i] = splitmix();
  }

  /** A uniformly distributed 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const s1 = s[1]!;
    const product = Math.imul(s1, 5);
    const result = Math.imul((product << 7) | (product >>> 25), 9) >>> 0;
    const t = s1 << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s1;
    s[1] = s1 ^ s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    const s3 = s[3]!;
    s[3] = (s3 << 11) | (s3 >>> 21);
    return result;
  }

  /** The xoshiro128** state: four u32 words (a copy); xoshiro-jump.ts and the device kernels step from it. */
  state(): Uint32Array {
    return Uint32Array.from(this.s, (w) => w >>> 0);
  }

  /** Skip n draws of nextUint32 (as many as uniformArray(n) makes) without drawing them, by jumping ahead. */
  advance(n: number): void {
    this.s.set(new Int32Array(advanceState(this.state(), n).buffer));
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** Standard normal (Box-Muller; the second variate is kept for the next call). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const v = this.spareNormal;
      this.spareNormal = undefined;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const radius = Math.sqrt(-2 * Math.log(u));
    const angle = 2 * Math.PI * this.next();
    this.spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Fisher-Yates shuffle in place. */
  shuffle<T extends { length: number; [i: number]: number }>(values: T): T {
    for (let i = values.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = values[i]!;
      values[i] = values[j]!;
      values[j] = tmp;
    }
    return values;
  }

  /**
   * A Float32Array of uniforms in [low, high): low + (high - low) * next() for each, the state held in locals
   * for the loop (PGD's random start draws 47,040 a step).
   */
  uniformArray(n: number, low: number, high: number): Float32Array {
    const out = new Float32Array(n);
    const s = this.s;
    let s0 = s[0]!, s1 = s[1]!, s2 = s[2]!, s3 = s[3]!;
    const span = high - low;
    for (let i = 0; i < n; i++) {
      const product = Math.imul(s1, 5);
      const result = Math.imul((product << 7) | (product >>> 25), 9) >>> 0;
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      out[i] = low + span * (result / 4294967296);
    }
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
    s[3] = s3;
    return out;
  }

  /** An independent generator derived from this one's seed and a list of integers (trial, round, purpose). */
  derive(...path: number[]): Rng {
    let h = this.seed >>> 0;
    for (const p of path) h = Math.imul(h ^ (p + 0x9e3779b9 + (h << 6) + (h >>> 2)), 0x27d4eb2d) >>> 0;
    return new Rng(h);
  }
}
