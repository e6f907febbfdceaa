/**
 * A minimal WebAssembly binary writer for elementwise float32 kernels (simd/kernels.ts): one module that
 * imports its memory (`env.memory`, tfjs-wasm's heap) and exports functions. A kernel is written once as
 * expressions over its inputs; the writer emits a 4-lane SIMD loop and a scalar loop for the remainder from
 * the same expressions, so both compute the same float32 operations.
 *
 * Binary format: WebAssembly core specification, section 5 (Binary Format), and the SIMD proposal's opcode
 * table (0xFD prefix, LEB128 sub-opcode).
 */

/** An expression over the elements of a kernel's inputs. */
export type Expr =
  | { readonly kind: 'load'; readonly input: number }
  | { readonly kind: 'scalar'; readonly index: number }
  | { readonly kind: 'let'; readonly name: string }
  | { readonly kind: 'binary'; readonly op: BinaryOp; readonly a: Expr; readonly b: Expr }
  | { readonly kind: 'sqrt'; readonly a: Expr }
  | { readonly kind: 'signTimes'; readonly g: Expr; readonly scale: Expr; readonly negScale: Expr };

/** add, sub, mul, div: IEEE float32. pmin(a, b) = b < a ? b : a; pmax(a, b) = a < b ? b : a (WebAssembly's). */
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'pmin' | 'pmax';

export interface KernelDef {
  readonly name: string;
  /** Input arrays (byte offsets into memory), then output arrays, then the element count, then f32 scalars. */
  readonly inputs: number;
  readonly outputs: number;
  readonly scalars: number;
  /** Named intermediate values, computed in order (each may use the earlier ones). */
  readonly lets: readonly (readonly [string, Expr])[];
  /** One expression per output. */
  readonly results: readonly Expr[];
}

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

const bytesOf = (text: string): number[] => [...new TextEncoder().encode(text)];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, content: number[]): number[] => [id, ...uleb(content.length), ...content];

const simd = (code: number): number[] => [0xfd, ...uleb(code)];
const MEMARG = [2, 0]; // alignment 2^2, offset 0
const op = {
  localGet: (i: number) => [0x20, ...uleb(i)],
  localSet: (i: number) => [0x21, ...uleb(i)],
  i32Const: (v: number) => [0x41, ...sleb(v)],
  f32Const: (v: number) => [0x43, ...new Uint8Array(Float32Array.of(v).buffer)],
  i32Add: [0x6a], i32Shl: [0x74], i32And: [0x71], i32GeU: [0x4f],
  block: [0x02, 0x40], loop: [0x03, 0x40], end: [0x0b], br: (d: number) => [0x0c, ...uleb(d)], brIf: (d: number) => [0x0d, ...uleb(d)],
  select: [0x1b],
  f32Load: [0x2a, ...MEMARG], f32Store: [0x38, ...MEMARG],
  f32: { add: [0x92], sub: [0x93], mul: [0x94], div: [0x95], sqrt: [0x91], lt: [0x5d], gt: [0x5e] },
  v128Load: [...simd(0x00), ...MEMARG], v128Store: [...simd(0x0b), ...MEMARG],
  f32x4Splat: simd(0x13), v128And: simd(0x4e), v128Or: simd(0x50),
  f32x4: { add: simd(0xe4), sub: simd(0xe5), mul: simd(0xe6), div: simd(0xe7), sqrt: simd(0xe3), pmin: simd(0xea), pmax: simd(0xeb), lt: simd(0x43), gt: simd(0x44) },
};

/** Local variable allocation for one function body: parameters first, then locals grouped by type. */
class Locals {
  private readonly types: number[] = [];
  constructor(private readonly params: number) {}
  add(type: number): number {
    this.types.push(type);
    return this.params + this.types.length - 1;
  }
  declarations(): number[][] {
    return this.types.map((t) => [1, t]);
  }
}

/** The body of one kernel: a SIMD loop over whole groups of 4 elements, then a scalar loop over the rest. */
function kernelBody(def: KernelDef): { locals: number[][]; code: number[] } {
  const arrays = def.inputs + def.outputs;
  const countParam = arrays;
  const scalarParam = (i: number) => arrays + 1 + i;
  const locals = new Locals(arrays + 1 + def.scalars);
  const offset = locals.add(I32);
  const simdEnd = locals.add(I32);
  const end = locals.add(I32);
  const splats = Array.from({ length: def.scalars }, () => locals.add(V128));
  const vectorLets = new Map(def.lets.map(([name]) => [name, locals.add(V128)]));
  const scalarLets = new Map(def.lets.map(([name]) => [name, locals.add(F32)]));

  const address = (array: number) => [...op.localGet(array), ...op.localGet(offset), ...op.i32Add];

  const vector = (e: Expr): number[] => {
    switch (e.kind) {
      case 'load': return [...address(e.input), ...op.v128Load];
      case 'scalar': return op.localGet(splats[e.index]!);
      case 'let': return op.localGet(vectorLets.get(e.name)!);
      case 'binary': return [...vector(e.a), ...vector(e.b), ...op.f32x4[e.op]];
      case 'sqrt': return [...vector(e.a), ...op.f32x4.sqrt];
      case 'signTimes': {
        // (g > 0 ? scale : 0) | (g < 0 ? -scale : 0), lanewise on the bits: 0 (+0) for g = +-0.
        const g = vector(e.g);
        const zero = [...op.f32Const(0), ...op.f32x4Splat];
        return [
          ...g, ...zero, ...op.f32x4.gt, ...vector(e.scale), ...op.v128And,
          ...g, ...zero, ...op.f32x4.lt, ...vector(e.negScale), ...op.v128And,
          ...op.v128Or,
        ];
      }
    }
  };

  const scalar = (e: Expr): number[] => {
    switch (e.kind) {
      case 'load': return [...address(e.input), ...op.f32Load];
      case 'scalar': return op.localGet(scalarParam(e.index));
      case 'let': return op.localGet(scalarLets.get(e.name)!);
      case 'binary': {
        if (e.op !== 'pmin' && e.op !== 'pmax') return [...scalar(e.a), ...scalar(e.b), ...op.f32[e.op]];
        const [a, b] = [locals.add(F32), locals.add(F32)];
        const set = [...scalar(e.a), ...op.localSet(a), ...scalar(e.b), ...op.localSet(b)];
        // select(x, y, c) = c ? x : y.  pmin: b < a ? b : a.  pmax: a < b ? b : a.
        const condition = e.op === 'pmin' ? [...op.localGet(b), ...op.localGet(a)] : [...op.localGet(a), ...op.localGet(b)];
        return [...set, ...op.localGet(b), ...op.localGet(a), ...condition, ...op.f32.lt, ...op.select];
      }
      case 'sqrt': return [...scalar(e.a), ...op.f32.sqrt];
      case 'signTimes': {
        const g = locals.add(F32);
        return [
          ...scalar(e.g), ...op.localSet(g),
          ...scalar(e.scale),
          ...scalar(e.negScale), ...op.f32Const(0), ...op.localGet(g), ...op.f32Const(0), ...op.f32.lt, ...op.select,
          ...op.localGet(g), ...op.f32Const(0), ...op.f32.gt, ...op.select,
        ];
      }
    }
  };

  const loop = (limit: number, stride: number, emit: (e: Expr) => number[], lets: Map<string, number>, store: number[]) => [
    ...op.block, ...op.loop,
    ...op.localGet(offset), ...op.localGet(limit), ...op.i32GeU, ...op.brIf(1),
    ...def.lets.flatMap(([name, e]) => [...emit(e), ...op.localSet(lets.get(name)!)]),
    ...def.results.flatMap((e, k) => [...address(def.inputs + k), ...emit(e), ...store]),
    ...op.localGet(offset), ...op.i32Const(stride), ...op.i32Add, ...op.localSet(offset),
    ...op.br(0), ...op.end, ...op.end,
  ];

  const code = [
    ...op.localGet(countParam), ...op.i32Const(2), ...op.i32Shl, ...op.localSet(end),
    ...op.localGet(countParam), ...op.i32Const(~3), ...op.i32And, ...op.i32Const(2), ...op.i32Shl, ...op.localSet(simdEnd),
    ...splats.flatMap((local, i) => [...op.localGet(scalarParam(i)), ...op.f32x4Splat, ...op.localSet(local)]),
    ...loop(simdEnd, 16, vector, vectorLets, op.v128Store),
    ...loop(end, 4, scalar, scalarLets, op.f32Store),
    ...op.end,
  ];
  return { locals: locals.declarations(), code };
}

/** The module's bytes: kernels exported under their names, memory imported as env.memory. */
export function assemble(kernels: readonly KernelDef[]): Uint8Array {
  const types = kernels.map((k) => [0x60, ...vec([...Array(k.inputs + k.outputs + 1).fill([I32]), ...Array(k.scalars).fill([F32])]), ...vec([])]);
  const name = (text: string) => [...uleb(bytesOf(text).length), ...bytesOf(text)];
  const imports = vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x00]]); // memory, limits: min 0, no max
  const functions = vec(kernels.map((_, i) => uleb(i)));
  const exports = vec(kernels.map((k, i) => [...name(k.name), 0x00, ...uleb(i)]));
  const bodies = vec(kernels.map((k) => {
    const { locals, code } = kernelBody(k);
    const body = [...vec(locals), ...code];
    return [...uleb(body.length), ...body];
  }));
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, imports),
    ...section(3, functions),
    ...section(7, exports),
    ...section(10, bodies),
  ]);
}

/** Expression builders. */
export const load = (input: number): Expr => ({ kind: 'load', input });
export const scalar = (index: number): Expr => ({ kind: 'scalar', index });
export const ref = (name: string): Expr => ({ kind: 'let', name });
const binary = (binaryOp: BinaryOp) => (a: Expr, b: Expr): Expr => ({ kind: 'binary', op: binaryOp, a, b });
export const add = binary('add');
export const sub = binary('sub');
export const mul = binary('mul');
export const div = binary('div');
export const sqrt = (a: Expr): Expr => ({ kind: 'sqrt', a });
/** tfjs-wasm's ClipByValue (XNNPACK clamp): pmin(hi, pmax(lo, x)), so -0 and NaN become lo = 0. */
export const clip = (x: Expr, lo: Expr, hi: Expr): Expr => binary('pmin')(hi, binary('pmax')(lo, x));
/** sign(g) * scale for non-NaN g, given scale and -scale. */
export const signTimes = (g: Expr, scale: Expr, negScale: Expr): Expr => ({ kind: 'signTimes', g, scale, negScale });
