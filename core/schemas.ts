/**
 * zod schemas: the single source of request, stored and response types. Routes validate with
 * them, `/openapi.json` is generated from them, the CLI validates files with them.
 */
import { z } from "zod";
import { IsoOut, type Schedule, ScheduleInput, StoredSchedule } from "./schedule_schemas.ts";
import { BoundedJson } from "./json_bounds.ts";

/** RFC 9110 token: what `fetch` accepts as a field name. */
const HeaderName = z.string().max(256).regex(
  /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/,
  "Not a valid header name (RFC 9110 token)",
);
/** Latin-1 without CR, LF or NUL: other values fail every delivery at `fetch`. */
const HeaderValue = z.string().max(4096).regex(
  // deno-lint-ignore no-control-regex
  /^[^\u0000\r\n\u0100-\uffff]*$/,
  "Header values are Latin-1 text without CR, LF or NUL",
);
export const WebhookInput = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: "Expected an http:// or https:// URL" }),
  method: z.enum(["POST", "PUT", "PATCH"]).default("POST"),
  headers: z.record(HeaderName, HeaderValue).default({}),
  timeoutMs: z.int().min(100).max(300_000).default(10_000),
  retries: z.int().min(0).max(20).default(3),
  backoffMs: z.int().min(0).max(300_000).default(1000),
  /** Issue 17: pause the trigger after this many consecutive final delivery failures. */
  pauseAfterFailures: z.int().min(1).max(1000).optional(),
});
export type Webhook = z.output<typeof WebhookInput>;

/** A JSON Schema document (object or boolean); compiled by Ajv where it is used. */
export const JsonSchemaDoc = z.union([z.record(z.string(), z.unknown()), z.boolean()]);

/** Longest trigger name, in UTF-16 units: 128 keeps every KV key with a name far below 2 KiB. */
export const MAX_NAME_LENGTH = 128;

/**
 * Control (Cc), format (Cf: zero-width, bidi overrides), line and paragraph separators: they
 * make names that look alike or reorder text on screen (`fx\u200b-api` reads as `fx-api`).
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

export const TriggerName = z.string().trim().min(1).max(MAX_NAME_LENGTH)
  .refine((s) => s.isWellFormed(), {
    // Lone surrogates become U+FFFD in UTF-8 keys: "sur\ud800" and "sur\udfff" would collide.
    message: "Must not contain lone surrogates (malformed UTF-16)",
  })
  .refine((s) => !INVISIBLE.test(s), {
    message: "Must not contain control, format (zero-width, bidi) or separator characters",
  });

/** A trigger id, name or cursor in a path or query: longer ones cannot name anything. */
export const Ref = z.string().max(MAX_NAME_LENGTH, `At most ${MAX_NAME_LENGTH} characters`);
export const TriggerType = z.enum(["scheduled", "api"]);
export const Misfire = z.enum(["fire_once", "skip"]);
/**
 * Issue 17: what a scheduled occurrence does while the previous firing's delivery is pending.
 * Stored on any trigger, acted on only with a webhook (without one nothing is ever pending).
 */
export const Overlap = z.enum(["allow", "skip", "buffer_one"]);
export const TriggerStatus = z.enum(["active", "paused", "completed"]);

/** One tag: 1-64 characters of `[a-z0-9_.:/-]` (lower case, so tags compare exactly). */
export const Tag = z.string().regex(
  /^[a-z0-9_.:/-]{1,64}$/,
  "Expected 1-64 characters of a-z, 0-9, _ . : / -",
);
/** A trigger's tags: at most 16; repeats are dropped (first one kept), not refused. */
export const Tags = z.array(Tag).max(16).transform((t) => [...new Set(t)]);

const definitionFields = {
  name: TriggerName,
  tags: Tags.optional(),
  type: TriggerType.optional(),
  schedule: ScheduleInput.nullable().optional(),
  payload: BoundedJson.optional(),
  payloadSchema: JsonSchemaDoc.nullable().optional(),
  webhook: WebhookInput.nullable().optional(),
  misfire: Misfire.optional(),
  overlap: Overlap.optional(),
};

/** Body of `POST /api/triggers` (and one entry of an exported file). */
export const TriggerCreate = z.strictObject({
  ...definitionFields,
  status: z.enum(["active", "paused"]).optional(),
});
export type TriggerCreate = z.infer<typeof TriggerCreate>;

/** Body of `PATCH /api/triggers/:id`: any definition field. */
export const TriggerPatch = z.strictObject({ ...definitionFields, name: TriggerName.optional() });
export type TriggerPatch = z.infer<typeof TriggerPatch>;

/** Body of `POST /api/test` and `POST /api/preview`: a definition plus an optional payload. */
export const TestRequest = TriggerCreate.extend({ name: TriggerName.optional() });

const StoredWebhook = z.object({
  url: z.string(),
  method: z.string(),
  headers: z.record(z.string(), z.string()),
  timeoutMs: z.int(),
  retries: z.int(),
  backoffMs: z.int(),
  pauseAfterFailures: z.int().optional(),
});

/** A trigger as answered by the API. */
export const Trigger = z.object({
  id: z.string(),
  name: z.string(),
  type: TriggerType,
  schedule: StoredSchedule.nullable(),
  payload: z.json(),
  payloadSchema: JsonSchemaDoc.nullable(),
  webhook: StoredWebhook.nullable(),
  misfire: Misfire,
  overlap: Overlap,
  tags: z.array(z.string()),
  status: TriggerStatus,
  nextRunAt: IsoOut.nullable(),
  lastRunAt: IsoOut.nullable(),
  runCount: z.int(),
  createdAt: IsoOut,
  updatedAt: IsoOut,
  version: z.int(),
  ...pauseViewFields(),
});
export type Trigger = z.infer<typeof Trigger>;

/** A trigger as stored under `["triggers", id]`. Run counters live in their own keys. */
export interface TriggerRecord {
  id: string;
  name: string;
  type: "scheduled" | "api";
  schedule: Schedule | null;
  payload: unknown;
  payloadSchema: Record<string, unknown> | boolean | null;
  webhook: Webhook | null;
  misfire: "fire_once" | "skip";
  /** Absent on records stored before issue 17's overlap policy: read as "allow". */
  overlap?: "allow" | "skip" | "buffer_one";
  /** Absent on records stored before tags existed: read as `[]` (see `tagsOf`). */
  tags?: string[];
  status: "active" | "paused" | "completed";
  nextRunAt: string | null;
  /** Scheduled firings so far; `maxRuns` counts these. */
  scheduledRuns: number;
  lastScheduledRunAt: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
  /** Operator controls (issue 17); absent on records written before them. */
  pausedReason?: string | null;
  pausedAt?: string | null;
  /** With jitter, the nominal pending occurrence (`nextRunAt` is its jittered instant). */
  nextOccurrenceAt?: string | null;
  /** When set on a paused record, its due entry sits here: the claim resumes it once. */
  pausedUntil?: string | null;
  /** Set by a resume, cleared by the next claim: occurrences missed before it were paused. */
  pauseEndedAt?: string | null;
}

export const LogSource = z.enum(["schedule", "api", "manual", "test", "backfill"]);
/** `skipped` (an overlap) and `missed` (occurrences not fired) are records, not firings. */
export const Outcome = z.enum(["ok", "pending", "failed", "skipped", "missed"]);
export const Delivery = z.object({
  status: z.int().nullable(),
  attempts: z.int(),
  durationMs: z.int(),
  error: z.string().nullable(),
});

/** An execution log entry as answered by the API (`state` derived at read time). */
export const LogEntry = z.object({
  id: z.string(),
  triggerId: z.string().nullable(),
  triggerName: z.string(),
  triggerType: TriggerType,
  source: LogSource,
  test: z.boolean(),
  scheduledFor: IsoOut.nullable(),
  firedAt: IsoOut,
  lateMs: z.int().nullable(),
  catchUp: z.boolean(),
  payload: z.json(),
  state: z.enum(["active", "archived"]),
  outcome: Outcome,
  delivery: Delivery.nullable(),
  /** The `Tock-Hops` its deliveries carry; absent means 1 (not caused by a delivery). */
  hops: z.int().min(1).optional(),
  ...logRecordFields(),
});
export type LogEntry = z.infer<typeof LogEntry>;
/** A log entry as stored: everything but the derived `state`. */
export type StoredLog = Omit<LogEntry, "state">;

/** The pause fields of a trigger view: null when active. A function so `Trigger` can use it. */
function pauseViewFields() {
  return {
    pausedReason: z.string().nullable(),
    pausedAt: IsoOut.nullable(),
    pausedUntil: IsoOut.nullable(),
  };
}

// --- Operator controls (issue 17): missed-run records ---

/**
 * The optional log-entry fields of records that are not plain firings. `missed`: the
 * occurrences one missed-run record covers, `countCapped` when a cron count hit its cap. A
 * function (hoisted) so `LogEntry` above can use it.
 */
function logRecordFields() {
  return {
    reason: z.enum(["paused", "downtime", "misfire", "overlap"]).optional(),
    /** The jitter offset of a scheduled firing: it fired at scheduledFor + jitterMs. */
    jitterMs: z.int().optional(),
    missed: z.object({
      count: z.int(),
      first: IsoOut,
      last: IsoOut,
      countCapped: z.boolean().optional(),
    }).optional(),
  };
}
