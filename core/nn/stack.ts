/** Host-side stacking of per-network arrays along a leading axis, and back. */

/** Concatenate equal-length arrays: network t's values at [t * length, (t + 1) * length). */
export function stackSlices(arrays: readonly Float32Array[]): Float32Array {
  const length = arrays[0]?.length ?? 0;
  const out = new Float32Array(arrays.length * length);
  arrays.forEach((a, t) => out.set(a, t * length));
  return out;
}

/** The T equal parts of a stacked array (copies the caller may keep). */
export function unstack(values: Float32Array, networks: number): Float32Array[] {
  const length = values.length / networks;
  return Array.from({ length: networks }, (_, t) => values.slice(t * length, (t + 1) * length));
}
