/**
 * Compute programs: a WGSL source compiled once per key into a pipeline with an explicit layout. Binding 0 is
 * the dispatch's parameter block (a uniform of PARAM_WORDS u32 words), bindings 1..inputs the read-only inputs,
 * then the outputs (one, except for the fused kernels that return several tensors).
 */

/** u32 words of the parameter block of one dispatch (256 bytes: the uniform offset alignment). */
export const PARAM_WORDS = 64;
export const PARAM_BYTES = PARAM_WORDS * 4;

export interface Program {
  readonly key: string;
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
  /** Storage buffers bound after the parameters: the inputs, then the outputs. */
  readonly buffers: number;
}

/** The WGSL every program starts with: the parameter block and its accessors. */
export const PARAMS_WGSL = /* wgsl */ `
@group(0) @binding(0) var<uniform> P: array<vec4<u32>, ${PARAM_WORDS / 4}>;
fn p(i: u32) -> u32 { return P[i / 4u][i % 4u]; }
`;

const COMPUTE_STAGE = 0x4; // GPUShaderStage.COMPUTE

export class ProgramCache {
  readonly #programs = new Map<string, Program>();
  readonly #layouts = new Map<string, GPUBindGroupLayout>();

  constructor(private readonly device: GPUDevice) {}

  get size(): number {
    return this.#programs.size;
  }

  /**
   * The program of `key`, built from `source()` (WGSL after PARAMS_WGSL) with `inputs` input buffers and
   * `outputs` output buffers the first time.
   */
  get(key: string, inputs: number, source: () => string, outputs = 1): Program {
    const cached = this.#programs.get(key);
    if (cached) return cached;
    const layout = this.#layout(inputs, outputs);
    const module = this.device.createShaderModule({ label: key, code: PARAMS_WGSL + source() });
    const pipeline = this.device.createComputePipeline({
      label: key,
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: 'main' },
    });
    const program = { key, pipeline, layout, buffers: inputs + outputs };
    this.#programs.set(key, program);
    return program;
  }

  #layout(inputs: number, outputs: number): GPUBindGroupLayout {
    const key = `${inputs}:${outputs}`;
    let layout = this.#layouts.get(key);
    if (!layout) {
      const entries: GPUBindGroupLayoutEntry[] = [{ binding: 0, visibility: COMPUTE_STAGE, buffer: { type: 'uniform' } }];
      for (let i = 0; i < inputs + outputs; i++) {
        entries.push({ binding: i + 1, visibility: COMPUTE_STAGE, buffer: { type: i < inputs ? 'read-only-storage' : 'storage' } });
      }
      layout = this.device.createBindGroupLayout({ entries });
      this.#layouts.set(key, layout);
    }
    return layout;
  }
}
