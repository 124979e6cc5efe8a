/**
 * Claiming due occurrences: one atomic commit per batch checks each trigger's versionstamp,
 * writes the log entry and its indexes, advances the trigger and moves its due entry. A
 * concurrent instance, a stale timer or a changed trigger fails the check and fires nothing,
 * so every occurrence fires exactly once.
 */
import type { Deps } from "../core/deps.ts";
import {
  BatchSums,
  type ClaimOps,
  claimOps,
  claimWriteCount,
  commitClaims,
  type DueItem,
  MAX_COMMIT_WRITES,
  readTriggers,
  triggerEntry,
} from "../db/due.ts";
import { type InflightEntry, readInflight } from "../db/inflight.ts";
import { isStale, loadRecords, type RecordCache } from "./records.ts";
import { dueAtOf } from "../db/triggers.ts";
import type { StoredLog, TriggerRecord } from "../core/schemas.ts";
import {
  applyOverlap,
  type ClaimContext,
  type ClaimPlan,
  needsInflight,
  type OverlapPlan,
  planClaim,
} from "./plan.ts";

export type { DueItem };
export { type ClaimContext, type ClaimPlan, planClaim };

/**
 * Rough bytes a batch member adds to the commit, to stay well under KV's 800 KiB limit. The
 * payload is stored in the record, the log entry and the outbox record; the webhook (its
 * headers can be large) in the record and the outbox record; the rest is under ~3 KiB.
 * Estimates are a heuristic: `commitBatch` still splits a batch KV refuses as too large.
 */
function weight(rec: TriggerRecord): number {
  let w = 3072;
  if (rec.payload !== null) w += 3 * (JSON.stringify(rec.payload)?.length ?? 0);
  if (rec.webhook !== null) w += 2 * JSON.stringify(rec.webhook).length;
  return w;
}

/**
 * Claims per commit. KV allows 100 checks and 1,000 mutations per commit; a claim is one
 * check (two with an overlap marker) and about 10 writes of its own (record, due entry, last run, log entry and indexes,
 * its counters; a webhook adds two), the counters it shares with the batch (status counts,
 * the "*" histogram) being written once per commit. Fewer, larger commits cost less: the commit
 * is most of a claim's cost.
 */
export const MAX_BATCH = 99;
/** KV's limit on checks per commit. */
const MAX_CHECKS = 100;
const MAX_BATCH_BYTES = 600 * 1024;

export interface ClaimResult {
  fired: StoredLog[];
  /**
   * Records written with the claims, not firings (nothing is delivered): missed runs, and
   * occurrences skipped by their overlap policy.
   */
  missed: StoredLog[];
  /** New due entries this instance wrote, with their versionstamps, for the local timer. */
  rescheduled: { item: DueItem; rec: TriggerRecord }[];
  /** Claims lost to another instance or a concurrent change (stale due entries included). */
  lost: number;
}

type Member = {
  entry: Deno.KvEntry<TriggerRecord>;
  atMs: number;
  plan: OverlapPlan;
  /** The claim's writes, built once for sizing the batch and again never. */
  ops: ClaimOps;
};

function member(
  deps: Deps,
  entry: Deno.KvEntry<TriggerRecord>,
  atMs: number,
  plan: OverlapPlan,
): Member {
  return { entry, atMs, plan, ops: claimOps(claimWrite(entry, plan), deps.config) };
}
type Markers = Map<string, InflightEntry>;

/**
 * The overlap markers of the triggers in `recs` whose policy needs one, read fresh before a
 * commit (the commit checks them): triggers with overlap "allow" read nothing.
 */
async function loadMarkers(deps: Deps, recs: TriggerRecord[]): Promise<Markers> {
  const ids = recs.filter(needsInflight).map((r) => r.id);
  const out: Markers = new Map();
  if (ids.length === 0) return out;
  const entries = await readInflight(deps.kv, ids);
  ids.forEach((id, i) => out.set(id, entries[i]));
  return out;
}

function plan(
  deps: Deps,
  rec: TriggerRecord,
  atMs: number,
  nowMs: number,
  ctx: ClaimContext,
  markers: Markers,
): OverlapPlan {
  const p = planClaim(rec, atMs, nowMs, deps.config.misfireGraceMs, ctx);
  return applyOverlap(p, rec, markers.get(rec.id));
}

/**
 * Claims `items` (all due now) in commits of up to MAX_BATCH, one after another, using and
 * updating `cache`. Each commit's firings are stamped with the clock just before it is built,
 * so `firedAt` tells when the occurrence was really claimed. Safe to run concurrently on
 * several instances: each occurrence is won once.
 */
export async function claimDue(
  deps: Deps,
  items: DueItem[],
  cache: RecordCache,
  ctx: ClaimContext = {},
): Promise<ClaimResult> {
  const result: ClaimResult = { fired: [], missed: [], rescheduled: [], lost: 0 };
  for (let i = 0; i < items.length; i += MAX_BATCH) {
    const part = await claimBatch(deps, items.slice(i, i + MAX_BATCH), cache, ctx);
    result.fired.push(...part.fired);
    result.missed.push(...part.missed);
    result.rescheduled.push(...part.rescheduled);
    result.lost += part.lost;
  }
  return result;
}

/** Claims up to MAX_BATCH due `items` (see `claimDue`); the engine runs a few in parallel. */
export async function claimBatch(
  deps: Deps,
  items: DueItem[],
  cache: RecordCache,
  ctx: ClaimContext = {},
): Promise<ClaimResult> {
  const result: ClaimResult = { fired: [], missed: [], rescheduled: [], lost: 0 };
  const live = items.filter((it) => !isStale(it, cache));
  result.lost += items.length - live.length;
  await loadRecords(deps, live, cache);
  const markers = await loadMarkers(
    deps,
    live.map((it) => cache.get(it.id)?.value).filter((r) => r !== undefined),
  );
  const nowMs = deps.clock.now();
  let batch: Member[] = [];
  let bytes = 0;
  let writes = 0;
  let checks = 0;
  // The batch's counters: a claim costs a counter write only when it is the first to move it.
  let sums = new BatchSums();
  for (const it of live) {
    const entry = cache.get(it.id);
    // Stale due entry (trigger changed, fired elsewhere or deleted): nothing to do here.
    if (!entry || !isDueFor(entry.value, it)) {
      result.lost++;
      continue;
    }
    const p = plan(deps, entry.value, it.atMs, nowMs, ctx, markers);
    const w = weight(entry.value);
    // Writes vary (a completing claim moves counters, a firing adds its histogram counters):
    // counted exactly, so the commit stays within KV's mutation limit.
    const m = member(deps, entry, it.atMs, p);
    let n = claimWriteCount(m.ops, sums);
    // A claim checks its record, and its overlap marker when it has one.
    const c = p.inflight ? 2 : 1;
    const full = batch.length >= MAX_BATCH || writes + n > MAX_COMMIT_WRITES ||
      checks + c > MAX_CHECKS ||
      (batch.length > 0 && bytes + w > MAX_BATCH_BYTES);
    if (full && batch.length > 0) {
      await commitBatch(deps, batch, result, cache, ctx);
      batch = [];
      bytes = 0;
      sums = new BatchSums();
      n = claimWriteCount(m.ops, sums);
      writes = 0;
      checks = 0;
    }
    batch.push(m);
    bytes += w;
    writes += n;
    checks += c;
  }
  if (batch.length) await commitBatch(deps, batch, result, cache, ctx);
  return result;
}

function isDueFor(rec: TriggerRecord, it: Pick<DueItem, "atMs">): boolean {
  return dueAtOf(rec) === it.atMs && (rec.schedule !== null || rec.status === "paused");
}

function claimWrite(entry: Deno.KvEntry<TriggerRecord>, p: OverlapPlan) {
  const { next, log, missed, inflight, deliver } = p;
  return { entry, next, log, missed, inflight, deliver };
}

function commitMembers(deps: Deps, members: Member[]) {
  return commitClaims(deps.kv, members.map((m) => m.ops));
}

async function commitBatch(
  deps: Deps,
  batch: Member[],
  result: ClaimResult,
  cache: RecordCache,
  ctx: ClaimContext,
): Promise<void> {
  let members = batch;
  for (let round = 0; members.length > 0; round++) {
    let res: Deno.KvCommitResult | Deno.KvCommitError;
    try {
      res = await commitMembers(deps, members);
    } catch (err) {
      // KV refused the commit as a whole (too large, say): halve it so one oversize member
      // cannot hold back the others forever. A lone member's error is the caller's to see.
      if (members.length === 1) throw err;
      const mid = members.length >> 1;
      await commitBatch(deps, members.slice(0, mid), result, cache, ctx);
      await commitBatch(deps, members.slice(mid), result, cache, ctx);
      return;
    }
    if (res.ok) {
      accept(members, res.versionstamp, result, cache);
      return;
    }
    // Some member lost its check: another instance claimed it, or it was edited. Re-read them
    // all; commit again those still at the version we planned from, and those edited in a way
    // that keeps this occurrence (a new payload, say), re-planned from the new version.
    // An overlap marker that moved (a delivery ended, say) makes its member plan again too.
    const fresh = await readTriggers(deps.kv, members.map((m) => m.entry.value.id));
    const markers = await loadMarkers(
      deps,
      fresh.map((f) => f.value).filter((r) => r !== null),
    );
    const nowMs = deps.clock.now();
    const still: Member[] = [];
    let changed = 0;
    for (let i = 0; i < members.length; i++) {
      const f = fresh[i] as Deno.KvEntryMaybe<TriggerRecord>;
      const m = members[i];
      const marker = m.plan.inflight?.entry;
      const markerMoved = marker !== undefined &&
        markers.get(m.entry.value.id)?.versionstamp !== marker.versionstamp;
      if (f.value && f.versionstamp === m.entry.versionstamp && !markerMoved) {
        still.push(m);
        continue;
      }
      changed++;
      if (f.value) cache.set(f.value.id, f as Deno.KvEntry<TriggerRecord>);
      else cache.delete(m.entry.value.id);
      if (f.value && isDueFor(f.value, m) && round < 5) {
        const entry = f as Deno.KvEntry<TriggerRecord>;
        still.push(member(deps, entry, m.atMs, plan(deps, f.value, m.atMs, nowMs, ctx, markers)));
        continue;
      }
      result.lost++;
    }
    // A commit that failed with no member changed cannot happen with checks on records only;
    // guard anyway so a surprise never spins.
    if (changed === 0) {
      result.lost += still.length;
      return;
    }
    members = still;
  }
}

function accept(
  members: Member[],
  versionstamp: string,
  result: ClaimResult,
  cache: RecordCache,
): void {
  for (const { plan } of members) {
    const rec = plan.next;
    cache.set(rec.id, triggerEntry(rec, versionstamp));
    if (plan.log?.outcome === "skipped") result.missed.push(plan.log);
    else if (plan.log) result.fired.push(plan.log);
    if (plan.missed) result.missed.push(plan.missed);
    const atMs = dueAtOf(rec);
    if (atMs !== null) result.rescheduled.push({ item: { atMs, id: rec.id, versionstamp }, rec });
  }
}
