/**
 * The kept positions of a 0/1 pruning mask [rows, cols], listed by row (CSR) and by column (CSC): what the sparse
 * products of the native and wasm backends iterate over. Built once per mask (a mask lives for a whole round).
 */
export interface MaskPositions {
  readonly rows: number;
  readonly cols: number;
  /** Kept positions. */
  readonly nnz: number;
  /** nnz / (rows * cols). */
  readonly density: number;
  /** CSR: positions of row r are [rowPtr[r], rowPtr[r + 1]); colIdx their columns; flat their row-major indices. */
  readonly rowPtr: Int32Array;
  readonly colIdx: Int32Array;
  readonly flat: Int32Array;
  /** 0, 1, ..., nnz - 1: reads a compact array in CSR order. */
  readonly identity: Int32Array;
  /** CSC: positions of column c are [colPtr[c], colPtr[c + 1]); rowIdx their rows; cscToCsr their CSR positions. */
  readonly colPtr: Int32Array;
  readonly rowIdx: Int32Array;
  readonly cscToCsr: Int32Array;
}

/** The positions of a 0/1 matrix (the caller checked that it holds only 0s and 1s). */
export function maskPositions(values: Float32Array, rows: number, cols: number): MaskPositions {
  let nnz = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === 1) nnz++;
  const rowPtr = new Int32Array(rows + 1);
  const colIdx = new Int32Array(nnz);
  const flat = new Int32Array(nnz);
  const colCount = new Int32Array(cols + 1);
  let p = 0;
  for (let r = 0; r < rows; r++) {
    rowPtr[r] = p;
    for (let c = 0, i = r * cols; c < cols; c++, i++) {
      if (values[i] !== 1) continue;
      colIdx[p] = c;
      flat[p++] = i;
      colCount[c + 1]!++;
    }
  }
  rowPtr[rows] = p;
  const colPtr = new Int32Array(cols + 1);
  for (let c = 0; c < cols; c++) colPtr[c + 1] = colPtr[c]! + colCount[c + 1]!;
  const rowIdx = new Int32Array(nnz);
  const cscToCsr = new Int32Array(nnz);
  const next = colPtr.slice(0, cols);
  for (let r = 0; r < rows; r++) {
    for (let q = rowPtr[r]!; q < rowPtr[r + 1]!; q++) {
      const at = next[colIdx[q]!]!++;
      rowIdx[at] = r;
      cscToCsr[at] = q;
    }
  }
  const identity = new Int32Array(nnz);
  for (let q = 0; q < nnz; q++) identity[q] = q;
  const size = rows * cols;
  return { rows, cols, nnz, density: size === 0 ? 1 : nnz / size, rowPtr, colIdx, flat, identity, colPtr, rowIdx, cscToCsr };
}
