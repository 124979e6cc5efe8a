/**
 * Turns validated request bodies into trigger records: infers the type, normalises the
 * schedule, applies the contract's defaults and cross-field rules. Pure: "now" is a parameter.
 */
import { ValidationError } from "../core/errors.ts";
import type { Schedule } from "../core/schedule_schemas.ts";
import type { TriggerCreate, TriggerPatch, TriggerRecord, Webhook } from "../core/schemas.ts";
import { nextOccurrence, normalizeSchedule } from "./next_occurrence.ts";
import { ulid } from "../core/ulid.ts";
import { dueFields } from "./jitter.ts";

/** The definition fields of a record: what create takes and patch changes. */
export type Definition = Pick<
  TriggerRecord,
  "name" | "type" | "schedule" | "payload" | "payloadSchema" | "webhook" | "misfire" | "overlap"
>;

/** Checks a payload schema; set by the payload-schema module (Ajv) at start-up. */
export type SchemaChecker = (schema: Record<string, unknown> | boolean) => string | null;

/**
 * The full definition from a create body (or a stored definition merged with a patch).
 * `keptSchedule`, when given, is the stored schedule a patch did not touch.
 */
export function buildDefinition(
  input: TriggerCreate | (TriggerPatch & { name: string }),
  nowMs: number,
  checkSchema: SchemaChecker | null,
  keptSchedule?: Schedule | null,
): Definition {
  // A patch that leaves the schedule alone keeps the stored (already normalised) one as is.
  const schedule: Schedule | null = keptSchedule !== undefined
    ? keptSchedule
    : input.schedule
    ? normalizeSchedule(input.schedule, nowMs)
    : null;
  const type = input.type ?? (schedule ? "scheduled" : "api");
  const errors: { path: string; message: string }[] = [];
  if (type === "scheduled" && !schedule) {
    errors.push({ path: "schedule", message: "A scheduled trigger needs a schedule" });
  }
  if (type === "api" && schedule) {
    errors.push({ path: "schedule", message: "An api trigger has no schedule (use null)" });
  }
  if (type === "scheduled" && input.payloadSchema != null) {
    errors.push({ path: "payloadSchema", message: "Only api triggers take a payload schema" });
  }
  if (input.payloadSchema != null && checkSchema) {
    const problem = checkSchema(input.payloadSchema as Record<string, unknown> | boolean);
    if (problem) errors.push({ path: "payloadSchema", message: problem });
  }
  if (
    schedule && "at" in schedule && input.schedule && "at" in input.schedule &&
    Date.parse(schedule.at) <= nowMs
  ) {
    errors.push({ path: "schedule.at", message: "Must be in the future" });
  }
  if (
    keptSchedule === undefined && schedule && errors.length === 0 &&
    nextOccurrence(schedule, nowMs - 1) === null
  ) {
    errors.push({ path: "schedule", message: "The schedule has no occurrence in the future" });
  }
  if (errors.length) throw new ValidationError("The trigger definition is invalid", errors);
  return {
    name: input.name,
    type,
    schedule,
    payload: input.payload ?? null,
    payloadSchema: (input.payloadSchema ?? null) as Definition["payloadSchema"],
    webhook: (input.webhook ?? null) as Webhook | null,
    misfire: input.misfire ?? "fire_once",
    overlap: input.overlap ?? "allow",
  };
}

/** The first occurrence of a freshly (re)scheduled definition, as ms or null. */
export function firstRun(schedule: Schedule | null, nowMs: number): number | null {
  return schedule ? nextOccurrence(schedule, nowMs - 1) : null;
}

/**
 * A new record for `def` made at `nowMs`: version 1, no runs yet, its first occurrence pending.
 * Shared by trigger creation, unsaved (test) definitions and the benchmarks' fixtures.
 */
export function newTriggerRecord(
  def: Definition,
  nowMs: number,
  opts: { id?: string; status?: "active" | "paused" } = {},
): TriggerRecord {
  const next = firstRun(def.schedule, nowMs);
  const at = new Date(nowMs).toISOString();
  const id = opts.id ?? ulid(nowMs);
  return {
    id,
    ...def,
    status: opts.status ?? "active",
    ...dueFields(id, def.schedule, next),
    scheduledRuns: 0,
    lastScheduledRunAt: null,
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
}
