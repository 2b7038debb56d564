/**
 * Percentiles by nearest rank: the smallest value with at least p of the sample at or below it
 * (so the median of 1..5 is 3 and the 99th percentile of a small sample is its maximum). The one
 * rule the server and the benches report with, so their figures compare.
 */

/** The p-th quantile (0 < p ≤ 1) of an ascending list; null for an empty one. */
export function percentileOfSorted(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!
}

/** The p-th quantile of any list (sorted here). */
export function percentile(values: readonly number[], p: number): number | null {
  return percentileOfSorted([...values].sort((a, b) => a - b), p)
}

/** Median and 99th percentile, as the dialer and the benches report them. */
export function percentiles(values: readonly number[]): { median: number | null; p99: number | null } {
  const sorted = [...values].sort((a, b) => a - b)
  return { median: percentileOfSorted(sorted, 0.5), p99: percentileOfSorted(sorted, 0.99) }
}
