/** Trigger records and their indexes. Every write is one atomic commit with its indexes. */
import { ConflictError, NotFoundError, PayloadTooLargeError } from "../core/errors.ts";
import { MAX_NAME_LENGTH, type Trigger, type TriggerRecord } from "../core/schemas.ts";
import { keys } from "./keys.ts";
import { getManyChunked, retryLocked } from "./kv.ts";
import { addChangeWrite, type ChangeNote } from "./trigger_feed.ts";
import { queryTriggers } from "./trigger_query.ts";
import { WALK_BUDGET } from "./trigger_walk.ts";
import { addIndexWrites, tagsOf } from "./trigger_index.ts";
import { isUlid } from "../core/ulid.ts";
import type { Committer } from "../core/committer.ts";

const iso = (ms: number) => new Date(ms).toISOString();

/** The due-index key of a record, or null when it is not waiting to fire. */
export function dueKeyOf(rec: TriggerRecord): Deno.KvKey | null {
  const at = dueAtOf(rec);
  return at === null ? null : keys.due(at, rec.id);
}

/**
 * When `rec` is next due in the due index, or null when it is not waiting to fire. A paused
 * record with `pausedUntil` is due then: the claim that wins it resumes the trigger, once.
 */
export function dueAtOf(rec: TriggerRecord): number | null {
  if (rec.status === "paused") return rec.pausedUntil ? Date.parse(rec.pausedUntil) : null;
  return rec.status === "active" && rec.nextRunAt !== null ? Date.parse(rec.nextRunAt) : null;
}

/**
 * Adds the writes that store `next` in place of `prev` (null when new): the record, the name
 * index if the name changed, the listing indexes (db/trigger_index.ts) and the due entry. The due entry is rewritten on every change so
 * its versionstamp always equals the record's: the scheduler relies on that to spot stale data.
 */
export function addTriggerWrites(
  op: Deno.AtomicOperation,
  prev: TriggerRecord | null,
  next: TriggerRecord,
): void {
  op.set(keys.trigger(next.id), next);
  if (prev === null || prev.name !== next.name) {
    op.check({ key: keys.triggerName(next.name), versionstamp: null });
    op.set(keys.triggerName(next.name), next.id);
    if (prev) op.delete(keys.triggerName(prev.name));
  }
  const oldDue = prev ? dueKeyOf(prev) : null;
  if (oldDue) op.delete(oldDue);
  const newDue = dueKeyOf(next);
  if (newDue) op.set(newDue, next.id);
  addIndexWrites(op, prev, next);
}

/**
 * Bumps the definition key of `rec` (deletes it with `null`): the fire path's cached
 * definitions are checked against it (db/trigger_cache.ts). Not in `addTriggerWrites`, which
 * scheduled claims share: a claim moves the schedule, never what a firing reads.
 */
export function addDefWrite(
  op: Deno.AtomicOperation,
  id: string,
  rec: TriggerRecord | null,
  prevName?: string,
): void {
  if (rec === null) {
    op.delete(keys.triggerDef(id));
    // Its stats name stays while entries of it are retained: the sweep removes it with the
    // counters once they are zero, or at its next run when there are none.
    op.set(keys.logZeroCheck(id), null);
    return;
  }
  op.set(keys.triggerDef(id), rec.version);
  // The name log statistics show for this trigger's entries: set here, at create and rename,
  // instead of by every firing.
  if (rec.name !== prevName) op.set(keys.logCounterName(id), rec.name);
}

/**
 * Commits a trigger write. A failed check is a name clash only when another trigger owns the
 * name; otherwise the record itself moved (a claim, another request) and the caller retries.
 */
async function commitOrExplain(
  kv: Deno.Kv,
  commit: () => Promise<Deno.KvCommitResult | Deno.KvCommitError>,
  rec: Pick<TriggerRecord, "id" | "name">,
) {
  let res: Deno.KvCommitResult | Deno.KvCommitError;
  try {
    res = await commit();
  } catch (err) {
    if (/too large|exceeds/i.test(String(err))) {
      throw new PayloadTooLargeError("The trigger is larger than storage allows (64 KiB)");
    }
    throw err;
  }
  if (!res.ok) {
    const owner = await kv.get<string>(keys.triggerName(rec.name));
    if (owner.value !== null && owner.value !== rec.id) {
      throw new ConflictError(`A trigger named "${rec.name}" already exists`);
    }
  }
  return res;
}

/**
 * Stores a new trigger; ConflictError when the name is taken. `note` goes to the feed. With
 * `committer`, concurrent creates share commits: each checks its name absent and writes it,
 * and the committer never puts two writers that check and write one key in one commit, so of
 * two creates of one name exactly one succeeds.
 *
 * The id is not checked: it was minted for this record (48-bit time + 80 random bits, and
 * incremented within a millisecond by this process), so only a collision of 80 random bits
 * could find it taken. A check per create halved the creates a commit can hold (KV allows 100
 * checks per commit), and a commit's fixed cost is most of a small commit's: in process, 50
 * creates per commit instead of 25 made creation 9,600-10,000/s -> 10,700-12,000/s.
 */
export async function insertTrigger(
  kv: Deno.Kv,
  rec: TriggerRecord,
  note?: ChangeNote,
  committer?: Committer,
): Promise<void> {
  const write = (op: Deno.AtomicOperation) => {
    addTriggerWrites(op, null, rec);
    addDefWrite(op, rec.id, rec);
    if (note) addChangeWrite(op, note);
  };
  const res = committer
    ? await commitOrExplain(
      kv,
      () => committer.submit(write, 2 * JSON.stringify(rec).length + 1024),
      rec,
    )
    : await commitOrExplain(kv, () =>
      retryLocked(() => {
        const op = kv.atomic();
        write(op);
        return op.commit();
      }), rec);
  if (!res.ok) throw new ConflictError(`Trigger "${rec.id}" changed concurrently, try again`);
}

/** A record by id with its versionstamp; NotFoundError when unknown. */
export async function getTriggerEntry(
  kv: Deno.Kv,
  id: string,
): Promise<Deno.KvEntry<TriggerRecord>> {
  const entry = isUlid(id) ? await kv.get<TriggerRecord>(keys.trigger(id)) : null;
  if (!entry || entry.value === null) throw new NotFoundError(`No trigger with id "${id}"`);
  return entry as Deno.KvEntry<TriggerRecord>;
}

/** Finds a trigger id by name, or null. */
export async function idByName(kv: Deno.Kv, name: string): Promise<string | null> {
  // No stored name is longer; a longer one would only make KV refuse the key (a 500).
  if (name.length > MAX_NAME_LENGTH) return null;
  return (await kv.get<string>(keys.triggerName(name))).value;
}

/**
 * Applies `change` to the current record and commits it, re-reading and retrying when the
 * record moved underneath (a firing advanced it, another request changed it). `change`
 * returns null to leave the record as it is.
 */
export async function updateTrigger(
  kv: Deno.Kv,
  id: string,
  change: (rec: TriggerRecord) => TriggerRecord | null,
  note?: (rec: TriggerRecord) => ChangeNote,
): Promise<TriggerRecord> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const entry = await getTriggerEntry(kv, id);
    const next = change(entry.value);
    if (next === null) return entry.value;
    const res = await commitOrExplain(kv, () =>
      retryLocked(() => {
        const op = kv.atomic().check(entry);
        addTriggerWrites(op, entry.value, next);
        addDefWrite(op, id, next, entry.value.name);
        if (note) addChangeWrite(op, note(next));
        return op.commit();
      }), next);
    if (res.ok) return next;
  }
  throw new ConflictError(`Trigger "${id}" is changing too often to update, try again`);
}

/** Deletes a trigger and its indexes; its logs stay until retention ends. */
export async function deleteTrigger(
  kv: Deno.Kv,
  id: string,
  note?: (rec: TriggerRecord) => ChangeNote,
): Promise<TriggerRecord> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const entry = await getTriggerEntry(kv, id);
    const rec = entry.value;
    const op = kv.atomic().check(entry)
      .delete(keys.trigger(id))
      .delete(keys.triggerName(rec.name))
      .delete(keys.triggerRuns(id))
      .delete(keys.triggerLastRun(id));
    addDefWrite(op, id, null);
    const due = dueKeyOf(rec);
    if (due) op.delete(due);
    addIndexWrites(op, rec, null);
    if (note) addChangeWrite(op, note(rec));
    if ((await retryLocked(() => op.commit())).ok) return rec;
  }
  throw new ConflictError(`Trigger "${id}" is changing too often to delete, try again`);
}

/** The API view: the record plus run counters kept outside it (api and manual firings). */
export async function toTriggerViews(
  kv: Deno.Kv,
  recs: TriggerRecord[],
  opts: { fresh?: boolean } = {},
): Promise<Trigger[]> {
  // `fresh`: just created, so no firing has counted yet (no read queued behind commits).
  const counters = opts.fresh ? [] : await getManyChunked<Deno.KvU64>(
    kv,
    recs.flatMap((r) => [keys.triggerRuns(r.id), keys.triggerLastRun(r.id)]),
  );
  return recs.map((r, i) => {
    const extraRuns = Number(counters[2 * i]?.value?.value ?? 0n);
    const extraLast = Number(counters[2 * i + 1]?.value?.value ?? 0n);
    const schedLast = r.lastScheduledRunAt ? Date.parse(r.lastScheduledRunAt) : 0;
    const last = Math.max(extraLast, schedLast);
    return {
      id: r.id,
      name: r.name,
      type: r.type,
      schedule: r.schedule,
      payload: r.payload as Trigger["payload"],
      payloadSchema: r.payloadSchema,
      webhook: r.webhook,
      misfire: r.misfire,
      overlap: r.overlap ?? "allow",
      tags: tagsOf(r),
      status: r.status,
      nextRunAt: r.status === "completed" ? null : r.nextRunAt,
      lastRunAt: last > 0 ? iso(last) : null,
      runCount: r.scheduledRuns + extraRuns,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
      version: r.version,
      pausedReason: r.pausedReason ?? null,
      pausedAt: r.pausedAt ?? null,
      pausedUntil: r.pausedUntil ?? null,
    };
  });
}

/** Triggers in creation order with optional filters and a cursor (the reference listing's). */
export function listTriggers(
  kv: Deno.Kv,
  q: { type?: Trigger["type"]; status?: Trigger["status"]; limit: number; cursor?: string },
): Promise<{ items: TriggerRecord[]; nextCursor: string | null; total: number | null }> {
  return queryTriggers(kv, { ...q, sort: "createdAt", order: "asc" });
}

/**
 * Stores many new triggers in few commits, names unchecked and no feed entries: fixtures for
 * tests and benchmarks at 100,000 triggers, where one commit per trigger takes minutes.
 */
export async function insertTriggersBatch(kv: Deno.Kv, recs: TriggerRecord[]): Promise<void> {
  const PER_COMMIT = 25; // up to ~40 writes each (16 tags): well inside 1,000 per commit
  const commits: Promise<unknown>[] = [];
  for (let i = 0; i < recs.length; i += PER_COMMIT) {
    const op = kv.atomic();
    for (const r of recs.slice(i, i + PER_COMMIT)) {
      addTriggerWrites(op, null, r);
      addDefWrite(op, r.id, r);
    }
    commits.push(retryLocked(() => op.commit()));
    if (commits.length >= 8) await Promise.all(commits.splice(0));
  }
  await Promise.all(commits);
}

/** Most index entries one listing call reads (see db/trigger_query.ts). */
export const LIST_SCAN_BUDGET = WALK_BUDGET;
