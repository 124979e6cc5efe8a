/**
 * Firing counts per minute, kept as KvU64 sums in the same commits as the log entries:
 * `["hist", counter, minuteMs, outcome]` for the entry's counter id (its trigger, or "test")
 * and for "*" (all). A delivery that settles moves its count from `pending` to its outcome in
 * the commit that records it, so the counts agree with the log at every instant. A histogram
 * reads the minute keys of its window (outcomes x minutes, never the entries); the retention
 * sweep deletes a minute's keys with its entries (so the oldest retained minute can read low
 * while the sweep is part way through it).
 */
import { ValidationError } from "../core/errors.ts";
import type { HistogramQuery } from "../core/request_schemas.ts";
import type { StoredLog } from "../core/schemas.ts";
import { keys } from "./keys.ts";
import { delta, signed } from "./kv.ts";
import { counterOf, counterOfRef, isRecordOutcome } from "./log_counters.ts";
import { ulidTime } from "../core/ulid.ts";

const MINUTE = 60_000;

/** The minute (epoch ms, UTC) an entry counts in: that of its id, as the listing filters. */
export function minuteOf(log: Pick<StoredLog, "id">): number {
  return Math.floor(ulidTime(log.id) / MINUTE) * MINUTE;
}

/** Adds `n` (+1 or -1) to the minute counters of `log` under `outcome`, its own and "*". */
export function addHistCount(
  op: Deno.AtomicOperation,
  log: Pick<StoredLog, "id" | "triggerId">,
  outcome: string,
  n: number,
): void {
  const minute = minuteOf(log);
  op.sum(keys.hist(counterOf(log), minute, outcome), delta(n));
  op.sum(keys.hist("*", minute, outcome), delta(n));
}

/** Moves `log`'s count from its stored outcome to `outcome` (nothing when they are equal). */
export function addOutcomeMove(op: Deno.AtomicOperation, log: StoredLog, outcome: string): void {
  if (log.outcome === outcome) return;
  addHistCount(op, log, log.outcome, -1);
  addHistCount(op, log, outcome, 1);
}

/** Deletes the minute keys of `minutes` ("counter minute" pairs) for every outcome given. */
export function addHistDeletes(
  op: Deno.AtomicOperation,
  pairs: Iterable<[string, number]>,
  outcomes: readonly string[],
): void {
  for (const [counter, minute] of pairs) {
    for (const o of outcomes) op.delete(keys.hist(counter, minute, o));
  }
}

/** One bucket: its start, the total and the count per outcome. */
export type Bucket = { start: number; count: number } & Record<string, number>;

/**
 * Counts per bucket of `bucketMs` for `counter` ("*" for all) over [fromMs, toMs), both
 * aligned to the bucket; oldest first, empty buckets included, every outcome in `outcomes`
 * present (0 when none).
 */
export async function readHistogram(
  kv: Deno.Kv,
  counter: string,
  fromMs: number,
  toMs: number,
  bucketMs: number,
  outcomes: readonly string[],
): Promise<Bucket[]> {
  const buckets: Bucket[] = [];
  for (let t = fromMs; t < toMs; t += bucketMs) {
    const b = { start: t, count: 0 } as Bucket;
    for (const o of outcomes) b[o] = 0;
    buckets.push(b);
  }
  const prefix = keys.histPrefix(counter);
  const iter = kv.list<Deno.KvU64>(
    { start: [...prefix, fromMs], end: [...prefix, toMs] },
    { batchSize: 1000 },
  );
  for await (const e of iter) {
    const minute = e.key[2] as number;
    const outcome = e.key[3] as string;
    const n = signed(e.value);
    const b = buckets[Math.floor((minute - fromMs) / bucketMs)];
    if (!b || n === 0) continue;
    // Records of occurrences that did not fire (missed, skipped) are counted apart.
    if (!isRecordOutcome(outcome)) b.count += n;
    b[outcome] = (b[outcome] ?? 0) + n;
  }
  return buckets;
}

const BUCKET_MS = { "1m": MINUTE, "5m": 5 * MINUTE, "1h": 60 * MINUTE, "1d": 1440 * MINUTE };
/** Most buckets one histogram answers. */
export const MAX_BUCKETS = 2_000;

/**
 * `GET /api/logs/histogram`: the window [since, until) (default: the 24 h before now) widened
 * to whole buckets aligned to UTC epoch multiples of the bucket size; `trigger` is a live
 * trigger's name or any trigger id (a deleted trigger's name counts nothing).
 */
export async function logHistogram(
  kv: Deno.Kv,
  q: HistogramQuery,
  nowMs: number,
): Promise<{ bucket: HistogramQuery["bucket"]; buckets: Record<string, number | string>[] }> {
  const size = BUCKET_MS[q.bucket];
  const until = q.until ? Date.parse(q.until) : nowMs;
  const since = q.since ? Date.parse(q.since) : until - 24 * 60 * MINUTE;
  if (since >= until) {
    throw new ValidationError("Invalid window", [{
      path: "since",
      message: "Must be before until",
    }]);
  }
  const from = Math.floor(since / size) * size;
  const to = Math.ceil(until / size) * size;
  if ((to - from) / size > MAX_BUCKETS) {
    throw new ValidationError("Too many buckets", [{
      path: "bucket",
      message: `The window spans more than ${MAX_BUCKETS} buckets of ${q.bucket}`,
    }]);
  }
  const counter = q.trigger === undefined ? "*" : await counterOfRef(kv, q.trigger);
  const buckets = await readHistogram(kv, counter, from, to, size, [
    "ok",
    "pending",
    "failed",
    "missed",
    "skipped",
  ]);
  return {
    bucket: q.bucket,
    buckets: buckets.map((b) => ({ ...b, start: new Date(b.start).toISOString() })),
  };
}
