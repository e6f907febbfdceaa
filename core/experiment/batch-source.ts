/**
 * Where a step's batch comes from. On a backend with a gatherRows kernel (core/nn/gather-rows.ts: webgpu) a
 * split's images and targets are uploaded once and stay on the device; each step uploads only its row numbers
 * (4 bytes a row) and the batch is copied out there. Everywhere else, or where the tables cannot stay (see
 * `residentTable`), the batch is gathered on the host and uploaded as before. Both give the same values, bit for
 * bit: the device copies the rows the host would copy.
 */
import { activeBackend, disposeAll, fromHost, keep } from '../autodiff/engine.js';
import type { Tensor } from '../autodiff/tensor.js';
import { gather } from '../data/index.js';
import { gatherRows } from '../nn/gather-rows.js';
import { stackSlices } from '../nn/stack.js';
import type { EvalSet } from './evaluate.js';

/** Table parts one gather binds at most (with its indices and output: 6 storage buffers, within WebGPU's 8). */
export const GATHER_MAX_PARTS = 4;

/** How a table is kept: its parts on the device, or why it is not. */
export type Residency = { readonly parts: readonly Tensor[] } | { readonly reason: string };

export interface ResidencyOptions {
  /** Gather on the host even where the backend could gather (tests compare the two paths with it). */
  readonly host?: boolean;
  /** The largest buffer one part may occupy; default the backend's (Backend.stacking). */
  readonly maxBufferBytes?: number;
}

const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

/** Why the device could not reproduce the host's rows through the gather's definition, or undefined. */
function unkeepable(values: Float32Array): string | undefined {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v) || Object.is(v, -0)) return `value ${i} is ${Object.is(v, -0) ? '-0' : v}, and the gather is defined on finite values other than -0`;
  }
  return undefined;
}

/**
 * Keep `values` [rows, width] on the active backend for gatherRows, cut into parts of at most the backend's
 * largest buffer; or say why not: the backend has no gather kernel, the table holds values the gather's
 * definition does not cover, or it needs more parts than one gather binds.
 */
export function residentTable(values: Float32Array, rows: number, width: number, what: string, options: ResidencyOptions = {}): Residency {
  const backend = activeBackend();
  if (options.host) return { reason: 'host batches were asked for' };
  if (!backend.custom?.gatherRows) return { reason: `backend '${backend.name}' gathers batches on the host` };
  const odd = unkeepable(values);
  if (odd) return { reason: `the ${what} stay on the host: ${odd}` };
  const rowBytes = width * 4;
  const limit = options.maxBufferBytes ?? backend.stacking?.maxBufferBytes ?? Infinity;
  const rowsPerPart = Math.max(0, Math.min(rows, Math.floor(limit / rowBytes)));
  const parts = rowsPerPart === 0 ? Infinity : Math.ceil(rows / rowsPerPart);
  if (parts > GATHER_MAX_PARTS) {
    return {
      reason: `the ${what} (${megabytes(rows * rowBytes)}) would need ${parts} device buffers of at most ${limit} bytes, and one gather binds ${GATHER_MAX_PARTS}: `
        + 'each batch is gathered on the host and uploaded at every step instead',
    };
  }
  const kept: Tensor[] = [];
  for (let first = 0; first < rows; first += rowsPerPart) {
    const count = Math.min(rowsPerPart, rows - first);
    kept.push(keep(fromHost(values.subarray(first * width, (first + count) * width), [count, width])));
  }
  return { parts: kept };
}

export const isResident = (r: Residency): r is { readonly parts: readonly Tensor[] } => 'parts' in r;

/** One step's batch: inputs [..., n, width], targets [..., n, classes], each network's labels. */
export interface Batch {
  readonly x: Tensor;
  readonly y: Tensor;
  readonly labels: Int32Array[];
  readonly n: number;
}

/**
 * The training batches of one round of one or more networks (stacked on a leading axis when several), each
 * network drawing its own rows of its training set. The tables stay on the device where every network trains
 * on the same set and both tables can be kept; `reason` says why not otherwise.
 */
export class TrainingBatches {
  private readonly images: Residency;
  private readonly targets: Residency;
  private released = false;

  constructor(private readonly sets: readonly EvalSet[], private readonly width: number, private readonly classes: number, options: ResidencyOptions = {}) {
    const set = sets[0]!;
    const shared = sets.every((s) => s === set);
    const images = shared ? residentTable(set.images, set.count, width, 'training images', options) : { reason: 'the networks trained together have training sets of their own' };
    const targets = isResident(images) ? residentTable(set.targets, set.count, classes, 'training targets', options) : images;
    if (isResident(images) && !isResident(targets)) disposeAll(images.parts);
    this.images = isResident(targets) ? images : targets;
    this.targets = targets;
  }

  /** Why batches are gathered on the host, or undefined when they are gathered on the device. */
  get reason(): string | undefined {
    return isResident(this.targets) ? undefined : this.targets.reason;
  }

  /**
   * The batch of rows picks[t] of network t's set (tensors in the current scope), with a leading axis T where
   * there are several networks, or always when `stacked` (networks whose weights have a leading axis at T = 1).
   */
  batch(picks: readonly Int32Array[], stacked = false): Batch {
    const networks = picks.length;
    const lead = networks > 1 || stacked ? [networks] : [];
    const n = picks[0]!.length;
    const labels = picks.map((pick, t) => Int32Array.from(pick, (row) => this.sets[t]!.labels[row]!));
    if (isResident(this.images) && isResident(this.targets)) {
      const rows = new Float32Array(networks * n);
      picks.forEach((pick, t) => rows.set(pick, t * n));
      const indices = fromHost(rows, [...lead, n]);
      return { x: gatherRows(this.images.parts, indices), y: gatherRows(this.targets.parts, indices), labels, n };
    }
    const batches = picks.map((pick, t) => gather(this.sets[t]!, pick));
    const images = stackSlices(batches.map((b) => b.images));
    const targets = stackSlices(picks.map((pick, t) => gatherTargets(this.sets[t]!.targets, pick, this.classes)));
    return { x: fromHost(images, [...lead, n, this.width]), y: fromHost(targets, [...lead, n, this.classes]), labels, n };
  }

  /** Free the tables kept on the device. */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const r of [this.images, this.targets]) if (isResident(r)) disposeAll(r.parts);
  }
}

function gatherTargets(targets: Float32Array, indices: Int32Array, classes: number): Float32Array {
  const out = new Float32Array(indices.length * classes);
  indices.forEach((index, i) => out.set(targets.subarray(index * classes, (index + 1) * classes), i * classes));
  return out;
}
