/**
 * Claiming due occurrences: one atomic commit per batch checks each trigger's versionstamp,
 * writes the log entry and its indexes, advances the trigger and moves its due entry. A
 * concurrent instance, a stale timer or a changed trigger fails the check and fires nothing,
 * so every occurrence fires exactly once.
 */
import type { Deps } from "../deps.ts";
import { keys } from "../db/keys.ts";
import { getManyChunked, retryLocked } from "../db/kv.ts";
import { addLogWrites } from "../db/logs.ts";
import { addTriggerWrites, dueKeyOf } from "../db/triggers.ts";
import { ulid } from "../db/ulid.ts";
import type { StoredLog, TriggerRecord } from "../schemas.ts";
import { lastMissed, nextOccurrence } from "./next_occurrence.ts";

/** A due-index entry as the scheduler sees it. */
export interface DueItem {
  atMs: number;
  id: string;
  /** The versionstamp of the due entry; equal to the record's when they are in step. */
  versionstamp: string;
}

/** What one claim decides for one trigger: the new record and the firing (or none: skip). */
export interface ClaimPlan {
  next: TriggerRecord;
  log: StoredLog | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Decides what the occurrence at `occurrenceMs` does at `nowMs` (pure). On time: one firing
 * and the next occurrence. Missed (later than the grace period, or a later occurrence has also
 * passed): `fire_once` makes one catch-up firing for the most recent missed occurrence, `skip`
 * makes none; both continue with the next future occurrence.
 */
export function planClaim(
  rec: TriggerRecord,
  occurrenceMs: number,
  nowMs: number,
  graceMs: number,
): ClaimPlan {
  const schedule = rec.schedule!;
  const runs = rec.scheduledRuns;
  const following = nextOccurrence(schedule, occurrenceMs, runs + 1);
  const missed = nowMs - occurrenceMs > graceMs || (following !== null && following <= nowMs);
  let scheduledFor: number | null = occurrenceMs;
  let catchUp = false;
  if (missed) {
    if (rec.misfire === "skip") scheduledFor = null;
    else {
      scheduledFor = lastMissed(schedule, occurrenceMs, nowMs, runs).last;
      catchUp = true;
    }
  }
  const runsAfter = runs + (scheduledFor === null ? 0 : 1);
  const nextRun = missed
    ? nextOccurrence(schedule, Math.max(nowMs, scheduledFor ?? 0), runsAfter)
    : nextOccurrence(schedule, occurrenceMs, runsAfter);
  const next: TriggerRecord = {
    ...rec,
    scheduledRuns: runsAfter,
    lastScheduledRunAt: scheduledFor === null ? rec.lastScheduledRunAt : iso(nowMs),
    nextRunAt: nextRun === null ? null : iso(nextRun),
    status: nextRun === null ? "completed" : "active",
  };
  const log: StoredLog | null = scheduledFor === null ? null : {
    id: ulid(nowMs),
    triggerId: rec.id,
    triggerName: rec.name,
    triggerType: rec.type,
    source: "schedule",
    test: false,
    scheduledFor: iso(scheduledFor),
    firedAt: iso(nowMs),
    lateMs: nowMs - scheduledFor,
    catchUp,
    payload: rec.payload as StoredLog["payload"],
    outcome: rec.webhook ? "pending" : "ok",
    delivery: null,
  };
  return { next, log };
}

/** Rough size of a batch member, to stay well under KV's 800 KiB commit limit. */
function weight(plan: ClaimPlan): number {
  return 2 * JSON.stringify(plan.next).length +
    (plan.log ? 2 * JSON.stringify(plan.log.payload).length : 0) + 2048;
}

const MAX_BATCH = 64; // 64 claims x ~9 mutations stays under the 1000-mutation limit
const MAX_BATCH_BYTES = 600 * 1024;

export interface ClaimResult {
  fired: StoredLog[];
  /** New due entries this instance wrote, with their versionstamps, for the local timer. */
  rescheduled: { item: DueItem; rec: TriggerRecord }[];
  /** Claims lost to another instance or a concurrent change. */
  lost: number;
}

/**
 * Claims `items` (all due at or before `nowMs`) using `cache` for records already read. Returns
 * what fired. Safe to run concurrently on several instances: each occurrence is won once.
 */
export async function claimDue(
  deps: Deps,
  items: DueItem[],
  nowMs: number,
  cache: Map<string, Deno.KvEntry<TriggerRecord>>,
): Promise<ClaimResult> {
  const result: ClaimResult = { fired: [], rescheduled: [], lost: 0 };
  // Make sure we hold, for each item, the record version that wrote its due entry.
  const missing = items.filter((it) => cache.get(it.id)?.versionstamp !== it.versionstamp);
  if (missing.length) {
    const entries = await getManyChunked<TriggerRecord>(
      deps.kv,
      missing.map((it) => keys.trigger(it.id)),
    );
    for (const e of entries) if (e.value) cache.set(e.value.id, e as Deno.KvEntry<TriggerRecord>);
  }
  let batch: { entry: Deno.KvEntry<TriggerRecord>; plan: ClaimPlan }[] = [];
  let bytes = 0;
  for (const it of items) {
    const entry = cache.get(it.id);
    // Stale due entry (trigger changed, fired elsewhere or deleted): nothing to do here.
    if (!entry || !isDueFor(entry.value, it)) {
      result.lost++;
      continue;
    }
    const plan = planClaim(entry.value, it.atMs, nowMs, deps.config.misfireGraceMs);
    const w = weight(plan);
    if (batch.length >= MAX_BATCH || (batch.length > 0 && bytes + w > MAX_BATCH_BYTES)) {
      await commitBatch(deps, batch, result, cache);
      batch = [];
      bytes = 0;
    }
    batch.push({ entry, plan });
    bytes += w;
  }
  if (batch.length) await commitBatch(deps, batch, result, cache);
  return result;
}

function isDueFor(rec: TriggerRecord, it: DueItem): boolean {
  const due = dueKeyOf(rec);
  return due !== null && due[1] === it.atMs && rec.schedule !== null;
}

async function commitBatch(
  deps: Deps,
  batch: { entry: Deno.KvEntry<TriggerRecord>; plan: ClaimPlan }[],
  result: ClaimResult,
  cache: Map<string, Deno.KvEntry<TriggerRecord>>,
): Promise<void> {
  const build = (members: typeof batch) => {
    const op = deps.kv.atomic();
    for (const { entry, plan } of members) {
      op.check(entry);
      addTriggerWrites(op, entry.value, plan.next);
      if (plan.log) {
        addLogWrites(op, plan.log, deps.config);
        if (plan.next.webhook) deps.outbox?.addWrites(op, plan.log, plan.next);
      }
    }
    return op;
  };
  const res = await retryLocked(() => build(batch).commit());
  if (res.ok) {
    accept(batch, res.versionstamp, result, cache);
    return;
  }
  // Some member lost its check. Re-read them all and claim one by one, so winners still fire.
  const fresh = await getManyChunked<TriggerRecord>(
    deps.kv,
    batch.map((b) => keys.trigger(b.entry.value.id)),
  );
  for (let i = 0; i < batch.length; i++) {
    const f = fresh[i];
    const { entry, plan } = batch[i];
    if (!f.value || f.versionstamp !== entry.versionstamp) {
      if (f.value) cache.set(f.value.id, f as Deno.KvEntry<TriggerRecord>);
      else cache.delete(entry.value.id);
      result.lost++;
      continue;
    }
    const one = await retryLocked(() => build([{ entry, plan }]).commit());
    if (one.ok) accept([{ entry, plan }], one.versionstamp, result, cache);
    else result.lost++;
  }
}

function accept(
  members: { entry: Deno.KvEntry<TriggerRecord>; plan: ClaimPlan }[],
  versionstamp: string,
  result: ClaimResult,
  cache: Map<string, Deno.KvEntry<TriggerRecord>>,
): void {
  for (const { plan } of members) {
    const rec = plan.next;
    cache.set(rec.id, { key: keys.trigger(rec.id), value: rec, versionstamp });
    if (plan.log) result.fired.push(plan.log);
    const due = dueKeyOf(rec);
    if (due) {
      result.rescheduled.push({ item: { atMs: due[1] as number, id: rec.id, versionstamp }, rec });
    }
  }
}
