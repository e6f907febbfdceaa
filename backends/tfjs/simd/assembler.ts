/**
 * Elementwise float32 kernels (simd/kernels.ts) as WebAssembly functions (binary.ts): one module that
 * imports its memory (`env.memory`, tfjs-wasm's heap) and exports functions. A kernel is written once as
 * expressions over its inputs; the writer emits a 4-lane SIMD loop and a scalar loop for the remainder from
 * the same expressions, so both compute the same float32 operations.
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

import { F32, I32, Locals, V128, op, wasmModule } from './binary.js';

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
  ];
  return { locals: locals.declarations(), code };
}

/** The module's bytes: kernels exported under their names, memory imported as env.memory. */
export function assemble(kernels: readonly KernelDef[]): Uint8Array {
  return wasmModule(kernels.map((k) => ({
    name: k.name,
    params: [...Array(k.inputs + k.outputs + 1).fill(I32), ...Array(k.scalars).fill(F32)],
    ...kernelBody(k),
  })));
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
