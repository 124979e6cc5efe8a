/**
 * What `tock apply` will do: a pure comparison of the file's entries with the server's
 * triggers, by name. Stored forms differ from what was written (delaySeconds becomes `at`,
 * everySeconds gains a `startAt`, webhooks gain defaults), so fields are compared in a
 * normalised form that treats those as equal.
 */
import type { Trigger } from "../core/schemas.ts";
import type { TriggerSpec } from "./spec.ts";

/** A definition field that `PATCH /api/triggers/:id` accepts. */
export type Field =
  | "type"
  | "schedule"
  | "payload"
  | "payloadSchema"
  | "webhook"
  | "misfire"
  | "overlap"
  | "tags";
const FIELDS: Field[] = [
  "type",
  "schedule",
  "payload",
  "payloadSchema",
  "webhook",
  "misfire",
  "overlap",
  "tags",
];

export type Change =
  | { action: "create"; name: string; index: number; body: Record<string, unknown> }
  | {
    action: "update";
    name: string;
    index: number;
    id: string;
    /** Changed definition fields and their new values; empty when only the status changes. */
    patch: Partial<Record<Field, unknown>>;
    status?: "pause" | "resume";
  }
  | { action: "delete"; name: string; id: string }
  | { action: "unchanged"; name: string; index: number; id: string }
  /** On the server, not in the file, and `--prune` not given: left alone. */
  | { action: "keep"; name: string; id: string };

/**
 * Compares desired entries with current triggers.
 * @example planApply(file.triggers, await listAllTriggers(client), { prune: false })
 */
export function planApply(
  desired: TriggerSpec[],
  current: Trigger[],
  opts: { prune: boolean },
): Change[] {
  const byName = new Map(current.map((t) => [t.name, t]));
  const wanted = new Set(desired.map((d) => d.name));
  const changes: Change[] = desired.map((spec, index): Change => {
    const t = byName.get(spec.name);
    if (!t) return { action: "create", name: spec.name, index, body: { ...spec } };
    const patch: Partial<Record<Field, unknown>> = {};
    for (const f of FIELDS) {
      if (!sameField(f, spec, t)) patch[f] = desiredValue(f, spec);
    }
    const status = statusChange(spec, t);
    if (Object.keys(patch).length === 0 && !status) {
      return { action: "unchanged", name: spec.name, index, id: t.id };
    }
    return { action: "update", name: spec.name, index, id: t.id, patch, status };
  });
  for (const t of current) {
    if (wanted.has(t.name)) continue;
    changes.push({ action: opts.prune ? "delete" : "keep", name: t.name, id: t.id });
  }
  return changes;
}

/** The changed field names of an update, status included (`["schedule", "status"]`). */
export function changedFields(c: Extract<Change, { action: "update" }>): string[] {
  return [...Object.keys(c.patch), ...(c.status ? ["status"] : [])];
}

function statusChange(spec: TriggerSpec, t: Trigger): "pause" | "resume" | undefined {
  // A completed trigger has nothing left to run: neither pausing nor resuming means anything.
  if (t.status === "completed") return undefined;
  const want = spec.status ?? "active";
  if (want === t.status) return undefined;
  return want === "paused" ? "pause" : "resume";
}

/** The value a PATCH sends for a field: what the file says, or the API's default. */
function desiredValue(f: Field, spec: TriggerSpec): unknown {
  switch (f) {
    case "type":
      return effectiveType(spec);
    case "misfire":
      return spec.misfire ?? "fire_once";
    case "overlap":
      return spec.overlap ?? "allow";
    case "tags":
      return spec.tags ?? [];
    default:
      return spec[f] ?? null;
  }
}

function effectiveType(spec: TriggerSpec): "scheduled" | "api" {
  return spec.type ?? (spec.schedule ? "scheduled" : "api");
}

function sameField(f: Field, spec: TriggerSpec, t: Trigger): boolean {
  switch (f) {
    case "schedule":
      return sameSchedule(spec.schedule ?? null, t.schedule);
    case "webhook":
      return deepEqual(normalWebhook(spec.webhook ?? null), normalWebhook(t.webhook));
    case "tags":
      return deepEqual(desiredValue(f, spec), t.tags ?? []);
    default:
      return deepEqual(desiredValue(f, spec), t[f]);
  }
}

type SpecSchedule = NonNullable<TriggerSpec["schedule"]>;

/** Whether a written schedule is what the server stores for it. */
export function sameSchedule(want: SpecSchedule | null, have: Trigger["schedule"]): boolean {
  if (want === null || have === null) return want === have;
  const w = want as Record<string, unknown>;
  const h = have as Record<string, unknown>;
  // A delay was turned into an instant when the trigger was created; applying the same delay
  // again is not a change (it would postpone the firing on every apply).
  if ("delaySeconds" in w) return "at" in h;
  if ("at" in w) return "at" in h && sameInstant(w.at, h.at);
  if ("everySeconds" in w) {
    return "everySeconds" in h && w.everySeconds === h.everySeconds &&
      // The server anchors an interval at creation when no startAt is written.
      (w.startAt === undefined || sameInstant(w.startAt, h.startAt)) &&
      sameInstant(w.endAt, h.endAt) && (w.maxRuns ?? null) === (h.maxRuns ?? null);
  }
  // The server stores cron expressions with single spaces.
  return "cron" in h && String(w.cron).trim().replace(/\s+/g, " ") === h.cron &&
    (w.timezone ?? "UTC") === h.timezone &&
    sameInstant(w.startAt, h.startAt) && sameInstant(w.endAt, h.endAt) &&
    (w.maxRuns ?? null) === (h.maxRuns ?? null);
}

/** Two optional instants in any ISO form (offsets, precision) name the same moment. */
function sameInstant(a: unknown, b: unknown): boolean {
  if (a === undefined || a === null || b === undefined || b === null) {
    return (a ?? null) === (b ?? null);
  }
  return Date.parse(String(a)) === Date.parse(String(b));
}

const WEBHOOK_DEFAULTS = {
  method: "POST",
  headers: {},
  timeoutMs: 10000,
  retries: 3,
  backoffMs: 1000,
};

function normalWebhook(w: unknown): unknown {
  if (w === null || typeof w !== "object") return null;
  const full = { ...WEBHOOK_DEFAULTS, ...(w as Record<string, unknown>) };
  return { ...full, method: String(full.method).toUpperCase() };
}

/** Structural equality for JSON values; object key order does not matter. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bkeys = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return keys.length === bkeys.length && keys.every((k) => deepEqual(ao[k], bo[k]));
}
