/**
 * The WebAssembly binary encoding the SIMD kernels are written in: value types, the instructions used, and a
 * module of exported functions that imports its memory as env.memory (tfjs-wasm's heap).
 *
 * Binary format: WebAssembly core specification, section 5 (Binary Format), and the SIMD proposal's opcode
 * table (0xFD prefix, LEB128 sub-opcode).
 */

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;

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
/** A memory access's immediate: alignment 2^2 (float32 data), then a constant byte offset. */
const memarg = (offset = 0): number[] => [2, ...uleb(offset)];

export const op = {
  localGet: (i: number) => [0x20, ...uleb(i)],
  localSet: (i: number) => [0x21, ...uleb(i)],
  i32Const: (v: number) => [0x41, ...sleb(v)],
  f32Const: (v: number) => [0x43, ...new Uint8Array(Float32Array.of(v).buffer)],
  i32Add: [0x6a], i32Sub: [0x6b], i32Mul: [0x6c], i32Shl: [0x74], i32And: [0x71], i32GeU: [0x4f], i32LtU: [0x49], i32Eqz: [0x45],
  block: [0x02, 0x40], loop: [0x03, 0x40], if: [0x04, 0x40], else: [0x05], end: [0x0b], br: (d: number) => [0x0c, ...uleb(d)], brIf: (d: number) => [0x0d, ...uleb(d)],
  select: [0x1b],
  f32Load: [0x2a, ...memarg()], f32Store: [0x38, ...memarg()],
  i32LoadAt: (offset: number) => [0x28, ...memarg(offset)],
  f32LoadAt: (offset: number) => [0x2a, ...memarg(offset)],
  f32StoreAt: (offset: number) => [0x38, ...memarg(offset)],
  f32: { add: [0x92], sub: [0x93], mul: [0x94], div: [0x95], sqrt: [0x91], lt: [0x5d], gt: [0x5e] },
  v128Load: [...simd(0x00), ...memarg()], v128Store: [...simd(0x0b), ...memarg()],
  v128LoadAt: (offset: number) => [...simd(0x00), ...memarg(offset)],
  v128StoreAt: (offset: number) => [...simd(0x0b), ...memarg(offset)],
  /** One float32 from memory in all four lanes. */
  v128Load32SplatAt: (offset: number) => [...simd(0x09), ...memarg(offset)],
  /** v128.const 0: every lane +0. */
  v128Zero: [...simd(0x0c), ...Array<number>(16).fill(0)],
  /** One lane of a four-lane float32 vector as an f32. */
  f32x4ExtractLane: (lane: number) => [...simd(0x1f), lane],
  f32x4Splat: simd(0x13), v128And: simd(0x4e), v128Or: simd(0x50),
  f32x4: { add: simd(0xe4), sub: simd(0xe5), mul: simd(0xe6), div: simd(0xe7), sqrt: simd(0xe3), pmin: simd(0xea), pmax: simd(0xeb), lt: simd(0x43), gt: simd(0x44) },
};

/** Local variable allocation for one function body: parameters first, then locals grouped by type. */
export class Locals {
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

export interface WasmFunction {
  readonly name: string;
  /** Parameter types (I32, F32, V128); functions return nothing. */
  readonly params: readonly number[];
  /** Local declarations (Locals.declarations()) and the body's instructions, without the final `end`. */
  readonly locals: number[][];
  readonly code: number[];
}

/** A module exporting `functions` under their names, with its memory imported as env.memory. */
export function wasmModule(functions: readonly WasmFunction[]): Uint8Array {
  const types = functions.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec([])]);
  const name = (text: string) => [...uleb(bytesOf(text).length), ...bytesOf(text)];
  const imports = vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x00]]); // memory, limits: min 0, no max
  const indices = vec(functions.map((_, i) => uleb(i)));
  const exports = vec(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]));
  const bodies = vec(functions.map((f) => {
    const body = [...vec(f.locals), ...f.code, ...op.end];
    return [...uleb(body.length), ...body];
  }));
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, imports),
    ...section(3, indices),
    ...section(7, exports),
    ...section(10, bodies),
  ]);
}

/** The part of the WebAssembly JavaScript API used here (tsconfig's lib has no WebAssembly declarations). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const { WebAssembly: wasm } = globalThis as unknown as { WebAssembly: WebAssemblyApi };

/** A compiled module (wasmModule's bytes), to instantiate once per memory. */
export const compile = (bytes: Uint8Array): object => new wasm.Module(bytes);

/** The exports of `module` instantiated on `memory` (a WebAssembly.Memory). */
export const instantiate = (module: object, memory: object): Record<string, unknown> =>
  new wasm.Instance(module, { env: { memory } }).exports;
