/**
 * Evaluation over sets kept on the device (batch-source.ts, residentTable): the validation and test sets'
 * images, targets and one-hot labels are uploaded once per round; each evaluation gathers its batches there
 * (row numbers kept too), counts the correct predictions there, and collects every batch's losses and counts into
 * one buffer [networks, slots] that is read once. The host then sums them exactly as evaluate() sums what it reads
 * per batch (losses weighted by the batch's rows in double precision, counts as integers), so the metrics are
 * evaluate()'s, bit for bit: the same computation on the same values, read later.
 */
import { disposeAll, fromHost, keep, readAll, tidy } from '../autodiff/engine.js';
import * as op from '../autodiff/ops.js';
import type { Tensor } from '../autodiff/tensor.js';
import { craft, type AttackSpec } from '../attacks/index.js';
import { gatherRows } from '../nn/gather-rows.js';
import { networkCrossEntropy, type LossForm } from '../nn/loss.js';
import { logits, type Classifier } from '../nn/model.js';
import type { UniformSource } from '../nn/trial-rngs.js';
import { RsnError } from '../errors.js';
import type { SplitMetrics } from '../results/records.js';
import { isResident, residentTable, type ResidencyOptions } from './batch-source.js';
import type { EvalSet } from './evaluate.js';

/** A batch's values in the ledger, in this order from slot 4 * batch. */
const SLOTS_PER_BATCH = 4;

/** One set on the device: its tables' parts and each batch's row numbers. */
interface KeptSet {
  readonly count: number;
  readonly images: readonly Tensor[];
  readonly targets: readonly Tensor[];
  readonly labels: readonly Tensor[];
  readonly batches: readonly { readonly rows: Tensor; readonly n: number }[];
  /** The ledger's slot of its first batch's first value. */
  readonly firstSlot: number;
}

function oneHotLabels(set: EvalSet, classes: number): Float32Array {
  const out = new Float32Array(set.count * classes);
  set.labels.forEach((label, i) => {
    if (label >= 0 && label < classes) out[i * classes + label] = 1;
  });
  return out;
}

/**
 * The validation (when there is one) and test sets of a round's networks on the device, or the reason they
 * cannot be (then evaluate() runs as before).
 */
export class ResidentEvaluation {
  private readonly kept: Tensor[] = [];
  private readonly sets: (KeptSet | undefined)[] = [];
  /** Slot masks [slots] (1 at the slot) and the ledger's zeros [networks, slots]. */
  private readonly masks: Tensor[] = [];
  private readonly zeros: Tensor | undefined;
  readonly reason: string | undefined;

  constructor(
    splits: readonly (readonly EvalSet[] | undefined)[], private readonly networks: number, private readonly width: number,
    private readonly classes: number, batchSize: number, options: ResidencyOptions = {},
  ) {
    let slots = 0;
    let reason: string | undefined;
    for (const sets of splits) {
      if (reason || !sets) {
        this.sets.push(undefined);
        continue;
      }
      const set = sets[0]!;
      if (sets.some((s) => s !== set)) {
        reason = 'the networks evaluated together have sets of their own';
        continue;
      }
      const tables = [
        residentTable(set.images, set.count, width, 'evaluation images', options),
        residentTable(set.targets, set.count, classes, 'evaluation targets', options),
        residentTable(oneHotLabels(set, classes), set.count, classes, 'evaluation labels', options),
      ];
      for (const t of tables) if (isResident(t)) this.kept.push(...t.parts);
      const missing = tables.find((t) => !isResident(t));
      if (missing) {
        reason = (missing as { reason: string }).reason;
        continue;
      }
      const [images, targets, labels] = tables.map((t) => (t as { parts: readonly Tensor[] }).parts);
      const batches = [];
      for (let start = 0; start < set.count; start += batchSize) {
        const n = Math.min(batchSize, set.count - start);
        const rows = keep(fromHost(Float32Array.from({ length: n }, (_, i) => start + i), [n]));
        this.kept.push(rows);
        batches.push({ rows, n });
      }
      this.sets.push({ count: set.count, images: images!, targets: targets!, labels: labels!, batches, firstSlot: slots });
      slots += SLOTS_PER_BATCH * batches.length;
    }
    this.reason = reason;
    if (reason || slots === 0) {
      disposeAll(this.kept.splice(0));
      this.sets.length = 0;
      this.zeros = undefined;
      return;
    }
    for (let slot = 0; slot < slots; slot++) {
      const mask = new Float32Array(slots);
      mask[slot] = 1;
      this.masks.push(keep(fromHost(mask, [slots])));
    }
    this.zeros = keep(fromHost(new Float32Array(networks * slots), [networks, slots]));
  }

  /**
   * Natural and adversarial loss and accuracy of every split given to the constructor (undefined for a split
   * that was absent), as evaluate() gives them, in its order (the splits in turn, each batch's attack drawing
   * from `rng` as there); one read.
   */
  async evaluate(classifier: Classifier, attack: AttackSpec, rng: UniformSource, form: LossForm): Promise<(SplitMetrics[] | undefined)[]> {
    if (!this.zeros) throw new RsnError(`the sets are not on the device: ${this.reason ?? 'they are empty'}`);
    let ledger = this.zeros;
    const put = (slot: number, value: Tensor) => {
      const next = keep(op.where(this.masks[slot]!, op.reshape(value, [this.networks, 1]), ledger));
      if (ledger !== this.zeros) disposeAll([ledger]);
      ledger = next;
    };
    try {
      for (const set of this.sets) {
        set?.batches.forEach(({ rows, n }, b) => tidy(() => {
          const stack = (t: Tensor, width: number) => (this.networks > 1 ? op.broadcastTo(t, [this.networks, n, width]) : t);
          const x = stack(gatherRows(set.images, rows), this.width);
          const targets = stack(gatherRows(set.targets, rows), this.classes);
          const labels = gatherRows(set.labels, rows);
          const natural = logits(classifier, x);
          const adversarial = logits(classifier, craft(attack, classifier, x, rng));
          const hits = (z: Tensor) => op.sum(op.mul(op.oneHot(op.argmax(z, -1), this.classes), labels), [-2, -1]);
          const slot = set.firstSlot + SLOTS_PER_BATCH * b;
          put(slot, networkCrossEntropy(natural, targets, form));
          put(slot + 1, hits(natural));
          put(slot + 2, networkCrossEntropy(adversarial, targets, form));
          put(slot + 3, hits(adversarial));
        }));
      }
      const [values] = await readAll([ledger]);
      const slots = values!.length / this.networks;
      return this.sets.map((set) => set && Array.from({ length: this.networks }, (_, t) => {
        const total = { loss: 0, hits: 0, advLoss: 0, advHits: 0 };
        set.batches.forEach(({ n }, b) => {
          const at = t * slots + set.firstSlot + SLOTS_PER_BATCH * b;
          total.loss += values![at]! * n;
          total.hits += values![at + 1]!;
          total.advLoss += values![at + 2]! * n;
          total.advHits += values![at + 3]!;
        });
        return { loss: total.loss / set.count, acc: total.hits / set.count, adv_acc: total.advHits / set.count, adv_loss: total.advLoss / set.count };
      }));
    } finally {
      if (ledger !== this.zeros) disposeAll([ledger]);
    }
  }

  /** Free what is kept on the device. */
  release(): void {
    disposeAll(this.kept.splice(0));
    disposeAll(this.masks.splice(0));
    if (this.zeros && !this.zeros.isDisposed) disposeAll([this.zeros]);
  }
}
