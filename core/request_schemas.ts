/**
 * zod schemas of requests and answers around the resources: listing queries, bulk actions, the
 * histogram, pause and backfill bodies, the reference design's bodies, the scheduler's status.
 */
import { z } from "zod";
import { IsoInput, IsoOut } from "./schedule_schemas.ts";
import {
  LogSource,
  MAX_NAME_LENGTH,
  Outcome,
  Ref,
  Tag,
  Trigger,
  TriggerName,
  TriggerStatus,
  TriggerType,
} from "./schemas.ts";

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

/**
 * A page of triggers with the number matching the filters: null when counting would read more
 * than 5,000 triggers (a tag on more, combined with another filter).
 */
export const TriggerPage = z.object({
  items: z.array(Trigger),
  nextCursor: z.string().nullable(),
  total: z.int().nullable(),
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
/**
 * `GET /api/logs/stats` query: `trigger` narrows the counts to one trigger (id or name); `top`
 * answers only the busiest rows.
 */
export const LogStatsQuery = z.strictObject({
  trigger: z.string().max(MAX_NAME_LENGTH).optional(),
  top: z.coerce.number().int().min(1).max(1_000).optional(),
});
export const HistogramQuery = z.strictObject({
  bucket: z.enum(["1m", "5m", "1h", "1d"]).default("1h"),
  since: IsoInput.optional(),
  until: IsoInput.optional(),
  trigger: z.string().max(MAX_NAME_LENGTH).optional(),
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

// --- Operator controls (issue 17): pause with a reason and an end ---

/** Body of `POST /api/triggers/:id/pause` (optional; `until` is checked against the clock). */
export const PauseBody = z.strictObject({
  reason: z.string().max(500).optional(),
  until: IsoInput.optional(),
});
export type PauseBody = z.infer<typeof PauseBody>;

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
