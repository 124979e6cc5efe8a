/**
 * The rules of trigger changes: create, patch (merge and re-anchoring), pause, resume, delete
 * and the preview of upcoming occurrences. Each change commits through db/triggers.ts and then
 * tells the scheduler once, through the bus (`triggerChanged`), so its timer is re-armed
 * without waiting for a poll.
 */
import type { Deps } from "../deps.ts";
import { ConflictError, NotFoundError } from "../errors.ts";
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
import type { PauseBody, TriggerCreate, TriggerPatch, TriggerRecord } from "../schemas.ts";
import type { TriggerChange } from "../events.ts";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The one place a trigger change reaches the scheduler (and the event stream). */
function changed(deps: Deps, change: TriggerChange): void {
  deps.bus.triggerChanged(
    change.action === "deleted" ? null : dueAtOf(change.trigger as TriggerRecord),
    change,
  );
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
  const rec = newTriggerRecord(def, now, {
    status: body.status === "paused" ? "paused" : "active",
  });
  await insertTrigger(deps.kv, rec);
  changed(deps, { action: "created", trigger: rec });
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
    },
    now,
    deps.schemas.check,
    patch.schedule !== undefined ? undefined : (patch.type === "api" ? null : cur.schedule),
  );
  const updated: TriggerRecord = { ...cur, ...def, updatedAt: iso(now)!, version: cur.version + 1 };
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
  const rec = await updateTrigger(deps.kv, id, (cur) => mergePatch(deps, cur, patch, now));
  changed(deps, { action: "updated", trigger: rec });
  return rec;
}

/**
 * Pauses trigger `id`, with an optional reason and end (at `until` it resumes by itself);
 * no-op when paused and no body fields are given; ConflictError once it has completed.
 */
export async function pauseTrigger(
  deps: Deps,
  id: string,
  body: PauseBody = {},
): Promise<TriggerRecord> {
  const now = deps.clock.now();
  const rec = await updateTrigger(deps.kv, id, (cur) => {
    if (cur.status === "completed") throw new ConflictError(`Trigger "${cur.name}" has completed`);
    return pausedRecord(cur, now, body);
  });
  // A pause with an end is due at that end: the scheduler must see its new due entry.
  changed(deps, { action: "updated", trigger: rec });
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
  let changedIt = false;
  const rec = await updateTrigger(deps.kv, id, (cur) => {
    changedIt = cur.status === "active";
    return changedIt ? pausedRecord(cur, now, { reason }) : null;
  });
  if (!changedIt) return null;
  changed(deps, { action: "updated", trigger: rec });
  return rec;
}

/**
 * Resumes trigger `id` (no-op unless paused). The pending occurrence keeps its time: if it
 * passed while paused, the claim applies the trigger's misfire policy to it.
 */
export async function resumeTrigger(deps: Deps, id: string): Promise<TriggerRecord> {
  const now = deps.clock.now();
  const rec = await updateTrigger(deps.kv, id, (cur) => {
    if (cur.status !== "paused") return null;
    return resumedRecord(cur, now);
  });
  changed(deps, { action: "updated", trigger: rec });
  return rec;
}

/** Deletes trigger `id` and its indexes; its logs stay until retention ends. */
export async function deleteTrigger(deps: Deps, id: string): Promise<TriggerRecord> {
  const rec = await deleteRecord(deps.kv, id);
  changed(deps, { action: "deleted", trigger: { id: rec.id, name: rec.name } });
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
