/** Types shared by the tfjs adapter's modules (kept apart so that no two of them import each other). */
import type * as tfc from '@tensorflow/tfjs-core';
import type { Tensor as TfTensor } from '@tensorflow/tfjs-core';

/** The tfjs-core module. */
export type TfModule = typeof tfc;

/** Runs one of tfjs' registered kernels by name (engine.runKernel). */
export type RunKernel = (name: string, inputs: Record<string, TfTensor>, attrs?: Record<string, unknown>) => TfTensor;

/** op(a) @ op(b). `reused` says the caller will use op(b) again soon (matmul.ts: pack it now). */
export type MatmulPlanner = (a: TfTensor, b: TfTensor, transposeA: boolean, transposeB: boolean, reused?: boolean) => TfTensor;
