// T5's bidirectional relative-position buckets. Computed on the host in float64 so that the bucket
// boundaries (16, 32, 64 at the real config) land exactly where torch's float32 version puts them.

/** Bucket of `rel = key index - query index`. */
export function relativePositionBucket(rel: number, numBuckets: number, maxDistance: number): number {
  const perDirection = numBuckets / 2;
  const base = rel > 0 ? perDirection : 0;
  const r = Math.abs(rel);
  const exact = perDirection / 2;
  if (r < exact) return base + r;
  const large = exact + Math.trunc((Math.log(r / exact) / Math.log(maxDistance / exact)) * (perDirection - exact));
  return base + Math.min(perDirection - 1, large);
}

/**
 * Bucket of every relative offset a sequence of at most `maxLength` tokens can have: entry
 * `rel + maxLength - 1` holds the bucket of `rel` for rel in -(maxLength-1) .. maxLength-1.
 */
export function relativeBucketTable(maxLength: number, numBuckets: number, maxDistance: number): BigInt64Array {
  const table = new BigInt64Array(2 * maxLength - 1);
  for (let i = 0; i < table.length; i++) table[i] = BigInt(relativePositionBucket(i - (maxLength - 1), numBuckets, maxDistance));
  return table;
}
