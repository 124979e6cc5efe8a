/**
 * zod schemas: the single source of request, stored and response types. Routes validate with
 * them, `/openapi.json` is generated from them, the CLI validates files with them.
 */
import { z } from "zod";
import { Cron } from "croner";
import type { FieldError } from "./errors.ts";

/** An instant on the wire: ISO 8601 with an offset; normalised to UTC with milliseconds. */
export const IsoInput = z.iso.datetime({ offset: true }).meta({
  description: "ISO 8601 instant, e.g. 2026-11-29T10:00:00.000Z",
});
const IsoOut = z.iso.datetime().meta({ description: "ISO 8601 UTC instant with milliseconds" });

/** True when `tz` is an IANA zone the runtime knows. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Validates a 5- or 6-field cron expression; returns the problem or null. */
export function cronProblem(expr: string, timezone = "UTC"): string | null {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    return `Expected 5 fields (or 6 with seconds first), got ${fields.length}`;
  }
  try {
    new Cron(expr, { timezone, paused: true, mode: "5-or-6-parts" });
    return null;
  } catch (err) {
    return `Invalid cron expression "${expr}": ${
      (err as Error).message.replace(/^CronPattern: /, "")
    }`;
  }
}

const CronExpr = z.string().superRefine((expr, ctx) => {
  const problem = cronProblem(expr);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});
const TimeZone = z.string().refine(isTimeZone, { message: "Unknown IANA time zone" });
const MaxRuns = z.int().min(1).max(1_000_000_000);
const EverySeconds = z.number().min(1).max(366 * 86400).refine(
  (n) => Number.isInteger(Math.round(n * 1000)) && Math.abs(n * 1000 - Math.round(n * 1000)) < 1e-6,
  { message: "At most millisecond precision" },
);

export const AtSchedule = z.strictObject({ at: IsoInput });
export const DelaySchedule = z.strictObject({ delaySeconds: z.number().gt(0).max(366 * 86400) });
/** Issue 17: each occurrence fires at a deterministic offset in [0, jitterSeconds). */
const JitterSeconds = z.int().min(0).max(3600);
export const EverySchedule = z.strictObject({
  everySeconds: EverySeconds,
  startAt: IsoInput.optional(),
  endAt: IsoInput.optional(),
  maxRuns: MaxRuns.optional(),
  jitterSeconds: JitterSeconds.optional(),
});
export const CronSchedule = z.strictObject({
  cron: CronExpr,
  timezone: TimeZone.optional(),
  startAt: IsoInput.optional(),
  endAt: IsoInput.optional(),
  maxRuns: MaxRuns.optional(),
  jitterSeconds: JitterSeconds.optional(),
});

/** The four schedule forms, in the order `SCHEDULE_FORMS` names their keys. */
export const ScheduleInput = z.union([AtSchedule, DelaySchedule, EverySchedule, CronSchedule])
  .meta({ description: "Exactly one of at, delaySeconds, everySeconds, cron" });
export type ScheduleInput = z.infer<typeof ScheduleInput>;
const SCHEDULE_FORMS = ["at", "delaySeconds", "everySeconds", "cron"] as const;

/** A schedule as stored and answered: delaySeconds becomes at, every has its anchor. */
export type Schedule =
  | { at: string }
  | {
    everySeconds: number;
    startAt: string;
    endAt?: string;
    maxRuns?: number;
    jitterSeconds?: number;
  }
  | {
    cron: string;
    timezone: string;
    startAt?: string;
    endAt?: string;
    maxRuns?: number;
    jitterSeconds?: number;
  };
export const StoredSchedule = z.union([
  z.object({ at: IsoOut }),
  z.object({
    everySeconds: z.number(),
    startAt: IsoOut,
    endAt: IsoOut.optional(),
    maxRuns: z.int().optional(),
    jitterSeconds: z.int().optional(),
  }),
  z.object({
    cron: z.string(),
    timezone: z.string(),
    startAt: IsoOut.optional(),
    endAt: IsoOut.optional(),
    maxRuns: z.int().optional(),
    jitterSeconds: z.int().optional(),
  }),
]);

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

/** Deepest nesting of JSON values Tock accepts (payloads, bodies); deeper is a 400. */
export const MAX_JSON_DEPTH = 64;

/**
 * True when the JSON text `text` nests arrays/objects deeper than `max`. A linear scan, for
 * the body parser before `JSON.parse`: deep values overflow the stack of zod, structuredClone
 * and KV's serializer (500s at ~2,000-3,000 levels).
 */
export function jsonTextTooDeep(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > max) return true;
    } else if (c === 93 || c === 125) depth--;
  }
  return false;
}

/** True when the parsed value `v` nests deeper than `max`; iterative, any depth is safe. */
export function jsonValueTooDeep(v: unknown, max = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = [[v, 0]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (x === null || typeof x !== "object") continue;
    if (d + 1 > max) return true;
    for (const y of Object.values(x)) stack.push([y, d + 1]);
  }
  return false;
}

/** Any JSON value at most MAX_JSON_DEPTH deep (checked before z.json() recurses into it). */
export const BoundedJson = z.unknown().superRefine((v, ctx) => {
  if (jsonValueTooDeep(v)) {
    ctx.addIssue({ code: "custom", message: `Nests deeper than ${MAX_JSON_DEPTH} levels` });
  }
}).pipe(z.json());

/** A trigger id, name or cursor in a path or query: longer ones cannot name anything. */
const Ref = z.string().max(MAX_NAME_LENGTH, `At most ${MAX_NAME_LENGTH} characters`);
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

export const Page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });

/** `tag` in a query: one value or several (repeated parameter), each a valid tag. */
const TagFilter = z.union([Tag, z.array(Tag).max(16)]).transform((t) =>
  typeof t === "string" ? [t] : [...new Set(t)]
);
/** The filters shared by the trigger listing and bulk actions. */
export const TriggerFilter = z.strictObject({
  q: z.string().min(1).max(128).optional().meta({
    description: "Case-insensitive substring of the name",
  }),
  tag: TagFilter.optional().meta({ description: "Repeatable: every tag must be present" }),
  type: TriggerType.optional(),
  status: TriggerStatus.optional(),
});
export type TriggerFilter = z.output<typeof TriggerFilter>;
export const TriggerSort = z.enum(["name", "nextRunAt", "createdAt", "lastRunAt"]);

export const TriggerListQuery = TriggerFilter.extend({
  name: TriggerName.optional().meta({ description: "Exact name: answers 0 or 1 items" }),
  sort: TriggerSort.default("createdAt"),
  order: z.enum(["asc", "desc"]).default("asc"),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(1024, "At most 1024 characters").optional(),
});
export type TriggerListQuery = z.output<typeof TriggerListQuery>;

/** A page of triggers with the number matching the filters. */
export const TriggerPage = z.object({
  items: z.array(Trigger),
  nextCursor: z.string().nullable(),
  total: z.int(),
});

/** Most triggers one bulk action may match. */
export const BULK_MAX = 10_000;
/** Body of `POST /api/triggers/bulk`: exactly one of `ids`, `filter`. */
export const BulkRequest = z.strictObject({
  action: z.enum(["pause", "resume", "delete"]),
  ids: z.array(z.string().max(64)).min(1).max(BULK_MAX).optional(),
  filter: TriggerFilter.optional(),
}).superRefine((b, ctx) => {
  if ((b.ids === undefined) === (b.filter === undefined)) {
    ctx.addIssue({ code: "custom", path: ["ids"], message: "Give exactly one of ids, filter" });
  }
});
export type BulkRequest = z.output<typeof BulkRequest>;
export const BulkResult = z.object({
  matched: z.int(),
  changed: z.int(),
  failed: z.array(z.object({ id: z.string(), error: z.string() })),
});

/** `GET /api/logs/histogram`. */
export const HistogramQuery = z.strictObject({
  bucket: z.enum(["1m", "5m", "1h", "1d"]).default("1h"),
  since: IsoInput.optional(),
  until: IsoInput.optional(),
  trigger: z.string().max(128).optional(),
});
export type HistogramQuery = z.output<typeof HistogramQuery>;
export const Histogram = z.object({
  bucket: z.enum(["1m", "5m", "1h", "1d"]),
  buckets: z.array(z.object({
    start: IsoOut,
    /** Firings (ok + pending + failed); records of occurrences not fired are apart. */
    count: z.int(),
    ok: z.int(),
    pending: z.int(),
    failed: z.int(),
    missed: z.int(),
    skipped: z.int(),
  })),
});

export const LogListQuery = z.strictObject({
  trigger: Ref.optional(),
  state: z.enum(["active", "archived", "all"]).default("all"),
  source: LogSource.optional(),
  outcome: Outcome.optional(),
  since: IsoInput.optional(),
  until: IsoInput.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: Ref.optional(),
});
export type LogListQuery = z.infer<typeof LogListQuery>;

export const PreviewQuery = z.strictObject({
  count: z.coerce.number().int().min(1).max(100).default(5),
});

/** Turns a zod error into field errors with dotted paths. */
export function fieldErrors(error: z.ZodError, prefix: (string | number)[] = []): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of error.issues) out.push(...issueErrors(issue, prefix));
  return out;
}

type Issue = z.core.$ZodIssue;

function issueErrors(issue: Issue, prefix: (string | number)[]): FieldError[] {
  const path = [...prefix, ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))];
  if (issue.code === "invalid_union" && issue.errors.length === SCHEDULE_FORMS.length) {
    // A schedule: report the branch the client meant (the form key it used), not all four.
    const branch = pickScheduleBranch(issue.errors);
    if (branch === null) {
      return [{
        path: dotted(path),
        message: `Expected exactly one of ${SCHEDULE_FORMS.join(", ")}`,
      }];
    }
    return issue.errors[branch].flatMap((i) => issueErrors(i, path));
  }
  if (issue.code === "invalid_key" && issue.issues.length) {
    return [{ path: dotted(path), message: issue.issues[0].message }];
  }
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((k) => ({ path: dotted([...path, k]), message: `Unknown field "${k}"` }));
  }
  return [{ path: dotted(path), message: issue.message }];
}

function pickScheduleBranch(branches: Issue[][]): number | null {
  // Each branch complains of the other forms' keys as unrecognised. The branch the client
  // meant is the one that does not; with no form key (or several) no branch stands out.
  const hits = branches.flatMap((issues, i) =>
    issues.some((x) =>
        x.code === "unrecognized_keys" && x.path.length === 0 &&
        x.keys.some((k) => (SCHEDULE_FORMS as readonly string[]).includes(k))
      )
      ? []
      : [i]
  );
  return hits.length === 1 ? hits[0] : null;
}

function dotted(path: (string | number)[]): string {
  return path.map(String).join(".");
}

// --- Operator controls (issue 17): pause with a reason and an end ---

/** Body of `POST /api/triggers/:id/pause` (optional; `until` is checked against the clock). */
export const PauseBody = z.strictObject({
  reason: z.string().max(500).optional(),
  until: IsoInput.optional(),
});
export type PauseBody = z.infer<typeof PauseBody>;

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

// --- Operator controls (issue 17): backfill ---

/** Body of `POST /api/triggers/:id/backfill`: the window [from, to) to fire again. */
export const BackfillBody = z.strictObject({ from: IsoInput, to: IsoInput });
export type BackfillBody = z.infer<typeof BackfillBody>;
/** What a backfill call answers. */
export const BackfillResult = z.object({
  occurrences: z.int(),
  alreadyFired: z.int(),
  queued: z.int(),
});

// --- The reference design's request bodies (routes/legacy.ts) ---

/** The reference app's request body for /schedule_trigger and /test_trigger. */
export const LegacyScheduleBody = z.object({
  trigger_name: z.string(),
  trigger_type: z.enum(["scheduled", "api"]),
  delay_seconds: z.number().nullable().optional(),
  interval_seconds: z.number().nullable().optional(),
  schedule: z.string().nullable().optional(),
  payload: z.json().optional(),
});

/** The reference app's request body for /remove_trigger. */
export const LegacyRemoveBody = z.object({ trigger_name: z.string() });

/** What `/healthz` and `/metrics` report about this instance's scheduler. */
export const SchedulerStatus = z.object({
  running: z.boolean(),
  /** Occurrences held in memory: pending within the horizon. */
  upcoming: z.int(),
  nextDueAt: z.string().nullable(),
  /** How overdue the earliest unclaimed occurrence is (held or being claimed); 0 when none. */
  lagMs: z.number(),
  lastPollAt: z.string().nullable(),
  /** Scheduled firings this instance committed since it started. */
  firedTotal: z.int(),
  /** Claims this instance found already made elsewhere, or stale after an edit. */
  lostTotal: z.int(),
});
export type SchedulerStatus = z.infer<typeof SchedulerStatus>;
