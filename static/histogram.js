// @ts-check
// The firings chart's windows and buckets (GET /api/logs/histogram), as pure functions.

/** @typedef {import("./api.js").Bucket} Bucket */
/** @typedef {"1h" | "24h" | "48h"} Range */

/**
 * Each window with the bucket that keeps its bars readable and far under the API's 2,000.
 * @type {Record<Range, { label: string, ms: number, bucket: string, bucketMs: number }>}
 */
export const RANGES = {
  "1h": { label: "1 h", ms: 3600_000, bucket: "1m", bucketMs: 60_000 },
  "24h": { label: "24 h", ms: 86400_000, bucket: "5m", bucketMs: 300_000 },
  "48h": { label: "48 h", ms: 172800_000, bucket: "1h", bucketMs: 3600_000 },
};

/**
 * The histogram query for a window ending with the bucket that holds `now` (since and until on
 * bucket edges, so the count of buckets is exact and the newest one is the current one).
 * @param {Range} range
 * @param {number} now ms
 * @param {string} [trigger] an id or name
 * @returns {Record<string, string>}
 */
export function histogramQuery(range, now, trigger) {
  const r = RANGES[range];
  const until = Math.floor(now / r.bucketMs) * r.bucketMs + r.bucketMs;
  /** @type {Record<string, string>} */
  const q = {
    bucket: r.bucket,
    since: new Date(until - r.ms).toISOString(),
    until: new Date(until).toISOString(),
  };
  if (trigger) q.trigger = trigger;
  return q;
}

/**
 * Add a live firing to the bucket it falls in (the newest, usually); a firing past the last
 * bucket is left for the next reload, which starts a new window.
 * @param {Bucket[]} buckets
 * @param {number} bucketMs
 * @param {number} firedAt ms
 * @param {string} outcome
 * @returns {Bucket[]}
 */
export function countLive(buckets, bucketMs, firedAt, outcome) {
  for (let i = buckets.length - 1; i >= 0; i--) {
    const start = Date.parse(buckets[i].start);
    if (firedAt < start) continue;
    if (firedAt >= start + bucketMs) return buckets;
    const b = { ...buckets[i], count: buckets[i].count + 1 };
    if (outcome === "ok" || outcome === "pending" || outcome === "failed") b[outcome]++;
    const next = buckets.slice();
    next[i] = b;
    return next;
  }
  return buckets;
}

/**
 * Total and peak of a series.
 * @param {Bucket[]} buckets
 */
export function totals(buckets) {
  let total = 0;
  let peak = 0;
  let failed = 0;
  for (const b of buckets) {
    total += b.count;
    failed += b.failed;
    if (b.count > peak) peak = b.count;
  }
  return { total, peak, failed };
}
