/**
 * Backfill storage (issue 17): durable jobs `["backfill", triggerId, jobId]` with a progress
 * cursor and a lease, and the per-occurrence markers `["fired_occ", triggerId, ms]` that a
 * backfill firing writes in its own commit, checked absent, so an occurrence is backfilled at
 * most once across repeated calls, concurrent jobs and restarts.
 */
import type { StoredLog, TriggerRecord } from "../core/schemas.ts";
import { addManualFiringWrites } from "./firings.ts";
import { keys } from "./keys.ts";
import { getManyChunked, retryLocked } from "./kv.ts";
import { isRecordOutcome } from "./log_counters.ts";
import { backstopMs, type Windows } from "./log_writes.ts";
import { ulidFloor } from "../core/ulid.ts";

/** A backfill job: fire the occurrences of [fromMs, toMs) after `cursorMs`, in order. */
export interface BackfillJob {
  id: string;
  triggerId: string;
  fromMs: number;
  toMs: number;
  /** The last occurrence handled (fired or found fired); fromMs - 1 before the first. */
  cursorMs: number;
  /** The instance running it and until when; another may take it over after that. */
  owner: string | null;
  leaseUntilMs: number;
}

/** Stores a new job. */
export async function insertBackfillJob(kv: Deno.Kv, job: BackfillJob): Promise<void> {
  await retryLocked(() => kv.set(keys.backfillJob(job.triggerId, job.id), job));
}

/**
 * The first `limit` stored jobs with their versionstamps (one per backfill call in progress;
 * a finished job is deleted, so later ones come into view as earlier ones end).
 */
export async function listBackfillJobs(
  kv: Deno.Kv,
  limit = 100,
): Promise<Deno.KvEntry<BackfillJob>[]> {
  const out: Deno.KvEntry<BackfillJob>[] = [];
  const iter = kv.list<BackfillJob>({ prefix: keys.backfillJobsPrefix() }, { limit });
  for await (const e of iter) out.push(e);
  return out;
}

/**
 * Replaces `entry` by `next` (a lease taken or renewed) if nobody changed it meanwhile;
 * `next` null deletes it. Returns the new entry, or null when the job moved or is gone.
 */
export async function swapBackfillJob(
  kv: Deno.Kv,
  entry: Deno.KvEntry<BackfillJob>,
  next: BackfillJob | null,
): Promise<Deno.KvEntry<BackfillJob> | null> {
  const key = keys.backfillJob(entry.value.triggerId, entry.value.id);
  const op = kv.atomic().check(entry);
  if (next) op.set(key, next);
  else op.delete(key);
  const res = await retryLocked(() => op.commit());
  if (!res.ok || !next) return null;
  return { key, value: next, versionstamp: res.versionstamp };
}

/** Which of `occurrences` of trigger `triggerId` carry a backfill marker. */
export async function markedOccurrences(
  kv: Deno.Kv,
  triggerId: string,
  occurrences: number[],
): Promise<Set<number>> {
  const got = await retryLocked(() =>
    getManyChunked<boolean>(kv, occurrences.map((t) => keys.firedOccurrence(triggerId, t)))
  );
  return new Set(occurrences.filter((_, i) => got[i].value !== null));
}

/**
 * The `scheduledFor` instants in [fromMs, toMs) of the trigger's scheduled and backfill
 * firings still in the log. Reads the trigger's log index from `fromMs` (less a minute of
 * clock skew) to now, not to `toMs`: a catch-up firing of an occurrence in the window may have
 * been logged hours after it. A backfill is rare and operator-made, and this keeps the
 * scheduler's claim, the hot path, free of any extra write; the entries are read 500 at a time.
 */
export async function firedInLog(
  kv: Deno.Kv,
  triggerId: string,
  fromMs: number,
  toMs: number,
): Promise<Set<number>> {
  const prefix = keys.logsByTriggerPrefix(triggerId);
  const iter = kv.list<null>({
    start: [...prefix, ulidFloor(Math.max(0, fromMs - 60_000))],
    end: [...prefix, "\uffff"],
  }, { batchSize: FIRED_BATCH });
  const out = new Set<number>();
  // In batches, so memory stays flat however many entries the trigger logged since `fromMs`.
  let ids: string[] = [];
  const fold = async () => {
    const logs = await retryLocked(() =>
      getManyChunked<StoredLog>(kv, ids.map((id) => keys.log(id)))
    );
    ids = [];
    for (const { value: l } of logs) {
      if (!l || l.scheduledFor === null) continue;
      if (l.source !== "schedule" && l.source !== "backfill") continue;
      if (isRecordOutcome(l.outcome)) continue;
      const t = Date.parse(l.scheduledFor);
      if (t >= fromMs && t < toMs) out.add(t);
    }
  };
  // The index holds no value: the log id is the last part of its key.
  for await (const e of iter) {
    ids.push(e.key[e.key.length - 1] as string);
    if (ids.length >= FIRED_BATCH) await fold();
  }
  await fold();
  return out;
}

/** Log entries read per round by `firedInLog`. */
const FIRED_BATCH = 500;

/**
 * Commits backfill firings of `rec` with the job's progress: the lease is checked, each
 * occurrence's marker is checked absent and set, each firing is written as on-demand firings
 * are (counters included). Not ok when the job moved or an occurrence was marked meanwhile.
 */
export function commitBackfillBatch(
  kv: Deno.Kv,
  job: Deno.KvEntry<BackfillJob>,
  next: BackfillJob | null,
  rec: TriggerRecord,
  logs: StoredLog[],
  w: Windows,
): Promise<Deno.KvCommitResult | Deno.KvCommitError> {
  return retryLocked(() => {
    const op = kv.atomic().check(job);
    const key = keys.backfillJob(job.value.triggerId, job.value.id);
    if (next) op.set(key, next);
    else op.delete(key);
    for (const log of logs) {
      const marker = keys.firedOccurrence(rec.id, Date.parse(log.scheduledFor!));
      op.check({ key: marker, versionstamp: null });
      op.set(marker, true, { expireIn: backstopMs(w) });
      addManualFiringWrites(op, rec, log, w);
    }
    return op.commit();
  });
}
