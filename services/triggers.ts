/**
 * The rules of trigger changes: create, patch (merge and re-anchoring), pause, resume, delete
 * and the preview of upcoming occurrences. Each change commits through db/triggers.ts (with its
 * change-feed entry, for the other instances) and then publishes on the bus (`triggerChanged`):
 * the scheduler re-arms its timer without waiting for a poll, the event stream tells clients.
 * The `*One` forms commit without publishing, for bulk actions that publish once per batch.
 */
import type { Deps } from "../core/deps.ts";
import { ConflictError, NotFoundError } from "../core/errors.ts";
import {
  deleteTrigger as deleteRecord,
  dueAtOf,
  getTriggerEntry,
  idByName,
  insertTrigger,
  updateTrigger,
} from "../db/triggers.ts";
import { buildDefinition, firstRun, newTriggerRecord } from "../scheduler/definition.ts";
import { occurrences } from "../scheduler/next_occurrence.ts";
import { pausedRecord, resumedRecord } from "../scheduler/pause.ts";
import { dueFields, nominalOf } from "../scheduler/jitter.ts";
import type { PauseBody } from "../core/request_schemas.ts";
import type { TriggerCreate, TriggerPatch, TriggerRecord } from "../core/schemas.ts";
import type { TriggerChange } from "../core/firing_bus.ts";
import type { ChangeAction, ChangeNote } from "../db/trigger_feed.ts";
import { tagsOf } from "../db/trigger_index.ts";
import { originOf } from "./trigger_feed.ts";
import { takeTriggerRoom } from "./trigger_quota.ts";
import { withNotes } from "./feed_stamps.ts";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * Runs a trigger write with change-feed notes stamped by this instance as their origin; each
 * stamp is held as in flight until the write settles (services/feed_stamps.ts).
 */
function noting<T>(
  deps: Deps,
  action: ChangeAction,
  write: (note: (rec: TriggerRecord) => ChangeNote) => Promise<T>,
): Promise<T> {
  return withNotes(deps.bus, originOf(deps.bus), () => deps.clock.now(), action, write);
}

/** What a committed change publishes: the record as stored, or null once deleted. */
export function changeOf(action: ChangeAction, rec: TriggerRecord): TriggerChange {
  return {
    action,
    id: rec.id,
    name: rec.name,
    trigger: action === "deleted" ? null : rec,
    remote: false,
  };
}

/** Publishes committed changes once: the scheduler and the event stream follow the bus. */
export function publishChanges(deps: Deps, changes: TriggerChange[]): void {
  if (changes.length === 0) return;
  const due = changes.flatMap((c) => (c.trigger ? [dueAtOf(c.trigger)] : [null]));
  // The earliest pending occurrence; null (re-read) when any change removed one.
  const next = due.includes(null) ? null : Math.min(...(due as number[]));
  deps.bus.triggerChanged(next, changes);
}

function changed(deps: Deps, action: ChangeAction, rec: TriggerRecord): void {
  publishChanges(deps, [changeOf(action, rec)]);
}

/** A stored trigger by id; NotFoundError when unknown. */
export async function getTrigger(deps: Deps, id: string): Promise<TriggerRecord> {
  return (await getTriggerEntry(deps.kv, id)).value;
}

/** A stored trigger by name; NotFoundError when no trigger has it. */
export async function getTriggerByName(deps: Deps, name: string): Promise<TriggerRecord> {
  const id = await idByName(deps.kv, name);
  if (id === null) throw new NotFoundError(`No trigger named "${name}"`);
  return await getTrigger(deps, id);
}

/** Creates a trigger from a validated body; shared by the REST and reference endpoints. */
export async function createTrigger(deps: Deps, body: TriggerCreate): Promise<TriggerRecord> {
  const now = deps.clock.now();
  const def = buildDefinition(body, now, deps.schemas.check);
  const rec: TriggerRecord = {
    ...newTriggerRecord(def, now, { status: body.status === "paused" ? "paused" : "active" }),
    tags: body.tags ?? [],
  };
  const release = await takeTriggerRoom(deps);
  try {
    await noting(deps, "created", (note) => insertTrigger(deps.kv, rec, note(rec), deps.committer));
  } catch (err) {
    release();
    throw err;
  }
  changed(deps, "created", rec);
  return rec;
}

/** `cur` with `patch` merged in; a changed schedule (or type) starts afresh from `now`. */
export function mergePatch(
  deps: Pick<Deps, "schemas">,
  cur: TriggerRecord,
  patch: TriggerPatch,
  now: number,
): TriggerRecord {
  const scheduleChanged = patch.schedule !== undefined ||
    (patch.type !== undefined && patch.type !== cur.type);
  const def = buildDefinition(
    {
      name: patch.name ?? cur.name,
      type: patch.type ?? cur.type,
      schedule: patch.schedule ?? undefined,
      payload: patch.payload !== undefined
        ? patch.payload
        : cur.payload as TriggerCreate["payload"],
      payloadSchema: patch.payloadSchema !== undefined ? patch.payloadSchema : cur.payloadSchema,
      webhook: patch.webhook !== undefined ? patch.webhook : cur.webhook,
      misfire: patch.misfire ?? cur.misfire,
      overlap: patch.overlap ?? cur.overlap,
    },
    now,
    deps.schemas.check,
    patch.schedule !== undefined ? undefined : (patch.type === "api" ? null : cur.schedule),
  );
  const updated: TriggerRecord = {
    ...cur,
    ...def,
    tags: patch.tags ?? tagsOf(cur),
    updatedAt: iso(now)!,
    version: cur.version + 1,
  };
  if (scheduleChanged) {
    // A new schedule starts afresh: its own first occurrence, its own maxRuns count.
    const next = firstRun(def.schedule, now);
    Object.assign(updated, dueFields(cur.id, def.schedule, next));
    updated.scheduledRuns = 0;
    if (cur.status !== "paused") {
      updated.status = next === null && def.schedule ? "completed" : "active";
    }
  }
  return updated;
}

/** Applies a validated patch to trigger `id`. */
export async function patchTrigger(
  deps: Deps,
  id: string,
  patch: TriggerPatch,
): Promise<TriggerRecord> {
  const now = deps.clock.now();
  const rec = await noting(
    deps,
    "updated",
    (note) => updateTrigger(deps.kv, id, (cur) => mergePatch(deps, cur, patch, now), note),
  );
  changed(deps, "updated", rec);
  return rec;
}

/** A change committed but not yet published: the record and whether anything changed. */
export interface Unpublished {
  rec: TriggerRecord;
  change: TriggerChange | null;
}

/**
 * Pauses `id` without publishing, with an optional reason and end (at `until` it resumes by
 * itself); no change when paused and no body fields are given; ConflictError once completed.
 */
export async function pauseOne(
  deps: Deps,
  id: string,
  body: PauseBody = {},
): Promise<Unpublished> {
  const now = deps.clock.now();
  let moved = false;
  const rec = await noting(deps, "updated", (note) =>
    updateTrigger(deps.kv, id, (cur) => {
      moved = false;
      if (cur.status === "completed") {
        throw new ConflictError(`Trigger "${cur.name}" has completed`);
      }
      const next = pausedRecord(cur, now, body);
      moved = next !== null;
      return next;
    }, note));
  return { rec, change: moved ? changeOf("updated", rec) : null };
}

/** Pauses trigger `id` (see `pauseOne`); a pause with an end is due at that end. */
export async function pauseTrigger(
  deps: Deps,
  id: string,
  body: PauseBody = {},
): Promise<TriggerRecord> {
  const { rec, change } = await pauseOne(deps, id, body);
  publishChanges(deps, change ? [change] : []);
  return rec;
}

/**
 * Pauses an active trigger `id` for the system (pauseAfterFailures) with `reason`; answers the
 * paused record, or null when it was not active (an operator's pause and reason stay as
 * they are, and concurrent callers pause it once).
 */
export async function autoPauseTrigger(
  deps: Deps,
  id: string,
  reason: string,
): Promise<TriggerRecord | null> {
  const now = deps.clock.now();
  let moved = false;
  const rec = await noting(deps, "updated", (note) =>
    updateTrigger(deps.kv, id, (cur) => {
      moved = cur.status === "active";
      return moved ? pausedRecord(cur, now, { reason }) : null;
    }, note));
  if (!moved) return null;
  publishChanges(deps, [changeOf("updated", rec)]);
  return rec;
}

/** Resumes `id` without publishing (no change unless paused). */
export async function resumeOne(deps: Deps, id: string): Promise<Unpublished> {
  const now = deps.clock.now();
  let moved = false;
  const rec = await noting(deps, "updated", (note) =>
    updateTrigger(deps.kv, id, (cur) => {
      moved = false;
      if (cur.status !== "paused") return null;
      moved = true;
      return resumedRecord(cur, now);
    }, note));
  return { rec, change: moved ? changeOf("updated", rec) : null };
}

/**
 * Resumes trigger `id` (no-op unless paused). The pending occurrence keeps its time: if it
 * passed while paused, the claim applies the trigger's misfire policy to it.
 */
export async function resumeTrigger(deps: Deps, id: string): Promise<TriggerRecord> {
  const { rec, change } = await resumeOne(deps, id);
  publishChanges(deps, change ? [change] : []);
  return rec;
}

/** Deletes `id` without publishing. */
export async function deleteOne(deps: Deps, id: string): Promise<Unpublished> {
  const rec = await noting(deps, "deleted", (note) => deleteRecord(deps.kv, id, note));
  return { rec, change: changeOf("deleted", rec) };
}

/** Deletes trigger `id` and its indexes; its logs stay until retention ends. */
export async function deleteTrigger(deps: Deps, id: string): Promise<TriggerRecord> {
  const { rec, change } = await deleteOne(deps, id);
  publishChanges(deps, [change!]);
  return rec;
}

/** Upcoming occurrences of a stored trigger, from where it stands now. */
export function upcoming(rec: TriggerRecord, nowMs: number, count: number): string[] {
  if (!rec.schedule || rec.status === "completed") return [];
  const pending = nominalOf(rec);
  // An active trigger continues from its pending occurrence; a paused one from now.
  const after = rec.status === "active" && pending !== null ? pending - 1 : nowMs;
  // The instants it will fire at: jittered, as `nextRunAt` and the log's firedAt show them.
  return occurrences(rec.schedule, after, count, rec.scheduledRuns)
    .map((t) => dueFields(rec.id, rec.schedule, t).nextRunAt!);
}

/** The next `count` occurrences of trigger `id`. */
export async function previewTrigger(deps: Deps, id: string, count: number): Promise<string[]> {
  return upcoming(await getTrigger(deps, id), deps.clock.now(), count);
}
